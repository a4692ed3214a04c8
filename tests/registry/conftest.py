import hashlib
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experiments import services as experiments
from registry import services
from teams import services as teams
from teams.policy import SYSTEM
from tests import factories


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(files: dict):
    """Version entries from {path: bytes}, as the multipart upload gives them."""
    return services.entries_from_uploads({path: SimpleUploadedFile(path.rsplit("/", 1)[-1], data) for path, data in files.items()})


def log(actor, project, name="mnist", files=None, type="dataset", **kw):
    return services.version_create(actor=actor, project=project, name=name, type=type, entries=entries(files or {"a.txt": b"alpha"}), **kw)


@pytest.fixture
def lab(db):
    people = {name: factories.user(username=f"r-{name}") for name in ("admin", "member", "viewer", "outsider", "registrar")}
    org = teams.organization_create(actor=SYSTEM, slug="r-org", name="R", admin=people["admin"])
    team = teams.team_create(actor=SYSTEM, organization=org, slug="rlab", name="R Lab", admin=people["admin"])
    for name, role in (("member", "member"), ("viewer", "viewer"), ("registrar", "member")):
        teams.org_member_set(actor=SYSTEM, organization=org, user=people[name], role="member")
        teams.member_add(actor=SYSTEM, team=team, user=people[name], role=role, registry_admin=(name == "registrar"))
    bot = teams.service_account_create(actor=people["admin"], team=team, name="ci").service_account.user
    people["service"] = bot
    project = experiments.project_create(actor=people["admin"], team=team, name="vision")
    run = experiments.run_create(actor=people["member"], project=project, run_id="train1")
    return SimpleNamespace(people=people, org=org, team=team, project=project, run=run, **people)
