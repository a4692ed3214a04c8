"""What every request meets before a view: abuse limits and answers for bad input and faults.

- Rate limits per API key and per IP address (a fixed window counted in the
  cache, so Redis shares the count between processes and machines): 429 with
  `Retry-After`. Requests are limited, never points: a training job sends its
  history in batches and never comes near the default.
- JSON bodies: over `API_MAX_JSON_BYTES` is 413; NUL characters (which
  PostgreSQL cannot store in text) are 400 before anything reads them.
- Faults: a database that went away is 503 with a sentence, never a traceback;
  a full disk 507, a file storage (S3) refusal 503 saying what it answered;
  a body nested too deeply to parse is 400.

Errors under `/api/` answer in the API's error shape (MLflow's under MLflow's
paths, which its clients read); pages get a short page.
"""

import errno
import hashlib
import logging
import time

from botocore.exceptions import BotoCoreError, ClientError

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape

from .errors import error_response

logger = logging.getLogger("teamsite.guard")

MLFLOW_PREFIXES = ("/api/2.0/", "/api/3.0/", "/ajax-api/")
MLFLOW_CODES = {
    400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 413: "INVALID_PARAMETER_VALUE",
    429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE", 507: "TEMPORARILY_UNAVAILABLE",
}
UNLIMITED_PREFIXES = ("/static/", "/health", "/favicon.ico")


def refusal(request, status, message, **extra):
    path = request.path
    if path.startswith(MLFLOW_PREFIXES):
        response = JsonResponse({"error_code": MLFLOW_CODES.get(status, "INTERNAL_ERROR"), "message": message}, status=status)
    elif path.startswith("/api/"):
        response = error_response(status, message, **extra)
    else:
        response = HttpResponse(f"<!doctype html><title>{status}</title><p>{escape(message)}</p>", status=status)
    return response


def _limit(text):
    count, _, seconds = str(text).partition("/")
    try:
        return int(count), int(seconds or 60)
    except ValueError:
        raise ImproperlyConfigured(f"A rate limit is COUNT/SECONDS, such as 6000/60 (0 turns it off), not {text!r}.") from None


def _client_ip(request):
    if settings.SECURE_PROXY_SSL_HEADER:  # behind our own proxy: it appends the caller's address
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _over(bucket, limit):
    """Counts one request in `bucket`; returns the seconds to wait when over `limit`, else 0."""
    count, window = limit
    if count <= 0:
        return 0
    now = time.time()
    key = f"rl:{bucket}:{int(now // window)}"
    try:
        cache.add(key, 0, timeout=window + 1)
        seen = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        seen = 1
    except Exception:  # the cache is down: never refuse people because of it
        logger.warning("rate limit cache unavailable", exc_info=True)
        return 0
    return int(window - now % window) + 1 if seen > count else 0


def _storage_reason(exception):
    if isinstance(exception, ClientError):
        error = exception.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return type(exception).__name__


class GuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.per_key = _limit(settings.RATE_LIMIT_PER_KEY)
        self.per_ip = _limit(settings.RATE_LIMIT_PER_IP)

    def __call__(self, request):
        refused = self._rate_limited(request) or self._bad_body(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _rate_limited(self, request):
        if request.path.startswith(UNLIMITED_PREFIXES):
            return None
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if authorization:  # one budget per key, wherever its jobs run (a whole lab may share one address)
            bucket, limit = "key:" + hashlib.sha256(authorization.encode()).hexdigest()[:24], self.per_key
        else:
            bucket, limit = "ip:" + _client_ip(request), self.per_ip
        wait = _over(bucket, limit)
        if not wait:
            return None
        response = refusal(request, 429, f"Too many requests; try again in {wait} seconds.", retry_after=wait)
        response["Retry-After"] = str(wait)
        return response

    def _bad_body(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            return refusal(request, 400, "The query string holds a NUL character, which no field may contain.")
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith(("/api/", "/ajax-api/")):
            return None
        if not request.content_type or request.content_type != "application/json":
            return None  # uploads (multipart, raw bytes) have their own limits
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_JSON_BYTES:
            return refusal(request, 413, f"The request body is {length:,} bytes; a JSON body may be at most {settings.API_MAX_JSON_BYTES:,}.")
        try:
            body = request.body
        except RequestDataTooBig:
            return refusal(request, 413, f"A JSON body may be at most {settings.API_MAX_JSON_BYTES:,} bytes.")
        if b"\\u0000" in body or b"\x00" in body:
            return refusal(request, 400, "The body holds a NUL character (\\u0000), which no field may contain.")
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) or type(exception) is DatabaseError:
            logger.error("database unavailable: %s %s: %s", request.method, request.path, exception)
            return refusal(request, 503, "The database is not answering just now; nothing was changed. Try again in a moment.")
        if isinstance(exception, OSError) and exception.errno == errno.ENOSPC:
            logger.error("disk full: %s %s", request.method, request.path)
            return refusal(request, 507, "The server's disk is full, so nothing was stored; tell a site operator.")
        if isinstance(exception, BotoCoreError | ClientError):
            logger.error("file storage refused: %s %s: %s", request.method, request.path, exception)
            return refusal(request, 503, f"The file storage did not accept the request ({_storage_reason(exception)}); nothing was stored.")
        if isinstance(exception, RecursionError):
            return refusal(request, 400, "The body is nested too deeply to read.")
        if isinstance(exception, RequestDataTooBig):
            return refusal(request, 413, "The request body is too large.")
        return None
