"""Writes for the team profile: the showcase of reports and projects (team:manage)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from teams import policy

from .models import ShowcaseItem


@transaction.atomic
def showcase_add(*, actor, team, report=None, project=None) -> ShowcaseItem:
    policy.require(actor, "team:manage", team)
    if (report is None) == (project is None):
        raise ValidationError({"item": ["Choose one report or one project to show."]})
    if (report and report.team_id != team.pk) or (project and project.team_id != team.pk):
        raise ValidationError({"item": ["Only the team's own reports and projects can be shown."]})
    if report is not None and report.visibility == "draft":
        raise ValidationError({"item": ["A draft cannot be showcased; publish it to the team or the world first."]})
    if ShowcaseItem.objects.filter(team=team, report=report, project=project).exists():
        raise ValidationError({"item": ["That is already on the profile."]})
    last = ShowcaseItem.objects.filter(team=team).order_by("-position").values_list("position", flat=True).first()
    return ShowcaseItem.objects.create(team=team, report=report, project=project, position=(last or 0) + 1)


@transaction.atomic
def showcase_move(*, actor, item: ShowcaseItem, direction: str) -> None:
    policy.require(actor, "team:manage", item.team)
    items = list(ShowcaseItem.objects.select_for_update().filter(team_id=item.team_id).order_by("position", "id"))
    index = next(n for n, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items, start=1):
        if other.position != position:
            ShowcaseItem.objects.filter(pk=other.pk).update(position=position)


def showcase_remove(*, actor, item: ShowcaseItem) -> None:
    policy.require(actor, "team:manage", item.team)
    item.delete()
