"""The runs/search grammar: the parser round-trips what it reads, refuses what MLflow refuses, and the
ONE queryset it becomes agrees with a plain Python evaluator of the same filter (hypothesis)."""

import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from experiments import services as experiments
from experiments.models import Run
from mlflow_compat import search
from mlflow_compat.filters import Comparison, FilterError, parse_filter, parse_order_by, render
from tests import factories
from tests.worlds import built_once

KEYS = ["loss", "acc", "my key", "a.b"]
TEXTS = ["", "dev", "Dev", "prod", "d%x", "it's", 'say "hi"', "a_b", "0.01"]


def comparisons():
    metric = st.builds(Comparison, st.just("metric"), st.sampled_from(KEYS), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
                       st.sampled_from([0.0, 0.5, 1.0, -2.5, 3.0, 1e-3]))
    patterns = st.sampled_from(["d%", "%o%", "D%", "_ev", "%", "pro_", "it%", "%\"%"])
    text_ops = st.one_of(
        st.tuples(st.sampled_from(["=", "!="]), st.sampled_from(TEXTS)),
        st.tuples(st.sampled_from(["LIKE", "ILIKE"]), patterns),
        st.tuples(st.sampled_from(["IN", "NOT IN"]), st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3).map(tuple)),
    )
    keyed = st.builds(lambda entity, key, opv: Comparison(entity, key, opv[0], opv[1]),
                      st.sampled_from(["param", "tag"]), st.sampled_from(KEYS), text_ops)
    names = st.builds(lambda opv: Comparison("attribute", "run_name", opv[0], opv[1]), text_ops)
    status = st.builds(lambda op, v: Comparison("attribute", "status", op, v), st.sampled_from(["=", "!="]),
                       st.sampled_from(["RUNNING", "FINISHED", "FAILED", "KILLED"]))
    return st.one_of(metric, keyed, names, status)


FILTERS = st.lists(comparisons(), min_size=0, max_size=4)


@given(FILTERS)
def test_parse_reads_back_what_render_writes(filters):
    assert parse_filter(render(filters)) == filters


@pytest.mark.parametrize("text", [
    "metrics.acc > 'high'", "params.lr > '1'", "foo.x = 1", "metrics.a = 1 OR metrics.b = 2", "metrics.a",
    "attributes.bogus = 'x'", "metrics.a = 1 AND", "params.lr = 0.1", "tags.x IN 'a'", "tags.x IN ('a',", "metrics.`unclosed = 1",
    "metrics.a = = 1", "params. = 'x'",
])
def test_what_mlflow_refuses_is_refused(text):
    with pytest.raises(FilterError):
        parse_filter(text)


def test_spellings_mlflow_accepts():
    assert parse_filter("metric.acc>=0.5 and param.lr='1' AND tag.`x y` != \"z\" and attr.run_id in ('a')") == [
        Comparison("metric", "acc", ">=", 0.5), Comparison("param", "lr", "=", "1"),
        Comparison("tag", "x y", "!=", "z"), Comparison("attribute", "run_id", "IN", ("a",)),
    ]
    assert parse_filter('metrics."a b" < 1e3')[0] == Comparison("metric", "a b", "<", 1000.0)
    assert parse_order_by("metrics.`a b` DESC") == ("metric", "a b", False)
    assert parse_order_by("start_time") == ("attribute", "start_time", True)


# --- The queryset against a reference evaluator ------------------------------------------

STATUS = {"running": "RUNNING", "finished": "FINISHED", "failed": "FAILED", "stopped": "KILLED"}


def _like(pattern, value, flags=0):
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def reference(run, c: Comparison) -> bool:
    """What a filter means, said plainly over a dict: a missing value never matches (as in SQL)."""
    if c.entity == "attribute" and c.key == "status":
        value = STATUS[run["state"]]
    else:
        value = {"metric": run["metrics"], "param": run["params"], "tag": run["tags"]}.get(c.entity, {"run_name": run["name"]}).get(c.key)
    if value is None:
        return False
    op, wanted = c.op, c.value
    if op == "=":
        return value == wanted
    if op == "!=":
        return value != wanted
    if op == "<":
        return value < wanted
    if op == "<=":
        return value <= wanted
    if op == ">":
        return value > wanted
    if op == ">=":
        return value >= wanted
    if op == "LIKE":
        return _like(wanted, value)
    if op == "ILIKE":
        return _like(wanted, value, re.IGNORECASE)
    if op == "IN":
        return value in wanted
    return value not in wanted


