"""backend-audit: a static reviewer for Python backend code."""

__version__ = "0.1.0"
