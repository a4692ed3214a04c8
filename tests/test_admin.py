"""Every model in the Django admin opens for a site operator, with data in it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from teamsite import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    demo.load_demo()
    from accounts.models import User

    client.force_login(User.objects.get(username="operator"))
    return client


def test_every_changelist_and_change_page_opens(operator_client):
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = operator_client.get(changelist)
        assert response.status_code == 200, changelist
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            assert operator_client.get(change).status_code == 200, change


def test_search_works_on_runs_and_keys(operator_client):
    assert operator_client.get(reverse("admin:experiments_run_changelist") + "?q=baseline").status_code == 200
    assert operator_client.get(reverse("admin:accounts_apikey_changelist") + "?q=ada").status_code == 200


def test_guardian_object_permissions_page_for_a_project(operator_client):
    from experiments.models import Project

    project = Project.objects.first()
    url = reverse("admin:experiments_project_permissions", args=[project.pk])
    response = operator_client.get(url)
    assert response.status_code == 200
    assert project.created_by.username in response.content.decode()


def test_members_and_viewers_cannot_open_the_admin(client):
    demo.load_demo()
    from accounts.models import User

    client.force_login(User.objects.get(username="max"))
    assert client.get("/admin/").status_code == 302
