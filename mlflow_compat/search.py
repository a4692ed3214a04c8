"""runs/search: a parsed filter (filters.py) and order_by as ONE queryset, and page tokens.

metrics.K is the metric's latest value (the series' last_value, a correlated
subquery), params.K is config[K] as text, tags.K is mlflow_tags[K]
(tags.mlflow.runName is the run's name), attributes.* are run columns.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone as dt_timezone

from django.db.models import F, OuterRef, Q, Subquery, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from experiments.models import MetricSeries, SeriesKind

from .filters import Comparison, FilterError, like_regex, parse_order_by

# MLflow's run statuses and the teamsite states each one means.
STATUS_STATES = {
    "RUNNING": ("running",),
    "SCHEDULED": (),
    "FINISHED": ("finished",),
    "FAILED": ("failed", "crashed"),
    "KILLED": ("stopped",),
}
ATTRIBUTE_FIELDS = {"run_id": "run_id", "run_name": "name", "user_id": "created_by__username", "start_time": "created_at", "end_time": "finished_at"}
MAX_RESULTS = 50_000


def _metric(key):
    latest = MetricSeries.objects.filter(run=OuterRef("pk"), kind=SeriesKind.HISTORY, key=key).values("last_value")[:1]
    return Subquery(latest)


def _expression(entity, key):
    """The SQL value an identifier stands for, or a run field name."""
    if entity == "metric":
        return _metric(key)
    if entity == "param":
        return Cast(KeyTextTransform(key, "config"), TextField())
    if entity == "tag":
        if key == "mlflow.runName":
            return F("name")
        return Cast(KeyTextTransform(key, "mlflow_tags"), TextField())  # text, never JSON, on both databases
    if key == "status":
        return F("state")
    if key == "artifact_uri":
        return None
    return F(ATTRIBUTE_FIELDS[key])


def _moment(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=dt_timezone.utc)


def _string_condition(alias, op, value):
    present = Q(**{f"{alias}__isnull": False})
    if op == "=":
        return Q(**{alias: value})
    if op == "!=":
        return present & ~Q(**{alias: value})
    if op == "LIKE":
        return Q(**{f"{alias}__regex": "(?s)" + like_regex(value)})
    if op == "ILIKE":
        return Q(**{f"{alias}__iregex": "(?s)" + like_regex(value)})
    if op == "IN":
        return Q(**{f"{alias}__in": list(value)})
    return present & ~Q(**{f"{alias}__in": list(value)})


NUMBER_LOOKUPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _number_condition(alias, op, value):
    if op == "!=":
        return Q(**{f"{alias}__lt": value}) | Q(**{f"{alias}__gt": value})
    return Q(**{f"{alias}__{NUMBER_LOOKUPS[op]}": value})


def _time_condition(field, op, ms):
    """Milliseconds against a datetime column: a run started at 12.3456 ms counts as 12 ms."""
    start, after = _moment(ms), _moment(ms + 1)
    whole = float(int(ms)) == ms
    if op in ("=", "!="):
        inside = Q(**{f"{field}__gte": start, f"{field}__lt": after}) if whole else Q(pk__in=[])
        return inside if op == "=" else Q(**{f"{field}__isnull": False}) & ~inside
    if op == "<":
        return Q(**{f"{field}__lt": start if whole else after})
    if op == "<=":
        return Q(**{f"{field}__lt": after})
    if op == ">":
        return Q(**{f"{field}__gte": after})
    return Q(**{f"{field}__gte": start if whole else after})


def _status_condition(op, value):
    """Status compares MLflow names; which teamsite states those are is worked out here."""
    names = list(STATUS_STATES)
    if op in ("=", "!="):
        chosen = [name for name in names if name == value]
    elif op in ("LIKE", "ILIKE"):
        flags = re.IGNORECASE if op == "ILIKE" else 0
        chosen = [name for name in names if re.match(like_regex(value), name, flags | re.DOTALL)]
    else:
        chosen = [name for name in names if name in value]
    states = [state for name in chosen for state in STATUS_STATES[name]]
    return ~Q(state__in=states) if op in ("!=", "NOT IN") else Q(state__in=states)


def apply_filter(runs, comparisons: list[Comparison]):
    """The runs matching every comparison: one queryset, each metric or key a subquery or JSON path."""
    annotations, condition = {}, Q()
    for n, c in enumerate(comparisons):
        if c.entity == "attribute" and c.key == "status":
            condition &= _status_condition(c.op, c.value)
            continue
        if c.entity == "attribute" and c.key in ("start_time", "end_time"):
            condition &= _time_condition(ATTRIBUTE_FIELDS[c.key], c.op, c.value)
            continue
        if c.entity == "attribute" and c.key == "artifact_uri":
            raise FilterError("Filtering on attributes.artifact_uri is not supported here.")
        alias = f"_f{n}"
        annotations[alias] = _expression(c.entity, c.key)
        build = _number_condition if c.numeric else _string_condition
        condition &= build(alias, c.op, c.value)
    return runs.annotate(**annotations).filter(condition) if annotations else runs.filter(condition)


def apply_order(runs, order_by: list[str] | None):
    """MLflow's order_by clauses; missing values last either way; newest first and the id break ties."""
    annotations, ordering = {}, []
    for n, clause in enumerate(order_by or []):
        entity, key, ascending = parse_order_by(clause)
        if entity == "attribute" and key == "artifact_uri":
            raise FilterError("Ordering by attributes.artifact_uri is not supported here.")
        alias = f"_o{n}"
        annotations[alias] = _expression(entity, key)
        ordering.append(F(alias).asc(nulls_last=True) if ascending else F(alias).desc(nulls_last=True))
    ordering += [F("created_at").desc(), F("id").desc()]
    return runs.annotate(**annotations).order_by(*ordering) if annotations else runs.order_by(*ordering)


def page_token_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_token_decode(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))["offset"]
    except (ValueError, KeyError, TypeError):
        raise FilterError(f"Invalid page token {token[:40]!r}: pass the next_page_token of the previous page.") from None
    if not isinstance(offset, int) or offset < 0:
        raise FilterError("Invalid page token: pass the next_page_token of the previous page.")
    return offset


def max_results_of(value, default=1000, limit=MAX_RESULTS) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FilterError(f"max_results must be a whole number, not {value!r}.") from None
    if not 1 <= number <= limit:
        raise FilterError(f"Invalid value {number} for parameter 'max_results' supplied. It must be at most {limit:,}, and at least 1.")
    return number


def page(queryset, max_results: int, token: str | None):
    """(rows, next_page_token or None): one query, asking one row more than the page to know whether there is another."""
    offset = page_token_decode(token)
    rows = list(queryset[offset : offset + max_results + 1])
    more = len(rows) > max_results
    return rows[:max_results], (page_token_encode(offset + max_results) if more else None)
