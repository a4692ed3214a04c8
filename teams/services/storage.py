"""The team storage connector: where a team's artifact and run files go (team:manage)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import audit, policy, storage
from ..models import Team, TeamStorage

FIELDS = ("kind", "endpoint_url", "region", "bucket", "prefix", "access_key_id")


def _config(team, *, kind, endpoint_url="", region="", bucket="", prefix="", access_key_id="", secret_access_key=None):
    """The configuration asked for, with the stored secret when none is sent for the same bucket and key."""
    kind = (kind or "").strip()
    errors = {}
    if kind not in (TeamStorage.LOCAL, TeamStorage.S3):
        errors["kind"] = ["kind is local or s3."]
    config = {
        "kind": kind,
        "endpoint_url": (endpoint_url or "").strip(),
        "region": (region or "").strip(),
        "bucket": (bucket or "").strip(),
        "prefix": (prefix or "").strip().strip("/"),
        "access_key_id": (access_key_id or "").strip(),
    }
    if kind == TeamStorage.S3:
        if not config["bucket"]:
            errors["bucket"] = ["Name the bucket."]
        if config["endpoint_url"] and not config["endpoint_url"].startswith(("http://", "https://")):
            errors["endpoint_url"] = ["The endpoint is an http:// or https:// address."]
    if errors:
        raise ValidationError(errors)
    if kind == TeamStorage.LOCAL:
        return {"kind": kind, "endpoint_url": "", "region": "", "bucket": "", "prefix": "", "access_key_id": "", "secret": ""}
    secret = secret_access_key
    if not secret:
        now = TeamStorage.objects.filter(team=team, active=True).first()
        same = now is not None and all(getattr(now, field) == config[field] for field in FIELDS)
        secret = storage.decrypt_secret(now.secret_encrypted) if same else ""
    return {**config, "secret": secret}


def _probe(config):
    if config["kind"] != TeamStorage.S3:
        return
    built = storage.build(**{field: config[field] for field in FIELDS}, secret_access_key=config["secret"])
    storage.probe(built)


def storage_test(*, actor, team: Team, **fields):
    """Probe a configuration (or the current one) without saving anything; raises storage.ProbeFailed."""
    policy.require(actor, "team:manage", team)
    if not fields:
        now = TeamStorage.objects.filter(team=team, active=True).first()
        fields = {field: getattr(now, field) for field in FIELDS} if now else {"kind": TeamStorage.LOCAL}
    _probe(_config(team, **fields))


def describe(row: TeamStorage | None) -> dict:
    if row is None:
        return {"kind": TeamStorage.LOCAL, "endpoint_url": "", "region": "", "bucket": "", "prefix": "", "access_key_id": "", "secret_set": False}
    return {**{field: getattr(row, field) for field in FIELDS}, "secret_set": row.secret_set}


@transaction.atomic
def storage_update(*, actor, team: Team, **fields) -> TeamStorage | None:
    """Point the team's new files at a storage, after writing, reading and deleting a probe object there.

    A failed probe raises storage.ProbeFailed and changes nothing. A new place
    (another kind, endpoint, bucket or prefix) is a new row, so files stored
    before stay readable where they are; the same place with a new key or secret
    updates the row.
    """
    policy.require(actor, "team:manage", team)
    config = _config(team, **fields)
    _probe(config)
    now = TeamStorage.objects.select_for_update().filter(team=team, active=True).first()
    before = describe(now)
    place = ("kind", "endpoint_url", "bucket", "prefix")
    if now is not None and all(getattr(now, field) == config[field] for field in place):
        row = now
    else:
        if now is not None:
            TeamStorage.objects.filter(pk=now.pk).update(active=False)
        row = TeamStorage(team=team, active=True)
    for field in FIELDS:
        setattr(row, field, config[field])
    row.secret_encrypted = storage.encrypt_secret(config["secret"])
    row.updated_at = timezone.now()
    row.save()
    after = describe(row)
    if after != before or (config["secret"] and fields.get("secret_access_key")):
        audit.record(team=team, actor=actor, action="storage.changed", target=str(row), before=before, after=after)
    return row