RUNS = [
    {"name": "dev", "state": "running", "metrics": {"loss": 0.5, "acc": 1.0}, "params": {"loss": "dev", "my key": "0.01"}, "tags": {"acc": "Dev"}},
    {"name": "prod", "state": "finished", "metrics": {"loss": 1.0, "my key": -2.5}, "params": {"a.b": "prod"}, "tags": {"loss": "d%x", "a.b": "it's"}},
    {"name": "it's", "state": "failed", "metrics": {"a.b": 3.0}, "params": {"acc": 'say "hi"'}, "tags": {"my key": "a_b", "acc": ""}},
    {"name": "a_b", "state": "stopped", "metrics": {}, "params": {}, "tags": {"loss": "prod"}},
    {"name": "Dev", "state": "finished", "metrics": {"loss": 0.001, "acc": 0.5}, "params": {"loss": "Dev"}, "tags": {}},
]


def _build():
    owner = factories.user(username="filter-owner")
    team = factories.team(admin=owner)
    project = factories.project(team, actor=owner)
    pks = {}
    for n, spec in enumerate(RUNS):
        run = experiments.run_create(actor=owner, project=project, run_id=f"f{n}", name=spec["name"])
        experiments.run_params_tags_log(actor=owner, run=run, params=spec["params"], tags=spec["tags"])
        for key, value in sorted(spec["metrics"].items()):  # the latest value counts, not the first
            experiments.history_append(actor=owner, run=run, rows=[{"step": 0, "values": {key: 9.0}}, {"step": 1, "values": {key: value}}])
        if spec["state"] != "running":
            experiments.run_update(actor=owner, run=run, state=spec["state"])
        pks[run.pk] = spec
    return SimpleNamespace(project=project, pks=pks)


@pytest.fixture(scope="module")
def stored(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, _build)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FILTERS)
def test_the_queryset_agrees_with_the_reference(stored, django_db_blocker, filters):
    with django_db_blocker.unblock():
        runs = search.apply_filter(Run.everything.filter(project=stored.project), filters)
        got = set(runs.values_list("pk", flat=True))
    expected = {pk for pk, spec in stored.pks.items() if all(reference(spec, c) for c in filters)}
    assert got == expected, render(filters)


@pytest.mark.django_db
def test_order_by_puts_missing_values_last(stored, django_db_blocker):
    with django_db_blocker.unblock():
        base = Run.everything.filter(project=stored.project)
        names = [stored.pks[pk]["name"] for pk in search.apply_order(base, ["metrics.loss DESC"]).values_list("pk", flat=True)]
        assert names[:3] == ["prod", "dev", "Dev"] and set(names[3:]) == {"it's", "a_b"}
        names = [stored.pks[pk]["name"] for pk in search.apply_order(base, ["metrics.loss"]).values_list("pk", flat=True)]
        assert names[:3] == ["Dev", "dev", "prod"]
        names = [stored.pks[pk]["name"] for pk in search.apply_order(base, ["params.loss ASC"]).values_list("pk", flat=True)]
        assert names[:2] == ["Dev", "dev"]


@pytest.mark.django_db
def test_a_search_is_one_query(stored, django_db_blocker, django_assert_num_queries):
    with django_db_blocker.unblock():
        filters = parse_filter("metrics.loss < 2 AND params.loss LIKE '%ev' AND tags.acc != 'x' AND attributes.status IN ('RUNNING', 'FINISHED')")
        runs = search.apply_order(search.apply_filter(Run.everything.filter(project=stored.project), filters), ["metrics.acc DESC"])
        with django_assert_num_queries(1):
            assert [run.name for run in runs] == ["dev"]  # "Dev" has no tags.acc: a missing value never matches
