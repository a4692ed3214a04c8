"""Identity and API keys: /api/v1/viewer, /users, /api-keys."""

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from teams import policy
from teams.selectors import teams_of
from core.pagination import paginate

from . import selectors, services

router = Router(tags=["identity"])


class ViewerTeam(Schema):
    team: str
    role: str


class ViewerOut(Schema):
    username: str
    email: str
    display_name: str
    is_service: bool
    is_system_admin: bool
    teams: list[ViewerTeam]


class UserIn(Schema):
    username: str = Field(max_length=150)
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)


class UserOut(Schema):
    username: str
    email: str


class ApiKeyIn(Schema):
    name: str = Field(max_length=1000)


class ApiKeyOut(Schema):
    prefix: str
    name: str
    created_at: str
    last_used_at: str | None


class ApiKeyCreated(Schema):
    key: str
    prefix: str
    name: str
    created_at: str


def _key_out(api_key):
    return {
        "prefix": api_key.prefix,
        "name": api_key.name,
        "created_at": api_key.created_at.isoformat(),
        "last_used_at": api_key.last_used_at.isoformat() if api_key.last_used_at else None,
    }


@router.get("/viewer", response=ViewerOut, summary="Who the caller is")
def viewer(request):
    user = request.auth
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.shown_name,
        "is_service": user.is_service,
        "is_system_admin": user.is_superuser,
        "teams": [{"team": m.team.slug, "role": m.role_name} for m in teams_of(user)],
    }


@router.post("/users", response={201: UserOut}, summary="Create a user (system admins)")
def user_create(request, payload: UserIn):
    policy.require(request.auth, "system:create_user")
    user = services.user_create(username=payload.username, email=payload.email, password=payload.password)
    return Status(201, {"username": user.username, "email": user.email})


@router.get("/api-keys", summary="My API keys")
def api_key_list(request):
    return paginate(request, selectors.api_keys_of(request.auth), _key_out)


@router.post("/api-keys", response={201: ApiKeyCreated}, summary="Create an API key (shown once)")
def api_key_create(request, payload: ApiKeyIn):
    created = services.api_key_create(user=request.auth, name=payload.name)
    return Status(201, {"key": created.key, **_key_out(created.api_key)})


@router.delete("/api-keys/{prefix}", response={204: None}, summary="Revoke an API key")
def api_key_revoke(request, prefix: str):
    if not services.api_key_revoke(user=request.auth, prefix=prefix):
        raise Http404("You have no active API key with that prefix.")
    return Status(204, None)
