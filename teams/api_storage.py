"""The team storage connector (spec/api.md, "Team data"): read, change, test (team:manage)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Router, Schema
from pydantic import Field

from . import policy, services, storage
from .models import TeamStorage
from .selectors import team_or_404
from .services.storage import describe

router = Router(tags=["teams"])
T = "/teams/{team}"


class StorageIn(Schema):
    kind: str
    endpoint_url: str = Field(default="", max_length=500)
    region: str = Field(default="", max_length=64)
    bucket: str = Field(default="", max_length=255)
    prefix: str = Field(default="", max_length=255)
    access_key_id: str = Field(default="", max_length=255)
    secret_access_key: str | None = Field(default=None, max_length=1000)


def probe_failed(exc: storage.ProbeFailed):
    return ValidationError({exc.step: [f"The storage failed at the {exc.step} step: {exc.detail}"]})


@router.get(T + "/storage", response=dict, summary="Where the team's files go (the secret is never returned)")
def team_storage_get(request, team: str):
    found = team_or_404(team)
    policy.require(request.auth, "team:manage", found)
    return describe(TeamStorage.objects.filter(team=found, active=True).first())


@router.put(T + "/storage", response=dict, summary="Change the team's storage (probed first)")
def team_storage_put(request, team: str, payload: StorageIn):
    found = team_or_404(team)
    try:
        row = services.storage_update(actor=request.auth, team=found, **payload.dict())
    except storage.ProbeFailed as exc:
        raise probe_failed(exc) from None
    return describe(row)


@router.post(T + "/storage/test", response=dict, summary="Write, read and delete a probe object (the current storage, or the one sent)")
def team_storage_test(request, team: str):
    found = team_or_404(team)
    policy.require(request.auth, "team:manage", found)  # before reading the body
    fields = {}
    if request.content_type == "application/json" and request.body.strip():
        try:
            fields = StorageIn.model_validate_json(request.body).dict()
        except ValueError as exc:
            raise ValidationError({"body": [f"Send {{kind, endpoint_url?, region?, bucket?, prefix?, access_key_id?, secret_access_key?}}: {exc}"]}) from None
    try:
        services.storage_test(actor=request.auth, team=found, **fields)
    except storage.ProbeFailed as exc:
        raise probe_failed(exc) from None
    return {"ok": True}
