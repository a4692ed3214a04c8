"""The factories make what they say, through the services (so tests stand on real data)."""

import pytest

from experiments import selectors as experiment_selectors
from reports.models import Revision
from teams import policy
from teams.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


def test_team_with_members_has_one_person_in_each_role():
    w = factories.team_with_members()
    roles = dict(Membership.objects.filter(team=w.team).values_list("user__username", "role"))
    assert roles == {w.viewer.username: "viewer", w.member.username: "member", w.admin.username: "admin", w.service.username: "service"}
    assert not policy.can(w.outsider, "team:view", w.team)


def test_run_with_history_and_report_with_revisions():
    w = factories.team_with_members()
    project = factories.project(w.team, actor=w.admin)
    run = factories.run(project, actor=w.member, history=7, keys=("loss", "acc"))
    read = experiment_selectors.history_read(run, keys=["loss", "acc"], samples=0)
    assert read["total_points"] == {"loss": 7, "acc": 7}
    assert run.created_by == w.member
    report = factories.report(w.team, author=w.member, revisions=3)
    assert report.revision == 3 and Revision.objects.filter(report=report).count() == 3
    assert factories.comment(report, author=w.viewer).author == w.viewer
