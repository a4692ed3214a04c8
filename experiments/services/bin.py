"""The bin: runs and projects deleted through the MLflow API, kept until they are restored.

MLflow's `runs/delete` and `experiments/delete` only move things to a "deleted"
lifecycle stage, and `runs/restore` / `experiments/restore` bring them back.
Teamsite's own delete (pages, /api/v1) still removes for good; what lies in the
bin is hidden from every teamsite page and list (the default managers skip it).
"""

from django.db import transaction
from django.utils import timezone

from teams import audit, policy

from ..models import Project, Run


@transaction.atomic
def run_trash(*, actor, run: Run) -> Run:
    policy.require(actor, "run:delete", run)
    if run.deleted_at is None:
        run.deleted_at = timezone.now()
        Run.everything.filter(pk=run.pk).update(deleted_at=run.deleted_at)
    return run


@transaction.atomic
def run_restore(*, actor, run: Run) -> Run:
    policy.require(actor, "run:delete", run)
    if run.deleted_at is not None:
        run.deleted_at = None
        Run.everything.filter(pk=run.pk).update(deleted_at=None)
    return run


@transaction.atomic
def project_trash(*, actor, project: Project) -> Project:
    policy.require(actor, "project:delete", project)
    if project.deleted_at is None:
        project.deleted_at = timezone.now()
        Project.everything.filter(pk=project.pk).update(deleted_at=project.deleted_at)
        audit.record(team=project.team, actor=actor, action="project.deleted", target=project.name,
                     runs=Run.everything.filter(project=project).count(), visibility=project.visibility, restorable=True)
    return project


@transaction.atomic
def project_restore(*, actor, project: Project) -> Project:
    policy.require(actor, "project:delete", project)
    if project.deleted_at is not None:
        project.deleted_at = None
        Project.everything.filter(pk=project.pk).update(deleted_at=None)
    return project
