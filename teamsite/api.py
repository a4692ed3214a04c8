"""The JSON API (spec/api.md): one NinjaAPI, its authentication and error shape.

Every error leaves here as {"error": {"code", "message", "fields"?}}, whatever
raised it: authentication, request validation, a service or the policy.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounts.api import router as accounts_router
from experiments.api import router as experiments_router
from experiments.api_alerts import router as alerts_router
from experiments.api_data import router as run_data_router
from registry.api import router as artifacts_router
from registry.api_registry import router as registry_router
from experiments.api_media import router as media_router
from experiments.api_sweeps import router as sweeps_router
from reports.api import router as reports_router
from teams.api import router as teams_router
from teams.api_identity import router as identity_router
from teams.api_storage import router as storage_router
from teams.api_webhooks import router as webhooks_router
from transfer.api import router as exports_router

from accounts.api_auth import KeyOrSession
from core.errors import Conflict, TooLarge, error_response

api = NinjaAPI(
    title="teamsite API",
    version="1",
    description="Track experiments, share reports, version artifacts. See spec/api.md.",
    auth=KeyOrSession(),
    urls_namespace="api",
)
api.add_router("", identity_router)
api.add_router("", accounts_router)
api.add_router("", teams_router)
api.add_router("", webhooks_router)
api.add_router("", experiments_router)
api.add_router("", run_data_router)
api.add_router("", alerts_router)
api.add_router("", media_router)
api.add_router("", sweeps_router)
api.add_router("", reports_router)
api.add_router("", artifacts_router)
api.add_router("", registry_router)
api.add_router("", storage_router)
api.add_router("", exports_router)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    if request.headers.get("Authorization"):
        return error_response(401, "That API key is not valid; it may have been revoked.")
    return error_response(401, "Sign in or send an API key as 'Authorization: Bearer <key>'.")


def _signed_out(request):
    auth = getattr(request, "auth", None)
    return auth is None or not auth.is_authenticated


def _refused(request, status, message):
    """An anonymous caller refused for any reason gets 401 (spec/permissions.md, "Answers"):
    whether the thing exists or not, which a 404 would tell a user who forgot the key."""
    if _signed_out(request):
        return on_unauthenticated(request, None)
    return error_response(status, message)


@api.exception_handler(NinjaValidationError)
def on_request_invalid(request, exc):
    fields = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query", "path")]
        name = ".".join(location) or "body"
        message = error.get("msg", "This value is not valid.")
        if error.get("type") == "missing":
            message = "This field is required."
        fields.setdefault(name, []).append(message)
    if set(fields) == {"body"}:
        return error_response(400, "The request body is not valid JSON.", fields=fields)
    return error_response(400, "Some fields are missing or not valid.", fields=fields)


@api.exception_handler(DjangoValidationError)
def on_invalid(request, exc):
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        first = next(iter(fields.values()))[0]
        return error_response(400, first, fields=fields)
    return error_response(400, " ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    if _signed_out(request):
        return on_unauthenticated(request, None)
    extra = {"scope": exc.scope} if getattr(exc, "scope", None) else {}  # the 403 names the scope it lacks
    return error_response(403, str(exc) or "You do not have permission to do that.", **extra)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _refused(request, 404, str(exc) if str(exc) and "matches the given query" not in str(exc) else "Not found.")


@api.exception_handler(Conflict)
def on_conflict(request, exc):
    return error_response(409, exc.message, **exc.extra)


@api.exception_handler(TooLarge)
def on_too_large(request, exc):
    return error_response(413, exc.message)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # ninja wraps the parser's error; say what a person needs to fix
        detail = str(exc.__cause__) if exc.__cause__ else "It could not be parsed."
        return error_response(400, "The request body is not valid JSON.", fields={"body": [detail]})
    return error_response(exc.status_code, str(exc))


def api_index(request):
    """GET /api/v1/: where the documentation is (ninja keeps this path only to find its own root)."""
    return JsonResponse({"docs": request.build_absolute_uri("docs"), "openapi": request.build_absolute_uri("openapi.json")})


def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the API's error shape, not with an HTML page."""
    return error_response(404, f"There is no API endpoint at {request.path}.")



class ApiAnswersJson:
    """Whatever answers under /api/ (a wrong method, a CSRF refusal, a server error page) leaves in the error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400 or response.streaming:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            message = f"{request.method} is not allowed here" + (f"; use {allowed}." if allowed else ".")
            shaped = error_response(405, message)
            if allowed:
                shaped["Allow"] = allowed
            return shaped
        if response.status_code == 403:
            return error_response(403, "The request was refused (a browser session needs its CSRF token; an API key needs none).")
        if response.status_code == 404:
            return error_response(404, f"There is no API endpoint at {request.path}.")
        return error_response(response.status_code, "The server could not answer that request.")
