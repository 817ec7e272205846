"""cashier-app: a desktop cashier for ISP offices and travel agencies."""

__version__ = "0.1.0"
