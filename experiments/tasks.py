"""The experiments app's background tasks (Django's Tasks API)."""

from django_tasks import task


@task()
def check_alert_rules(run_pk: int, rule_ids: list[int]) -> int:
    from .events import rules_check

    return len(rules_check(run_pk, rule_ids))


@task()
def run_ended(run_pk: int, crashed: bool = False) -> None:
    from . import events
    from .models import Run

    run = Run.objects.select_related("project__team", "created_by").filter(pk=run_pk).first()
    if run is not None:
        events.run_ended(run, crashed=crashed)
