"""singlewindow: interoperability layer for International Trade Single Windows (ALADI COD)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
