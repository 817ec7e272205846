"""The bank sandbox: Sberbank REST and T-Bank v2 acquiring on one loopback server."""
