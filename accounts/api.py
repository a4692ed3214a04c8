"""My API keys: /api/v1/api-keys (a person manages their own)."""

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from core.pagination import paginate

from . import selectors, services

router = Router(tags=["identity"])


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


@router.get("/api-keys", summary="My API keys")
def api_key_list(request):
    return paginate(request, selectors.api_keys_of(request.auth), _key_out)


@router.post("/api-keys", response={201: ApiKeyCreated}, summary="Create an API key (shown once)")
def api_key_create(request, payload: ApiKeyIn):
    created = services.api_key_create(actor=request.auth, name=payload.name)
    return Status(201, {"key": created.key, **_key_out(created.api_key)})


@router.delete("/api-keys/{prefix}", response={204: None}, summary="Revoke an API key")
def api_key_revoke(request, prefix: str):
    if not services.api_key_revoke(actor=request.auth, prefix=prefix):
        raise Http404("You have no active API key with that prefix.")
    return Status(204, None)
