"""Runs: start (creating the project when needed), change, heartbeat, stop, delete, move."""

import math
import re
import secrets
import string
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict
from teams import policy
from teams.models import Team

from ..models import Project, Run, RunState, Visibility, crash_after
from .projects import project_create
from .storage import delete_stored

FINAL_STATES = {RunState.FINISHED, RunState.FAILED, RunState.STOPPED}
RUN_ID_ALPHABET = string.ascii_lowercase + string.digits
RUN_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def new_run_id() -> str:
    return "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(8))


def resolve_attribution(*, team: Team, actor: User, username: str | None, user_email: str | None) -> User:
    """The person a run belongs to: the caller, or for a service account the member it names."""
    if not (username or user_email):
        return actor
    if not actor.is_service:
        if (username and username != actor.username) or (user_email and user_email.lower() != (actor.email or "").lower()):
            raise ValidationError({"username": ["Only service accounts may log runs for someone else."]})
        return actor
    members = User.objects.filter(memberships__team=team, is_service=False, is_active=True)
    person = None
    if username:
        person = members.filter(username=username).first()
    elif user_email:
        person = members.filter(Q(email__iexact=user_email) | Q(emailaddress__email__iexact=user_email, emailaddress__verified=True)).first()
    if person is None:
        named = username or user_email
        field = "username" if username else "user_email"
        raise ValidationError({field: [f"{named} is not a member of {team.name}; a run can only be credited to a member."]})
    return person


@transaction.atomic
def run_start(*, actor, team: Team, project_name: str, project: Project | None = None, **fields) -> Run:
    """Start a run in `team`'s project of that name, creating the project when the actor may (project:create)."""
    if project is None:
        project = project_create(actor=actor, team=team, name=project_name)  # a refused run rolls it back
    return run_create(actor=actor, project=project, **fields)


