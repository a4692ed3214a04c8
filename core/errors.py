"""Exceptions that services raise and both the pages and the API translate.

Services raise Django's ValidationError for bad input and PermissionDenied for
a missing scope; these cover the remaining answers of spec/api.md.
"""


class Conflict(Exception):
    """The request is valid but clashes with the current state (HTTP 409)."""

    def __init__(self, message, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class TooLarge(Exception):
    """The request carries more than a limit allows (HTTP 413)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
