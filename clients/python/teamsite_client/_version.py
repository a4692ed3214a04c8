"""The client's version, read by setuptools at build time and sent as the User-Agent."""

__version__ = "0.1.0"
