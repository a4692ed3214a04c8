"""How the MLflow paths talk: Bearer API keys, JSON in and out, MLflow's error shape always.

Every endpoint is a plain function `handler(call) -> dict | HttpResponse` registered
with `@endpoint("runs/get", "GET")`; one CSRF-exempt view per URL prefix dispatches
to it and turns whatever it raises into `{"error_code", "message"}` with MLflow's
status: a policy refusal, a service's ValidationError, a missing object, or
(anything unexpected) INTERNAL_ERROR.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from accounts.selectors import user_for_api_key
from accounts.services import api_key_touch
from core.errors import Conflict, TooLarge

from .filters import FilterError

log = logging.getLogger(__name__)

STATUS = {
    "RESOURCE_DOES_NOT_EXIST": 404,
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "ENDPOINT_NOT_FOUND": 404,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
}


class MlflowError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or STATUS[code]


def invalid(message: str) -> MlflowError:
    return MlflowError("INVALID_PARAMETER_VALUE", message)


def missing(message: str) -> MlflowError:
    return MlflowError("RESOURCE_DOES_NOT_EXIST", message)


class Call:
    """One request: who asks (request.user) and its parameters (query for GET, JSON body otherwise)."""

    def __init__(self, request, path: str = ""):
        self.request = request
        self.actor = request.user
        self.path = path
        self.args = getattr(request, "mlflow_args", [])  # the `*` segments of the endpoint's path
        self._body = None

    @property
    def body(self) -> dict:
        if self._body is None:
            if self.request.method in ("GET", "HEAD"):
                self._body = {key: values[0] if len(values) == 1 else values for key, values in self.request.GET.lists()}
            else:
                raw = self.request.body or b"{}"
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise invalid("The request body is not valid JSON.") from None
                if not isinstance(body, dict):
                    raise invalid("The request body must be a JSON object.")
                if self.request.GET:  # e.g. DELETE with a query string
                    body = {**{k: v for k, v in self.request.GET.items()}, **body}
                self._body = body
        return self._body

    def get(self, name, default=None):
        value = self.body.get(name, default)
        return default if value is None else value

    def required(self, name, *aliases) -> str:
        for key in (name, *aliases):
            value = self.body.get(key)
            if value not in (None, ""):
                return value
        raise invalid(f"Missing value for required parameter '{name}'. See the API docs for more information about request parameters.")

    def list(self, name) -> list:
        if self.request.method in ("GET", "HEAD"):
            return self.request.GET.getlist(name)
        value = self.body.get(name) or []
        return value if isinstance(value, list) else [value]


def number_or_nan(value):
    """A metric value as MLflow's JSON carries it: a number, or "NaN" / "Infinity" / "-Infinity"."""
    if type(value) in (int, float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise invalid(f"Metric value {value!r} is not a number.")


def json_number(value: float):
    """The reverse: JSON has no NaN or infinity, so MLflow writes them as strings."""
    if math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


# --- Who is asking ---------------------------------------------------------------------


def authenticate(request):
    """The caller from `Authorization: Bearer <teamsite key>` (MLFLOW_TRACKING_TOKEN) or Basic with the key
    as password (MLFLOW_TRACKING_PASSWORD); no header is an anonymous visitor (public projects only)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return AnonymousUser()
    scheme, _, credential = header.partition(" ")
    key = None
    if scheme.lower() == "bearer":
        key = credential.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credential.strip()).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            key = None
    found = user_for_api_key(key) if key else None
    if found is None:
        raise MlflowError("UNAUTHENTICATED", "That API key is not valid; it may have been revoked. Set MLFLOW_TRACKING_TOKEN to a teamsite API key.")
    user, api_key = found
    api_key_touch(api_key=api_key)
    request.api_key = api_key
    return user


# --- Answers -----------------------------------------------------------------------------


def error_response(code: str, message: str, status: int | None = None) -> JsonResponse:
    return JsonResponse({"error_code": code, "message": message}, status=status or STATUS.get(code, 400))


def _signed_out(request) -> bool:
    return not getattr(request.user, "is_authenticated", False)


def translate(request, exc) -> JsonResponse:
    """Whatever a handler raised, as MLflow's error; an anonymous caller refused is told to authenticate."""
    refused = isinstance(exc, (PermissionDenied, Http404)) or (
        isinstance(exc, MlflowError) and exc.code in ("RESOURCE_DOES_NOT_EXIST", "PERMISSION_DENIED")
    )
    if refused and _signed_out(request):  # 401 whether it exists or not (spec/permissions.md, "Answers")
        return error_response("UNAUTHENTICATED", "Send a teamsite API key: set MLFLOW_TRACKING_TOKEN.")
    if isinstance(exc, MlflowError):
        return error_response(exc.code, exc.message, exc.status)
    if isinstance(exc, PermissionDenied):
        return error_response("PERMISSION_DENIED", str(exc) or "You do not have permission to do that.")
    if isinstance(exc, Http404):
        message = str(exc)
        return error_response("RESOURCE_DOES_NOT_EXIST", message if message and "matches the given query" not in message else "Not found.")
    if isinstance(exc, ValidationError):
        messages = [str(m) for values in exc.message_dict.values() for m in values] if hasattr(exc, "error_dict") else exc.messages
        return error_response("INVALID_PARAMETER_VALUE", " ".join(messages))
    if isinstance(exc, (FilterError, TooLarge)):
        return error_response("INVALID_PARAMETER_VALUE", str(exc))
    if isinstance(exc, Conflict):
        code = "RESOURCE_ALREADY_EXISTS" if exc.extra.get("exists") else "INVALID_PARAMETER_VALUE"
        return error_response(code, exc.message)
    log.exception("MLflow endpoint %s failed", request.path)
    return error_response("INTERNAL_ERROR", "The server failed to answer; the site's log has the details.")


# --- Dispatch ------------------------------------------------------------------------------

ENDPOINTS: dict[str, dict[str, callable]] = {}  # "runs/get" -> {"GET": handler}


def endpoint(path: str, *methods: str):
    def register(handler):
        for method in methods:
            ENDPOINTS.setdefault(path, {})[method] = handler
        return handler

    return register


def answer(request, handler, path=""):
    try:
        request.user = authenticate(request)
        call = Call(request, path)
        if request.method in ("GET", "HEAD"):
            result = handler(call)
        else:
            with transaction.atomic():  # a refused batch stores nothing
                result = handler(call)
    except Exception as exc:  # noqa: BLE001 - every failure leaves in MLflow's shape
        return translate(request, exc)
    if isinstance(result, HttpResponseBase):
        return result
    return JsonResponse(result if result is not None else {}, json_dumps_params={"allow_nan": False})


def _match(endpoint: str):
    """The endpoint's handlers and the values of its `*` segments (logged-models/<model_id>/tags/<key>)."""
    methods = ENDPOINTS.get(endpoint)
    if methods is not None:
        return methods, []
    parts = endpoint.split("/")
    for key, candidates in ENDPOINTS.items():
        pattern = key.split("/")
        if "*" in pattern and len(pattern) == len(parts) and all(p in ("*", part) for p, part in zip(pattern, parts)):
            return candidates, [part for p, part in zip(pattern, parts) if p == "*"]
    return None, []


@csrf_exempt
def dispatch(request, endpoint: str, version: str = "2.0"):
    methods, request.mlflow_args = _match(endpoint.rstrip("/"))
    if methods is None:
        return error_response("ENDPOINT_NOT_FOUND", f"No MLflow endpoint {request.path} here ({request.method}).", 404)
    handler = methods.get(request.method) or (methods.get("POST") if request.method == "PUT" else None)
    if handler is None:
        return error_response("ENDPOINT_NOT_FOUND", f"{request.path} takes {', '.join(sorted(methods))}, not {request.method}.", 405)
    return answer(request, handler)
