"""The model registry: registered models, linked versions (v0, v1, ... in link order), aliases.

Protected aliases (a team's list) are set, moved and removed only with
registry:manage_protected_aliases (registry admins); nobody else may unlink a
version that holds one, nor delete a model that has one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import Conflict
from teams import audit, policy
from teams.models import Team

from ..models import ArtifactVersion, ModelAlias, ModelVersion, RegisteredModel, RegistrySettings
from .artifacts import clean_alias, clean_slug


def protected_aliases(team: Team) -> list[str]:
    found = RegistrySettings.objects.filter(team=team).values_list("protected_aliases", flat=True).first()
    return list(found or [])


def _require_alias(actor, model, alias):
    if alias in protected_aliases(model.team):
        policy.require(actor, "registry:manage_protected_aliases", model.team)
    else:
        policy.require(actor, "registry:add_alias", model.team)


@transaction.atomic
def model_create(*, actor, team: Team, name: str, description: str = "") -> RegisteredModel:
    policy.require(actor, "registry:add_model", team)
    clean_slug(name, "name")
    description = (description or "").strip()
    if len(description) > 10_000:
        raise ValidationError({"description": ["A description may have at most 10,000 characters."]})
    if RegisteredModel.objects.filter(team=team, name=name).exists():
        raise Conflict(f"The registry already has a model named {name}.")
    try:
        with transaction.atomic():
            return RegisteredModel.objects.create(team=team, name=name, description=description, created_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:
        raise Conflict(f"The registry already has a model named {name}.") from None


@transaction.atomic
def model_update(*, actor, model: RegisteredModel, description: str) -> RegisteredModel:
    policy.require(actor, "registry:add_model", model.team)
    model.description = (description or "").strip()[:10_000]
    model.save(update_fields=["description"])
    return model


@transaction.atomic
def model_rename(*, actor, model: RegisteredModel, name: str) -> RegisteredModel:
    """A new name for a registered model (MLflow's registered-models/rename); its versions and aliases stay."""
    policy.require(actor, "registry:add_model", model.team)
    clean_slug(name, "name")
    if name == model.name:
        return model
    if RegisteredModel.objects.filter(team=model.team, name=name).exists():
        raise Conflict(f"The registry already has a model named {name}.", exists=True)
    model.name = name
    model.save(update_fields=["name"])
    return model


@transaction.atomic
def model_delete(*, actor, model: RegisteredModel):
    policy.require(actor, "registry:manage_admins", model.team)
    if model.aliases.filter(alias__in=protected_aliases(model.team)).exists():
        policy.require(actor, "registry:manage_protected_aliases", model.team)
    model.delete()


@transaction.atomic
def model_link(*, actor, model: RegisteredModel, version: ArtifactVersion) -> tuple[ModelVersion, bool]:
    """Link an artifact version of the team's projects as the model's next version (once per artifact version)."""
    policy.require(actor, "registry:add_model", model.team)
    policy.require(actor, "artifact:view", version)
    if version.project.team_id != model.team_id:
        raise ValidationError({"artifact": ["Only artifacts of the team's own projects can be linked."]})
    model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
    existing = ModelVersion.objects.filter(model=model, artifact_version=version).first()
    if existing is not None:
        return existing, False
    link = ModelVersion.objects.create(model=model, index=model.next_index, artifact_version=version, created_by=actor if getattr(actor, "pk", None) else None)
    RegisteredModel.objects.filter(pk=model.pk).update(next_index=F("next_index") + 1)
    return link, True


@transaction.atomic
def model_unlink(*, actor, link: ModelVersion):
    policy.require(actor, "registry:add_model", link.model.team)
    if link.aliases.filter(alias__in=protected_aliases(link.model.team)).exists():
        policy.require(actor, "registry:manage_protected_aliases", link.model.team)
    link.delete()


@transaction.atomic
def model_alias_set(*, actor, model: RegisteredModel, alias: str, link: ModelVersion) -> ModelAlias:
    _require_alias(actor, model, alias)
    alias = clean_alias(alias)
    if link.model_id != model.pk:
        raise ValidationError({"version": ["That version belongs to another model."]})
    found, _ = ModelAlias.objects.update_or_create(model=model, alias=alias, defaults={"model_version": link})
    return found


@transaction.atomic
def model_alias_delete(*, actor, model: RegisteredModel, alias: str):
    _require_alias(actor, model, alias)
    deleted, _ = ModelAlias.objects.filter(model=model, alias=alias).delete()
    if not deleted:
        raise policy.NotVisible(f"{model.name} has no alias {alias}.")


@transaction.atomic
def protected_aliases_set(*, actor, team: Team, aliases) -> list[str]:
    policy.require(actor, "registry:manage_protected_aliases", team)
    if not isinstance(aliases, list):
        raise ValidationError({"aliases": ["aliases is a list of alias names."]})
    clean = sorted({clean_alias(alias) for alias in aliases})
    row, _ = RegistrySettings.objects.select_for_update().get_or_create(team=team)
    before = list(row.protected_aliases)
    if clean != before:
        row.protected_aliases = clean
        row.save(update_fields=["protected_aliases"])
        audit.record(team=team, actor=actor, action="registry.protected_aliases_changed", target=team.slug, before=before, after=clean)
    return clean
