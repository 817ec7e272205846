"""Emulators of the outside systems the app talks to (banks, the fiscal register, billings).

Real HTTP servers on loopback for demos and tests; never imported by ``services``.
"""
