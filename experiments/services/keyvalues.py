"""Params and key/value tags, as MLflow clients log them.

A param is `config[key]`, written once: the same value again is fine, a different
one is refused (MLflow params are immutable). MLflow tags live in `mlflow_tags`
beside teamsite's `tags` list; `mlflow.runName` follows the run's name and
`mlflow.note.content` is the run's notes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from teams import policy

from ..models import Run

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"


def _check_keys(keys, what):
    for key in keys:
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationError({what: [f"{what} keys are 1 to {MAX_KEY_LENGTH} characters (got {str(key)[:60]!r})."]})


@transaction.atomic
def run_params_tags_log(*, actor, run: Run, params: dict | None = None, tags: dict | None = None, delete_tags=()) -> Run:
    """Log params (immutable) and set or delete MLflow tags, in one write.

    Values are strings (MLflow's); params over 6000 and tags over 8000 characters are
    cut, as MLflow's server does by default.
    """
    policy.require(actor, "run:edit", run)
    params, tags = params or {}, tags or {}
    _check_keys(params, "params")
    _check_keys(tags, "tags")
    _check_keys(delete_tags, "tags")
    run = Run.everything.select_for_update().get(pk=run.pk)
    fields = set()
    if params:
        config = dict(run.config)
        for key, value in params.items():
            value = str(value)[:MAX_PARAM_VALUE]
            if key in config and _as_text(config[key]) != value:
                raise ValidationError(
                    {"params": [f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                                f"value='{_as_text(config[key])}' for run ID='{run.run_id}'. Attempted logging new value '{value}'."]},
                    code="changed",
                )
            config[key] = value if key not in config else config[key]
        run.config = config
        fields.add("config")
    if tags or delete_tags:
        merged = dict(run.mlflow_tags)
        for key in delete_tags:
            if key not in merged:
                raise ValidationError({"tags": [f"No tag with name: {key} in run with id {run.run_id}"]}, code="missing")
            merged.pop(key)
        for key, value in tags.items():
            merged[key] = str(value)[:MAX_TAG_VALUE]
        if RUN_NAME_TAG in tags and merged[RUN_NAME_TAG].strip():
            run.name = merged[RUN_NAME_TAG].strip()[:128]
            fields.add("name")
        if NOTE_TAG in tags or NOTE_TAG in delete_tags:
            run.notes = merged.get(NOTE_TAG, "")[:20_000]
            fields.add("notes")
        run.mlflow_tags = merged
        fields.add("mlflow_tags")
    if fields:
        run.save(update_fields=sorted(fields))
    return run


def _as_text(value) -> str:
    """A config value as MLflow shows a param: strings as they are, numbers and booleans as Python prints them."""
    return value if isinstance(value, str) else str(value)
