"""Test data. Everything goes through the services, as the product does."""

import itertools
import json

from accounts.services import api_key_create, user_create

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def user(*, username=None, email=None, password=PASSWORD, verified=True, **fields):
    n = next(_counter)
    username = username or f"person{n}"
    created = user_create(
        username=username, email=email or f"{username}@example.com", password=password, verified=verified
    )
    for name, value in fields.items():
        setattr(created, name, value)
    if fields:
        created.save()
    return created


def api_key(owner, name="test key"):
    """Returns the full key string."""
    return api_key_create(actor=owner, name=name).key


class ApiClient:
    """Wraps django.test.Client: JSON bodies, a Bearer key, parsed answers."""

    def __init__(self, client):
        self.client = client
        self.key = None

    def as_user(self, owner):
        self.key = api_key(owner)
        return self

    def _headers(self, headers):
        merged = {}
        if self.key:
            merged["Authorization"] = f"Bearer {self.key}"
        merged.update(headers or {})
        return merged

    def request(self, method, path, data=None, *, raw=None, headers=None):
        body = raw if raw is not None else (json.dumps(data) if data is not None else None)
        kwargs = {"headers": self._headers(headers)}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        response = getattr(self.client, method.lower())(path, **kwargs)
        if getattr(response, "streaming", False) and response.get("Content-Type", "").startswith("application/json"):
            response = _materialized(response)
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self.request("PATCH", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self.request("PUT", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self.request("DELETE", path, data, **kw)


def _materialized(streamed):
    """A streamed answer read whole, so tests can call .json() and read .content as usual."""
    from django.http import HttpResponse

    body = b"".join(streamed.streaming_content)
    response = HttpResponse(body, status=streamed.status_code)
    for header, value in streamed.items():
        response[header] = value
    response.json = lambda: json.loads(body)
    response.streamed = True
    return response


# --- One line per thing a test needs (everything through the services) -------------

from types import SimpleNamespace  # noqa: E402

from teams.policy import SYSTEM  # noqa: E402


def organization(*, slug=None, admin=None):
    from teams import services

    n = next(_counter)
    return services.organization_create(actor=SYSTEM, slug=slug or f"org{n}", name=f"Organization {n}", admin=admin)


def team(*, slug=None, org=None, admin=None, **roles):
    """A team with an admin and, by keyword, more people by role: team(viewer=u1, member=[u2, u3]).

    Returns the team; `team.people` maps each role to the users given (and "admin").
    """
    from teams import services

    n = next(_counter)
    admin = admin or user(username=f"admin{n}")
    org = org or organization(admin=admin)
    made = services.team_create(actor=SYSTEM, organization=org, slug=slug or f"team{n}", name=f"Team {n}", admin=admin)
    made.people = {"admin": [admin]}
    for role, people in roles.items():
        people = people if isinstance(people, (list, tuple)) else [people]
        for person in people:
            services.ensure_org_member(org, person)
            services.member_add(actor=SYSTEM, team=made, user=person, role=role)
        made.people.setdefault(role, []).extend(people)
    return made


def team_with_members(**kw):
    """A team with one person in each built-in role plus a service account and an outsider.

    Returns a namespace: team, org, viewer, member, admin, service (the bot's user),
    service_key, outsider.
    """
    from teams import services

    people = {role: user(username=f"{role}{next(_counter)}") for role in ("viewer", "member", "admin", "outsider")}
    made = team(admin=people["admin"], viewer=people["viewer"], member=people["member"], **kw)
    bot = services.service_account_create(actor=people["admin"], team=made, name=f"bot{next(_counter)}")
    return SimpleNamespace(
        team=made,
        org=made.organization,
        service=bot.service_account.user,
        service_key=bot.key,
        **people,
    )


def project(team, *, name=None, visibility="team", actor=None, **fields):
    from experiments.services import project_create

    return project_create(
        actor=actor or SYSTEM, team=team, name=name or f"project{next(_counter)}", visibility=visibility, **fields
    )


def run(project, *, actor, history=0, keys=("loss",), **fields):
    """A run logged by `actor`; `history=N` appends N steps of each key (loss falls from 1)."""
    from experiments.services import history_append, run_create

    made = run_create(actor=actor, project=project, **fields)
    if history:
        rows = [{"step": step, "values": {key: 1.0 / (step + 1) for key in keys}} for step in range(history)]
        history_append(actor=actor, run=made, rows=rows)
        made.refresh_from_db()
    return made


def report(team, *, author, title=None, body="# Results", visibility="team", project=None, revisions=1):
    """A report by `author` with `revisions` saved revisions (the first included)."""
    from reports.services import report_create, report_save

    made = report_create(
        actor=author, team=team, title=title or f"Report {next(_counter)}", body=body, visibility=visibility, project=project
    )
    for n in range(2, revisions + 1):
        made = report_save(report=made, actor=author, base_revision=made.revision, body=f"{body}\n\nRevision {n}.")
    return made


def comment(report, *, author, body="Nice result."):
    from reports.services import comment_add

    return comment_add(actor=author, report=report, body=body)
