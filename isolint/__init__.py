"""isolint: find request-time code that leaks one user's data to another through shared state."""

__version__ = "0.1.0"
