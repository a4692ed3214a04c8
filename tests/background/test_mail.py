"""Mail never fails a request: it waits in the outbox, and reaches the server once it answers, each mail once."""

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core import mail, schedule
from core.models import OutboxMail
from teams import services
from teams.models import Invitation
from teams.policy import SYSTEM
from tests import factories

from tests.net import free_port

from .smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    sink = SmtpSink(port)
    yield sink
    try:
        sink.stop()
    except (AssertionError, AttributeError, RuntimeError):
        pass


def _due_now():
    OutboxMail.objects.filter(state=OutboxMail.QUEUED).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_rolled_back_transaction_sends_nothing(outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("s", "b", None, ["a@example.com"])
        raise RuntimeError
    assert OutboxMail.objects.count() == 0 and outbox == []


def test_mail_is_sent_after_the_commit_once(outbox):
    with transaction.atomic():
        send_mail("hello", "body", None, ["a@example.com"])
        assert outbox == []  # nothing leaves before the commit
    assert [m.subject for m in outbox] == ["hello"]
    assert OutboxMail.objects.get().state == OutboxMail.SENT
    mail.sweep()
    mail.deliver(OutboxMail.objects.get().pk)
    assert len(outbox) == 1


def test_the_server_down_fails_no_request_then_each_mail_arrives_once(smtp, client):
    admin = factories.user(username="boss")
    org = services.organization_create(actor=SYSTEM, slug="o", name="O", admin=admin)
    team = services.team_create(actor=SYSTEM, organization=org, slug="lab", name="Lab", admin=admin)
    client.force_login(admin)
    for n in range(3):  # the mail server is down: the invitations are stored, the page answers
        response = client.post(f"/{team.slug}/settings/members/invite/", {"email": f"new{n}@example.com", "role": "member"})
        assert response.status_code in (200, 302), response.content[:300]
    assert Invitation.objects.count() == 3
    queued = OutboxMail.objects.all()
    assert queued.count() == 3 and {m.state for m in queued} == {OutboxMail.QUEUED}
    assert all(m.attempts == 1 and "Connection" in m.last_error for m in queued)

    mail.sweep()  # not due yet: backoff
    assert OutboxMail.objects.filter(attempts=1).count() == 3

    smtp.start()
    _due_now()
    assert mail.sweep() == 3
    _due_now()
    schedule.run_all()
    assert sorted(to[0] for to, _ in smtp.messages) == ["new0@example.com", "new1@example.com", "new2@example.com"]
    assert {m.state for m in OutboxMail.objects.all()} == {OutboxMail.SENT}


def test_two_workers_never_send_the_same_mail(outbox):
    with transaction.atomic():
        mail.OutboxBackend().send_messages([django_mail.EmailMessage("x", "y", None, ["a@example.com"])])
    row = OutboxMail.objects.get()
    assert mail.deliver(row.pk) == "skipped"  # already sent by the task after the commit
    assert len(outbox) == 1


def test_a_mail_gives_up_after_the_last_attempt(smtp, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    send_mail("s", "b", None, ["a@example.com"])
    _due_now()
    assert mail.sweep() == 0
    assert OutboxMail.objects.get().state == OutboxMail.FAILED


def test_allauth_mail_goes_through_the_outbox(outbox, client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "username": "newbie", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
    )
    assert response.status_code == 302
    assert OutboxMail.objects.filter(to=["new@example.com"], state=OutboxMail.SENT).count() == 1
    assert len(outbox) == 1
