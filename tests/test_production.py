"""The production profile: two gunicorn instances sharing PostgreSQL and Redis serve the same people.

Skipped where no PostgreSQL or Redis answers on 127.0.0.1 (CI's machine has both).
"""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.net import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "teamsite_two_instances"


pytestmark = pytest.mark.skipif(not (answers(5432) and answers(6379)), reason="needs PostgreSQL and Redis on 127.0.0.1")


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    import psycopg
    import redis

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    redis.Redis.from_url("redis://127.0.0.1:6379/14").flushdb()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "two-instances-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "DB_POOL": "1",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        "RATE_LIMIT_PER_KEY": "40/3600",  # an hour: the test never straddles two windows
        "DJANGO_SETTINGS_MODULE": "teamsite.settings",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup = (
        "from accounts.services import user_create; from teams import services; from teams.policy import SYSTEM;"
        "ada = user_create(username='ada', email='ada@example.com', password='correct-horse-battery-9');"
        "org = services.organization_create(actor=SYSTEM, slug='lab', name='Lab');"
        "services.team_create(actor=SYSTEM, organization=org, slug='two', name='Two', admin=ada)"
    )
    subprocess.run([*manage, "shell", "-c", setup], cwd=ROOT, env=env, check=True)
    keys = [
        subprocess.run([*manage, "create_api_key", "ada", "--name", name], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
        for name in ("logging", "counting")
    ]
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "teamsite.wsgi"],
            cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    deadline = time.time() + 30
    while not all(_health(port) for port in ports):
        assert time.time() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    yield [f"http://127.0.0.1:{port}" for port in ports], keys
    for server in servers:
        server.terminate()
        server.wait(timeout=20)


def _health(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).status == 200
    except (OSError, urllib.error.URLError):
        return False


def _call(url, key, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def test_a_session_made_on_one_instance_works_on_the_other(two_sites):
    (first, second), _ = two_sites
    jar = http.cookiejar.CookieJar()  # cookies ignore the port: one browser, two instances
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{first}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": "ada", "password": "correct-horse-battery-9"}).encode()
    request = urllib.request.Request(f"{first}/accounts/login/", data=form, headers={"Referer": f"{first}/accounts/login/"})
    browser.open(request).read()
    settings_page = browser.open(f"{second}/settings/")
    assert settings_page.geturl() == f"{second}/settings/"  # not sent to sign in
    assert "API keys" in settings_page.read().decode()


def test_a_run_logged_half_through_each_instance_is_whole(two_sites):
    (first, second), (key, _) = two_sites
    status, run = _call(f"{first}/api/v1/teams/two/projects/split/runs", key, "POST", {"run_id": "halves"})
    assert status == 201
    history = "/api/v1/teams/two/projects/split/runs/halves/history"
    for base, steps in ((first, range(0, 500)), (second, range(500, 1000))):
        rows = [{"step": step, "values": {"loss": 1 / (step + 1)}} for step in steps]
        assert _call(base + history, key, "POST", {"rows": rows}) == (200, {"accepted": 500})
    status, read = _call(f"{second}{history}?samples=0", key)
    assert read["total_points"] == {"loss": 1000}
    assert read["series"]["loss"]["steps"] == list(range(1000))


def test_rate_limits_count_across_both_instances(two_sites):
    (first, second), (_, key) = two_sites
    answers = [_call(f"{(first, second)[n % 2]}/api/v1/viewer", key)[0] for n in range(44)]
    assert answers[:40] == [200] * 40  # 40 an hour for this key, whichever instance answers
    assert set(answers[40:]) == {429}
