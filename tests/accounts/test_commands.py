import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey
from tests import factories

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_only_the_key(client, user):
    out = io.StringIO()
    call_command("create_api_key", user.username, "--name", "ci", stdout=out)
    key = out.getvalue().strip()
    assert out.getvalue() == key + "\n"
    assert key.startswith("ts_")
    assert ApiKey.objects.get().name == "ci"
    response = client.get("/api/v1/viewer", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["username"] == user.username


def test_create_api_key_for_unknown_user_fails_clearly():
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("create_api_key", "ghost")
    assert not ApiKey.objects.exists()


def test_demo_loads_once_and_prints_sign_ins():
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    for name in ("operator", "ada", "max", "vera"):
        assert name in text
    again = io.StringIO()
    call_command("demo", "--if-empty", stdout=again)
    assert "Demo data loaded" not in again.getvalue()
    assert "ada" in again.getvalue()
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())


def test_demo_refuses_a_database_with_users():
    factories.user()
    with pytest.raises(CommandError, match="empty database"):
        call_command("demo", stdout=io.StringIO())
