import pytest

from registry import services
from registry.models import ModelVersion

from .conftest import log


def signed_in(client, user):
    client.force_login(user)
    return client


def test_pages_render_for_members_and_viewers(client, lab):
    v0, _ = log(lab.member, lab.project, files={"a.txt": b"one"}, aliases=["best"], run=lab.run)
    model = services.model_create(actor=lab.member, team=lab.team, name="classifier")
    services.model_link(actor=lab.member, model=model, version=v0)
    base = "/rlab/vision/artifacts/"
    member = signed_in(client, lab.member)
    for url in (base, base + "mnist/", base + "mnist/v0/", base + "mnist/v0/lineage/", "/rlab/registry/", "/rlab/registry/classifier/", "/rlab/vision/runs/train1/"):
        answer = member.get(url)
        assert answer.status_code == 200, url
    page = member.get(base + "mnist/v0/").content.decode()
    assert "Download" in page and "Link to registry" in page and "classifier v0" in page
    assert "mnist:v0" in member.get("/rlab/vision/runs/train1/").content.decode()
    assert member.get(base + "mnist/v0/files/a.txt").status_code == 200
    client.logout()
    viewer = signed_in(client, lab.viewer)
    page = viewer.get(base + "mnist/v0/").content.decode()
    assert "Download" not in page.replace("may look at artifacts but not download", "")
    assert viewer.get(base + "mnist/v0/files/a.txt").status_code == 403


def test_outsiders_get_404_and_visitors_sign_in(client, lab):
    log(lab.member, lab.project)
    assert client.get("/rlab/vision/artifacts/").status_code == 302
    outsider = signed_in(client, lab.outsider)
    assert outsider.get("/rlab/vision/artifacts/").status_code == 404
    assert outsider.get("/rlab/registry/").status_code == 403


def test_alias_set_in_place_and_link(client, lab):
    log(lab.member, lab.project, name="resnet", type="model")
    services.model_create(actor=lab.member, team=lab.team, name="classifier")
    member = signed_in(client, lab.member)
    answer = member.post("/rlab/vision/artifacts/resnet/aliases/", {"alias": "best", "version": "v0"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "best" in answer.content.decode() and "<html" not in answer.content.decode()
    bad = member.post("/rlab/vision/artifacts/resnet/aliases/", {"alias": "latest", "version": "v0"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400
    linked = member.post("/rlab/vision/artifacts/resnet/v0/link/", {"model": "classifier"})
    assert linked.status_code == 302 and ModelVersion.objects.count() == 1
    answer = member.post("/rlab/registry/classifier/aliases/", {"alias": "staging", "version": "v0"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "staging" in answer.content.decode()


def test_settings_pages(client, lab):
    registrar = signed_in(client, lab.registrar)
    assert registrar.get("/rlab/settings/registry/").status_code == 200
    assert registrar.post("/rlab/settings/registry/", {"protected": "production\nprod-eu"}).status_code == 302
    assert services.protected_aliases(lab.team) == ["prod-eu", "production"]
    client.logout()
    admin = signed_in(client, lab.admin)
    assert admin.get("/rlab/settings/storage/").status_code == 200
    assert admin.post("/rlab/settings/storage/", {"kind": "local"}).status_code == 302
    client.logout()
    member = signed_in(client, lab.member)
    assert member.get("/rlab/settings/storage/").status_code == 403
    assert member.get("/rlab/settings/registry/").status_code == 403


def test_list_pages_stay_flat(client, lab, django_assert_max_num_queries):
    member = signed_in(client, lab.member)
    log(lab.member, lab.project, name="a0")
    services.model_create(actor=lab.member, team=lab.team, name="m0")
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member.get("/rlab/vision/artifacts/"), member.get("/rlab/registry/")  # warm caches (site settings, session)
    for n in (1, 12):
        for i in range(n):
            log(lab.member, lab.project, name=f"a{n}-{i}", files={"x": f"{n}-{i}".encode()})
            model = services.model_create(actor=lab.member, team=lab.team, name=f"m{n}-{i}")
            services.model_alias_set(actor=lab.member, model=model, alias="a", link=services.model_link(actor=lab.member, model=model, version=log(lab.member, lab.project, name=f"a{n}-{i}", files={"x": b"z"})[0])[0])
        with CaptureQueriesContext(connection) as artifacts:
            assert member.get("/rlab/vision/artifacts/").status_code == 200
        with CaptureQueriesContext(connection) as models:
            assert member.get("/rlab/registry/").status_code == 200
        counts.append((len(artifacts), len(models)))
    assert counts[0] == counts[1], counts
