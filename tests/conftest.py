import pytest
from django.db import connection
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # A fast hasher: tests create many users and nothing here measures hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Tasks run at once, in the caller. Mail goes straight to Django's test mailbox
    # (mail.outbox) unless a test asks for the site's outbox (the `outbox` fixture).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    cache.clear()  # allauth's rate limits live in the cache
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return factories.user()


@pytest.fixture
def superuser(db):
    return factories.user(username="root-operator", is_superuser=True, is_staff=True)


@pytest.fixture
def api_client(client):
    """A Django test client that speaks JSON and carries an API key."""
    return factories.ApiClient(client)


@pytest.fixture
def file_db(tmp_path):
    """SQLite's in-memory test database locks whole tables between connections (no waiting):
    concurrent writers are tried on a file database, as the site runs (WAL, immediate transactions)."""
    from django.core.management import call_command

    if connection.vendor != "sqlite":
        yield
        return
    from django.db import connections

    # the in-memory database lives only while a connection holds it: keep the main one, swap in another
    shared = connections.settings["default"]
    saved_connection, saved_name = connections["default"], shared["NAME"]
    shared["NAME"] = str(tmp_path / "concurrent.sqlite3")
    connections["default"] = connections.create_connection("default")
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connections["default"].close()
        shared["NAME"] = saved_name
        saved_connection.settings_dict["NAME"] = saved_name
        connections["default"] = saved_connection


@pytest.fixture
def outbox(settings, mailoutbox):
    """Mail as on the site: stored in the outbox, delivered (to mailoutbox) by a task after the commit."""
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    return mailoutbox
