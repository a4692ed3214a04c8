"""The summary keeps each metric's last value, unless the script set that key itself."""

import pytest

from experiments import selectors, services
from teams import services as team_services
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    owner = factories.user()
    org = team_services.organization_create(actor=SYSTEM, slug="org", name="Org", admin=owner)
    team = team_services.team_create(organization=org, slug="lab", name="Lab", actor=SYSTEM, admin=owner)
    project = services.project_create(team=team, name="p", actor=owner)
    return services.run_create(project=project, actor=owner)


def log(run, step, **values):
    services.history_append(actor=SYSTEM, run=run, rows=[{"step": step, "values": values}])


def summary(run):
    run.refresh_from_db()
    return run.summary


def test_last_value_by_default(run):
    log(run, 0, loss=1.0, acc=0.1)
    log(run, 1, loss=0.5, acc=0.2)
    assert summary(run) == {"loss": 0.5, "acc": 0.2}


def test_a_key_the_script_sets_is_not_overwritten_by_logging(run):
    log(run, 0, acc=0.1)
    services.run_update(actor=SYSTEM, run=run, summary={"acc": 0.97, "best_epoch": 3})
    log(run, 1, acc=0.5)
    assert summary(run) == {"acc": 0.97, "best_epoch": 3}
    services.run_update(actor=SYSTEM, run=run, summary={"acc": None})  # unpinned and removed
    log(run, 2, acc=0.6)
    assert summary(run)["acc"] == 0.6


def test_non_finite_last_value_is_null_in_the_summary(run):
    log(run, 0, loss=float("nan"))
    assert summary(run) == {"loss": None}
    assert selectors.history_read(run, samples=0)["series"]["loss"]["values"] == [None]
