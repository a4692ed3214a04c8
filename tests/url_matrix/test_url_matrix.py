"""One access matrix driven by the URL patterns themselves (readthedocs' test_privacy_urls).

Every named page and API route has rows in `routes_*.py` giving, by hand from
spec/permissions.md and spec/api.md, the status each kind of caller gets. A route
with no row fails `test_every_route_has_a_row`, so a new route cannot slip in
unjudged; a row naming no route fails too.
"""

import importlib
import pkgutil
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.url_matrix import world as world_module
from tests.url_matrix.table import ACTORS
from tests.worlds import built_once

# Routes that belong to someone else's access rules, each with the reason.
NOT_OURS = {
    "admin": "the Django admin: staff only, Django's own rules (tests/test_admin.py)",
    "accounts": "django-allauth's pages: open to everyone by design (tests/accounts/)",
}


def _modules():
    package = importlib.import_module("tests.url_matrix")
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("routes_"))
    return [importlib.import_module(f"tests.url_matrix.{name}") for name in names]


MODULES = _modules()
ROWS = [row for module in MODULES for row in module.ROUTES]


def _named_routes(patterns=None, namespace=None, prefix=""):
    """{qualified name: [parameter names]} for every named route we own."""
    found = {}
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if any(str(entry.pattern).startswith(skip + "/") for skip in NOT_OURS):
                continue
            found.update(_named_routes(entry.url_patterns, entry.namespace or namespace, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            params = list(getattr(entry.pattern, "converters", {}) or entry.pattern.regex.groupindex)
            found[name] = params
    return found


ROUTES = _named_routes()


def test_every_route_has_a_row():
    missing = sorted(set(ROUTES) - {row.name for row in ROWS})
    assert not missing, f"routes with no row in tests/url_matrix/routes_*.py: {missing}"


def test_every_row_names_a_route():
    unknown = sorted({row.name for row in ROWS} - set(ROUTES))
    assert not unknown, f"rows naming no route: {unknown}"


def test_rows_are_distinct():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows share a method and a case: tell them apart with case="


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    extensions = [module.extend for module in MODULES if hasattr(module, "extend")]
    media = tmp_path_factory.mktemp("matrix-media")

    def build():
        with override_settings(MEDIA_ROOT=media):
            built = world_module.build(extensions)
        built.media_root = media
        return built

    yield from built_once(django_db_blocker, build)


@pytest.fixture(autouse=True)
def _world_files(settings, world):
    settings.MEDIA_ROOT = world.media_root  # the world's run files live there


def _value(value, w, actor):
    return value(w, actor) if callable(value) else value


def _url(row, w, actor):
    kwargs = {}
    for param in ROUTES[row.name]:
        value = row.kwargs[param] if param in row.kwargs else w.names[param]
        kwargs[param] = _value(value, w, actor)
    url = reverse(row.name, kwargs=kwargs)
    query = _value(row.query, w, actor)
    return f"{url}?{query}" if query else url


def _ask(row, w, actor):
    client = Client()
    headers = {}
    signed_in = actor != "anonymous" and (row.kind in ("api", "mlflow") or actor != "service")
    if row.kind in ("api", "mlflow") and actor != "anonymous":
        headers["Authorization"] = f"Bearer {w.keys[actor]}"
    elif row.kind == "page" and actor == "service":
        headers["Authorization"] = f"Bearer {w.keys[actor]}"  # a page takes no key: as anonymous
    elif signed_in:
        client.force_login(w.users[actor])
    url = _url(row, w, actor)
    body = _value(row.body, w, actor)
    kwargs = {"headers": headers}
    if row.files is not None:
        kwargs["data"] = {**(body or {}), **row.files(w)}
    elif row.kind in ("api", "mlflow") and body is not None:
        kwargs.update(data=body, content_type="application/json")
    elif body is not None:
        if row.method in ("GET", "POST"):
            kwargs["data"] = body
        else:
            kwargs.update(data=body, content_type="application/x-www-form-urlencoded")
    return getattr(client, row.method.lower())(url, **kwargs)


def _seen(response):
    """The status as the rows write it: "in" is a redirect to sign in."""
    if response.status_code == 302 and urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL):
        return "in"
    return str(response.status_code)


CELLS = [pytest.param(row, actor, id=f"{row.id} as {actor}") for row in ROWS for actor in ACTORS]


@pytest.mark.django_db
@pytest.mark.parametrize("row,actor", CELLS)
def test_cell(world, row, actor):
    expected = row.statuses[actor]
    response = _ask(row, world, actor)
    seen = _seen(response)
    assert seen == expected, f"{row.id} as {actor}: expected {expected}, got {seen}"
    if row.kind in ("api", "mlflow") and seen not in ("204",) and response.get("Content-Type", "").startswith("application/json"):
        if int(seen) >= 400:
            shape = "error_code" if row.kind == "mlflow" else "error"  # the MLflow paths answer in MLflow's shape
            assert shape in response.json(), "an API refusal answers in the error shape"
