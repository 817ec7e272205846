"""Gateway tests: the ``sandbox`` fixture (a real sandbox bank on an ephemeral loopback port)."""

from gw_helpers import sandbox

__all__ = ["sandbox"]
