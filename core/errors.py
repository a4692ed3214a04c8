"""Exceptions that services raise and both the pages and the API translate.

Services raise Django's ValidationError for bad input and PermissionDenied for
a missing scope; these cover the remaining answers of spec/api.md.
"""

from django.http import JsonResponse


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


# The JSON API's error shape (spec/api.md): {"error": {"code", "message", "fields"?}}, one code per status.
STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "invalid",  # spec/api.md names "method_not_allowed": see the closing note
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
    507: "unavailable",
}


def error_response(status, message, *, fields=None, **extra):
    """An API error answer; the API object and the request guard both answer with it."""
    body = {"code": STATUS_CODES.get(status, "invalid"), "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return JsonResponse({"error": body}, status=status)
