"""Exports of a team (team:manage): start one; the worker builds it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from teams import audit, policy

from .models import Export


@transaction.atomic
def export_create(*, actor, team) -> Export:
    policy.require(actor, "team:manage", team)
    if Export.objects.filter(team=team, state__in=[Export.QUEUED, Export.RUNNING]).exists():
        raise ValidationError({"export": ["An export of this team is already being built; wait for it to finish."]})
    export = Export.objects.create(team=team, created_by=actor if actor.pk else None)
    audit.record(team=team, actor=actor, action="export.created", target=team.slug, export=export.pk)
    from .tasks import build_export

    transaction.on_commit(lambda: build_export.enqueue(export.pk))
    return export


def export_for(*, actor, team, export_id) -> Export | None:
    """An export of the team, for someone who may manage it (policy asked; None when there is no such export)."""
    policy.require(actor, "team:manage", team)
    return Export.objects.filter(team=team, pk=export_id).first()
