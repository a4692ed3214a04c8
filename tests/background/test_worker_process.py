"""End to end: a real `manage.py db_worker` process with its schedule, its own database, an SMTP sink.

The mail server is down while mails are queued and the worker first tries; it comes
up later, and each mail arrives exactly once.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.net import free_port

from .smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}", TASKS_BACKEND="database", DJANGO_SETTINGS_MODULE="teamsite.settings",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="3", EMAIL_RETRY_BASE_SECONDS="1", SCHEDULE_SECONDS="1", MEDIA_ROOT=str(tmp_path / "media"),
        RUN_CRASH_AFTER_SECONDS="1", LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    return env


def _manage(env, *args, **kw):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kw)


def _wait(predicate, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


SETUP = """
from django.core.mail import send_mail
from experiments import services
from teams import services as teams
from teams.policy import SYSTEM
from accounts.services import user_create
from datetime import timedelta
from django.utils import timezone
ada = user_create(username="ada", email="ada@example.com", password="a-long-secret-77", verified=True)
org = teams.organization_create(actor=SYSTEM, slug="o", name="O", admin=ada)
team = teams.team_create(actor=SYSTEM, organization=org, slug="lab", name="Lab", admin=ada)
project = services.project_create(actor=ada, team=team, name="p")
run = services.run_create(actor=ada, project=project, run_id="silent")
from experiments.models import Run
Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=30))
for n in range(3):
    send_mail(f"mail {n}", "body", None, [f"p{n}@example.com"])
"""

REPORT = """
from core.models import OutboxMail
from experiments.models import Run
print(sorted(OutboxMail.objects.values_list("state", flat=True)), Run.objects.get().state)
"""


def test_a_real_worker_sends_each_mail_once_after_the_server_comes_back(tmp_path):
    port = free_port()
    env = _env(tmp_path, port)
    _manage(env, "migrate", "--noinput")
    _manage(env, "shell", "-c", SETUP)
    worker = subprocess.Popen([sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sink = SmtpSink(port)
    try:
        time.sleep(3)  # the worker tries while the server is down
        assert "queued" in _manage(env, "shell", "-c", REPORT).stdout
        sink.start()
        assert _wait(lambda: len(sink.messages) >= 4, 40), _manage(env, "shell", "-c", REPORT).stdout
        time.sleep(3)  # the schedule keeps sweeping: nothing is sent twice
        # three mails, and the crash mail to the run's creator: crash detection ran from the schedule too
        assert sorted(to[0] for to, _ in sink.messages) == ["ada@example.com", "p0@example.com", "p1@example.com", "p2@example.com"]
        crash = next(text for to, text in sink.messages if to == ["ada@example.com"])
        assert "crashed" in crash and "/settings/notifications/unsubscribe/" in crash
        out = _manage(env, "shell", "-c", REPORT).stdout
        assert "['sent', 'sent', 'sent', 'sent'] crashed" in out
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
        sink.stop()
