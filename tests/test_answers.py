"""How refusals answer (issue 13, spec/permissions.md "Answers"): the API never answers HTML,
a 403 says in plain words who can help (and names the scope), a refusal is one log line,
and a signed-out visit to a private page goes to sign-in and back."""

import logging

import pytest
from django.test import Client

from accounts.services import api_key_create
from experiments import services as experiments
from teams import services as ts
from teams.policy import SYSTEM
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db):
    alice = factories.user(username="alice")
    org = ts.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = ts.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    bob = factories.user(username="bob")
    ts.org_member_set(actor=SYSTEM, organization=org, user=bob, role="member")
    ts.member_add(actor=SYSTEM, team=team, user=bob, role="admin")
    vera = factories.user(username="vera")
    ts.org_member_set(actor=SYSTEM, organization=org, user=vera, role="member")
    ts.member_add(actor=SYSTEM, team=team, user=vera, role="viewer")
    experiments.project_create(actor=alice, team=team, name="mnist")
    return {"alice": alice, "bob": bob, "vera": vera, "team": team, "vera_key": api_key_create(actor=vera, name="k").key, "bob_key": api_key_create(actor=bob, name="k").key}


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_wrong_method_is_405_in_the_error_shape(lab):
    response = Client().delete("/api/v1/viewer", **bearer(lab["vera_key"]))
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid" and "DELETE is not allowed" in response.json()["error"]["message"]


def test_unknown_path_is_404_in_the_error_shape(lab):
    response = Client().get("/api/v1/no/such/thing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_key_needs_no_csrf_token(lab):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/api/v1/teams/vision/projects", {"name": "cifar"}, content_type="application/json", **bearer(lab["bob_key"]))
    assert response.status_code == 201, response.content


def test_a_session_without_its_csrf_token_is_refused_in_the_error_shape(lab):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(lab["bob"])
    response = browser.post("/api/v1/teams/vision/projects", {"name": "cifar"}, content_type="application/json")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"


def test_anonymous_gets_401_for_what_it_cannot_see(lab):
    for path in ("/api/v1/teams/vision/projects/mnist", "/api/v1/teams/vision/projects/nothing", "/api/v1/teams/vision/members"):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_403_says_who_can_help_and_names_the_scope(lab):
    response = Client().put("/api/v1/teams/vision/members/alice", {"role": "viewer"}, content_type="application/json", **bearer(lab["vera_key"]))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["message"] == "Only team admins can change the team's settings, roles and service accounts in Vision. Ask alice or bob. (It needs team:manage.)"
    assert error["scope"] == "team:manage"


def test_a_refusal_is_one_log_line(lab, caplog):
    from core.logs import RefusalsInOneLine

    browser = Client()
    browser.force_login(lab["vera"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert browser.get("/vision/settings/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    RefusalsInOneLine().filter(record)
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "Only team admins" in record.getMessage()


def test_the_page_403_says_it_in_plain_words(lab):
    browser = Client()
    browser.force_login(lab["vera"])
    body = browser.get("/vision/settings/").content.decode()
    assert "Only team admins can change" in body and "Ask alice or bob." in body


def test_signed_out_visit_to_a_private_page_signs_in_and_comes_back(lab):
    browser = Client()
    response = browser.get("/vision/mnist/?q=x")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/vision/mnist/%3Fq%3Dx"
    signed_in = browser.post(response["Location"], {"login": "vera", "password": factories.PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/vision/mnist/?q=x"
