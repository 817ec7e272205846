"""Card gateways: Sberbank, T-Bank and ChronoPay clients (the sandbox bank is ``cashier_app.emulators.bank``).

Import from the submodules (``base``, ``config``, ``sberbank``, ``tbank``, ``chronopay``);
this package stays empty so the command line starts fast.
"""
