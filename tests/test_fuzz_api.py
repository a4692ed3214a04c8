"""Fuzz every operation of the JSON API with schemathesis, signed in as a member.

Path parameters are pinned to a real team, project, run and report, so the
generated bodies and queries reach the code behind them rather than a 404. What
must hold for every answer: never a 5xx, and every refusal in the error shape.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from experiments import services as experiments
from tests import factories

pytestmark = [pytest.mark.django_db]

@pytest.fixture
def wsgi_app():
    """The site as WSGI, keeping the test's database connection open between requests (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db, tmp_path):
    w = factories.team_with_members(slug="fz")
    project = factories.project(w.team, actor=w.admin, name="vision")
    run = factories.run(project, actor=w.member, run_id="r1", history=3)
    experiments.logs_append(actor=w.member, run=run, lines=["hello"])
    report = factories.report(w.team, author=w.member)
    comment = factories.comment(report, author=w.member)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry import services as registry

    version = registry.version_create(actor=w.member, project=project, name="mnist", type="dataset", aliases=["best"],
                                      entries=registry.entries_from_uploads({"a.txt": SimpleUploadedFile("a.txt", b"a")}))[0]
    model = registry.model_create(actor=w.member, team=w.team, name="clf")
    registry.model_link(actor=w.member, model=model, version=version)
    sweep = experiments.sweep_create(actor=w.member, project=project, config={
        "method": "grid", "metric": {"name": "loss", "goal": "minimize"}, "parameters": {"lr": {"values": [0.1, 0.01]}}})
    w.pinned = {
        "team": "fz", "project": "vision", "run_id": "r1", "report_id": str(report.pk),
        "comment_id": str(comment.pk), "username": w.viewer.username, "org": w.org.slug,
        "name": "mnist", "model": "clf", "version": "v0", "alias": "best", "sweep_id": sweep.sweep_id,
    }
    w.key = factories.api_key(w.member)
    return w


def the_error_shape(ctx, response, case):
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error"), dict), f"{case.method} {case.formatted_path}: {response.text[:200]}"
        assert {"code", "message"} <= set(body["error"]), body


def test_no_operation_answers_5xx_or_leaves_the_error_shape(fuzz_world, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60  # every operation of spec/api.md, not a few
    answered = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def fuzz(case):
            for name in list(case.path_parameters or {}):
                if name in fuzz_world.pinned:
                    case.path_parameters[name] = fuzz_world.pinned[name]
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {fuzz_world.key}"},
                checks=[not_a_server_error, the_error_shape],
            )
            answered.append(response.status_code)

        fuzz()
    # the pinned names reach real objects: plenty of answers are not refusals
    assert len(answered) > 300 and sum(status < 300 for status in answered) > len(answered) // 5, sorted(set(answered))
