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
        assert response.context["cl"].result_count == model.objects.count(), changelist  # every row listed
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            opened = operator_client.get(change)
            assert opened.status_code == 200, change
            assert opened.context["original"].pk == first.pk, change


def test_search_works_on_runs_and_keys(operator_client):
    from accounts.models import ApiKey
    from experiments.models import Run

    runs = operator_client.get(reverse("admin:experiments_run_changelist") + "?q=baseline")
    assert runs.status_code == 200
    found = list(runs.context["cl"].result_list)
    assert found and all("baseline" in (run.name + run.run_id + run.notes).lower() for run in found)
    assert len(found) < Run.objects.count()  # the search narrowed the list
    owner = ApiKey.objects.order_by("pk").first().user.username  # the demo's keys belong to its service account
    keys = operator_client.get(reverse("admin:accounts_apikey_changelist") + f"?q={owner}")
    assert {key.user.username for key in keys.context["cl"].result_list} == {owner}
    assert keys.context["cl"].result_count == ApiKey.objects.filter(user__username=owner).count()


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
