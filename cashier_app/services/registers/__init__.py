"""Fiscal register clients: ATOL Web Server (a local register) and ATOL Online (the cloud register).

Import from the submodules (``base``, ``atol_web``, ``atol_online``, ``factory``).
"""
