"""Mail that never fails a request: every email goes to an outbox row, the worker sends it.

`EMAIL_BACKEND` is `core.mail.OutboxBackend` for the whole site, so Django's
`send_mail`, allauth's verification and reset mails and every app's notifications
all land here. The row is written in the sender's transaction (a rolled-back
request sends nothing); after the commit a task sends it through the real backend
(`EMAIL_DELIVERY_BACKEND`, from the EMAIL_BACKEND variable) with retries and
exponential backoff. Each row is claimed by a conditional UPDATE before it is
sent, so two workers never send the same mail; a sent row is never sent again.
"""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from . import schedule
from .models import OutboxMail

logger = logging.getLogger("teamsite.mail")
STALE_CLAIM = timedelta(minutes=15)  # a worker that died mid-send: the row goes back to the queue
KEEP_SENT = timedelta(days=30)


def _dump(message: EmailMessage) -> dict:
    attachments = []
    for item in message.attachments:
        filename, content, mimetype = item if isinstance(item, tuple) else (item.get_filename(), item.get_payload(decode=True), item.get_content_type())
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([filename, base64.b64encode(raw).decode(), mimetype])
    return {
        "body": message.body,
        "from_email": message.from_email,
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        "attachments": attachments,
    }


def _load(mail: OutboxMail) -> EmailMessage:
    data = mail.message
    message = EmailMultiAlternatives(
        subject=mail.subject, body=data["body"], from_email=data["from_email"], to=mail.to,
        cc=data["cc"], bcc=data["bcc"], reply_to=data["reply_to"], headers=data["headers"],
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype in data["attachments"]:
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


def _enqueue(mail_id: int) -> None:
    from .tasks import send_outbox_mail

    try:
        send_outbox_mail.enqueue(mail_id)
    except Exception:  # noqa: BLE001 - a queue that is away: the schedule's sweep sends it
        logger.exception("Could not enqueue mail %s; the sweep will send it", mail_id)


class OutboxBackend(BaseEmailBackend):
    """Stores messages; sends nothing itself."""

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            mail = OutboxMail.objects.create(
                subject=str(message.subject)[:998], to=list(message.to), message=_dump(message), next_attempt_at=timezone.now()
            )
            transaction.on_commit(lambda pk=mail.pk: _enqueue(pk))
            count += 1
        return count


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def deliver(mail_id: int) -> str:
    """Send one queued mail if it is due and nobody else holds it: 'sent', 'retry', 'failed' or 'skipped'."""
    now = timezone.now()
    claimed = OutboxMail.objects.filter(pk=mail_id, state=OutboxMail.QUEUED, next_attempt_at__lte=now).update(
        state=OutboxMail.SENDING, claimed_at=now
    )
    if not claimed:
        return "skipped"
    mail = OutboxMail.objects.get(pk=mail_id)
    attempts = mail.attempts + 1
    try:
        connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
        connection.send_messages([_load(mail)])
    except Exception as exc:  # noqa: BLE001 - whatever the mail server said, try again later
        state = OutboxMail.FAILED if attempts >= settings.EMAIL_MAX_ATTEMPTS else OutboxMail.QUEUED
        OutboxMail.objects.filter(pk=mail_id).update(
            state=state, attempts=attempts, claimed_at=None, next_attempt_at=timezone.now() + backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("Mail %s not sent (attempt %d): %s", mail_id, attempts, exc)
        return "failed" if state == OutboxMail.FAILED else "retry"
    OutboxMail.objects.filter(pk=mail_id).update(state=OutboxMail.SENT, attempts=attempts, sent_at=timezone.now(), last_error="")
    return "sent"


@schedule.every(15, name="mail.sweep")
def sweep() -> int:
    """Send what is due (retries, and mails whose task was lost); free claims of workers that died."""
    now = timezone.now()
    OutboxMail.objects.filter(state=OutboxMail.SENDING, claimed_at__lt=now - STALE_CLAIM).update(state=OutboxMail.QUEUED, claimed_at=None)
    due = list(OutboxMail.objects.filter(state=OutboxMail.QUEUED, next_attempt_at__lte=now).order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    return sum(deliver(pk) == "sent" for pk in due)


@schedule.every(3600, name="mail.cleanup")
def cleanup() -> int:
    return OutboxMail.objects.filter(state=OutboxMail.SENT, sent_at__lt=timezone.now() - KEEP_SENT).delete()[0]
