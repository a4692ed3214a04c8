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
