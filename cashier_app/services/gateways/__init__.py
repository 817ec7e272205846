"""Card gateways: Sberbank, T-Bank, ChronoPay clients and a local sandbox bank.

Import from the submodules (``base``, ``config``, ``sberbank``, ``tbank``, ``chronopay``,
``sandbox``); this package stays empty so the command line starts fast.
"""
