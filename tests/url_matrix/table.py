"""The rows of the URL-driven access matrix: one per route (and method, and case).

A row names a URL pattern and the status each kind of caller gets, written by hand
from spec/permissions.md and spec/api.md, in this order:

    anonymous  outsider  viewer  member  admin  service

API rows carry each person's API key (anonymous: none); page rows use a signed-in
session, except the service account, which never signs in to the web UI: on a page
it sends its key and gets what an anonymous visitor gets.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

ACTORS = ("anonymous", "outsider", "viewer", "member", "admin", "service")


@dataclass(frozen=True)
class Route:
    name: str  # the URL pattern's name, "api:..." for the JSON API
    method: str
    expect: str  # six statuses in ACTORS order; "in" is a redirect to sign in
    kind: str = "page"  # "page", "api" or "mlflow" (keys like the API, MLflow's error shape)
    kwargs: dict = field(default_factory=dict)  # values or callables (world, actor) -> value
    body: Any = None  # dict, or callable (world, actor) -> dict
    files: Callable | None = None  # callable (world) -> {field: SimpleUploadedFile}: a multipart body
    query: Any = ""  # a string, or callable (world, actor) -> str
    case: str = ""  # tells two rows of the same route apart

    @property
    def statuses(self) -> dict:
        codes = self.expect.split()
        assert len(codes) == len(ACTORS), f"{self.name}: {len(ACTORS)} statuses expected, got {self.expect!r}"
        assert all(code == "in" or code.isdigit() for code in codes), self.expect
        return dict(zip(ACTORS, codes))

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}" + (f" [{self.case}]" if self.case else "")


def api(name, method, expect, **kw):
    return Route(name=f"api:{name}", method=method, expect=expect, kind="api", **kw)


def page(name, method, expect, **kw):
    return Route(name=name, method=method, expect=expect, kind="page", **kw)


def mlflow(name, method, expect, **kw):
    return Route(name=name, method=method, expect=expect, kind="mlflow", **kw)