@transaction.atomic
def run_create(
    *,
    actor,
    project: Project,
    run_id: str | None = None,
    name: str = "",
    config: dict | None = None,
    tags: list | None = None,
    notes: str = "",
    group: str = "",
    job_type: str = "",
    host: str = "",
    username: str | None = None,
    user_email: str | None = None,
) -> Run:
    policy.require(actor, "run:log", project)
    creator = resolve_attribution(team=project.team, actor=actor, username=username, user_email=user_email)
    run_id = (run_id or "").strip() or new_run_id()
    errors = {}
    if not RUN_ID.fullmatch(run_id):
        errors["run_id"] = ["Run ids use 1 to 64 letters, digits, dots, dashes or underscores."]
    if config is not None and not isinstance(config, dict):
        errors["config"] = ["config is an object of names to values."]
    if tags is not None and not _good_tags(tags):
        errors["tags"] = ["tags is a list of short strings."]
    if errors:
        raise ValidationError(errors)
    if Run.everything.filter(project=project, run_id=run_id).exists():
        raise Conflict(f"{project} already has a run with the id {run_id}.")
    now = timezone.now()
    run = Run(
        project=project,
        run_id=run_id,
        name=(name or "").strip()[:128] or run_id,
        config=finite(config or {}),
        tags=sorted(set(tags or [])),
        notes=notes or "",
        group=(group or "")[:128],
        job_type=(job_type or "")[:64],
        host=(host or "")[:255],
        created_by=creator,
        logged_by=actor,
        created_at=now,
        heartbeat_at=now,
    )
    run.full_clean(exclude=["project", "created_by", "logged_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        if Run.everything.filter(project=project, run_id=run_id).exists():
            raise Conflict(f"{project} already has a run with the id {run_id}.") from None
        raise
    policy.grant_owner(creator, run)
    return run


def _good_tags(tags):
    return isinstance(tags, list) and all(isinstance(t, str) and 0 < len(t) <= 64 for t in tags)


def _merge(current: dict, changes: dict) -> dict:
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


LOGGER_FIELDS = {"config", "summary", "state", "name"}  # its logger, or run:delete_any
WORKSPACE_FIELDS = {"notes", "tags"}  # run:edit_workspace


@transaction.atomic
def run_update(*, actor, run: Run, **changes) -> Run:
    """Change a run; config and summary merge key by key (a null value removes the key)."""
    policy.require(actor, "run:view", run)
    if set(changes) & LOGGER_FIELDS:
        policy.require(actor, "run:edit", run)
    if set(changes) & WORKSPACE_FIELDS:
        policy.require(actor, "run:edit_workspace", run)
    errors = {}
    for field in ("config", "summary"):
        if field in changes and not isinstance(changes[field], dict):
            errors[field] = [f"{field} is an object of names to values."]
    if "state" in changes and changes["state"] not in RunState.values:
        errors["state"] = [f"state is one of {', '.join(RunState.values)}."]
    if "tags" in changes and not _good_tags(changes["tags"]):
        errors["tags"] = ["tags is a list of short strings."]
    if errors:
        raise ValidationError(errors)
    run = Run.objects.select_for_update().get(pk=run.pk)
    ended = changes.get("state") in FINAL_STATES and run.state not in FINAL_STATES
    for field, value in changes.items():
        if field in ("config", "summary"):
            # null removes a key; NaN or infinity is kept, as null (JSON has neither)
            setattr(run, field, finite(_merge(getattr(run, field), value)))
            if field == "summary":
                pinned = set(run.pinned_summary_keys) | {key for key, v in value.items() if v is not None}
                run.pinned_summary_keys = sorted(pinned - {key for key, v in value.items() if v is None})
        elif field == "state":
            run.state = value
            run.finished_at = None if value == RunState.RUNNING else (run.finished_at or timezone.now())
        elif field == "tags":
            run.tags = sorted(set(value))
        elif field in ("name", "notes"):
            setattr(run, field, (value or "").strip() if field == "name" else value or "")
            mirrored = "mlflow.runName" if field == "name" else "mlflow.note.content"
            if mirrored in run.mlflow_tags:  # MLflow's tag follows the run (experiments/services/keyvalues.py)
                run.mlflow_tags = {**run.mlflow_tags, mirrored: getattr(run, field)}
        else:
            raise ValueError(field)
    run.full_clean(exclude=["project", "created_by", "logged_by"], validate_constraints=False)
    run.save()
    if ended:  # run.finished: webhooks and mails, from the worker
        from ..tasks import run_ended

        transaction.on_commit(lambda: run_ended.enqueue(run.pk))
    return run


def run_heartbeat(*, actor, run: Run) -> bool:
    """Record that the run is alive; returns whether someone asked it to stop."""
    policy.require(actor, "run:log", run)
    fields = {"heartbeat_at": timezone.now()}
    if run.state == RunState.CRASHED:
        fields["state"] = RunState.RUNNING
    Run.objects.filter(pk=run.pk).update(**fields)
    if run.sweep_id:  # hyperband may stop a sweep's run that fell behind
        from .sweeps import sweep_check_early_stop

        sweep_check_early_stop(run)
    return Run.objects.filter(pk=run.pk).values_list("stop_requested", flat=True).get()


def run_stop(*, actor, run: Run) -> Run:
    policy.require(actor, "run:stop", run)
    if run.state in FINAL_STATES:
        raise Conflict(f"The run {run.run_id} is already {run.state}.")
    Run.objects.filter(pk=run.pk).update(stop_requested=True)
    run.stop_requested = True
    return run


@transaction.atomic
def run_delete(*, actor, run: Run) -> None:
    policy.require(actor, "run:delete", run)
    files = list(run.files.values_list("storage", "file")) + [(None, name) for name in run.media.values_list("file", flat=True)]
    run.delete()  # guardian's direct-FK grants go with it (CASCADE)
    transaction.on_commit(lambda: delete_stored(files))


@transaction.atomic
def run_move(*, actor, run: Run, target: Project) -> Run:
    """Move a run to another project of its team: its creator or an admin, who may log in the target."""
    policy.require(actor, "run:move", run)
    if target.team_id != run.project.team_id:
        raise ValidationError({"project": ["Runs move between projects of the same team."]})
    policy.require(actor, "run:log", target)
    if run.project.visibility == Visibility.RESTRICTED:
        raise Conflict("Runs cannot be moved out of a restricted project.")
    if target.pk == run.project_id:
        return run
    if Run.everything.filter(project=target, run_id=run.run_id).exists():
        raise Conflict(f"{target} already has a run with the id {run.run_id}.")
    run.project = target
    run.save(update_fields=["project"])
    return run  # its creator, and so who may delete it, does not change


def runs_mark_crashed() -> int:
    """Store `crashed` for running runs whose client went silent, firing run.crashed for each.
    The worker's schedule runs it (experiments/events.py), never a page view."""
    from ..events import detect_crashes

    return detect_crashes()


def finite(value):
    """JSON has no NaN or infinity: such numbers in config and summary become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value
