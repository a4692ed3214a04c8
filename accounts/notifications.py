"""Notification mail: a person's choices, the unsubscribe link every such mail carries, and sending.

Apps above call `notify(user, kind, subject, text)`; it checks the person's choice,
adds the unsubscribe link and hands the mail to the outbox (core/mail.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage

from core.models import SiteSettings

from .models import NotificationSettings, User

SALT = "teamsite.accounts.unsubscribe"
KINDS = tuple(NotificationSettings.KINDS)


def settings_of(user: User) -> NotificationSettings:
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def wanting(users, kind: str) -> list[User]:
    """The people among `users` who take mail of this kind: active, with an address, not opted out (one query)."""
    if kind not in KINDS:
        raise ValueError(kind)
    people = {user.pk: user for user in users if user is not None and user.is_active and user.email and not user.is_service}
    off = set(NotificationSettings.objects.filter(user_id__in=people, **{kind: False}).values_list("user_id", flat=True))
    return [user for pk, user in people.items() if pk not in off]


def unsubscribe_token(user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=SALT)


def unsubscribe_url(user: User, kind: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}/settings/notifications/unsubscribe/{unsubscribe_token(user, kind)}/"


def read_token(token: str) -> tuple[User, str] | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=60 * 60 * 24 * 365)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or data.get("k") not in KINDS:
        return None
    return user, data["k"]


def notify(user: User, kind: str, subject: str, text: str, *, extra_footer: str = "") -> bool:
    """Mail one person if they take this kind; True when it was queued. Call it after the commit."""
    if not wanting([user], kind):
        return False
    site = SiteSettings.current().site_name
    footer = f"\n\n--\n{extra_footer}Stop these emails ({NotificationSettings.KINDS[kind].lower()}): {unsubscribe_url(user, kind)}\n"
    footer += f"Choose what {site} emails you: {settings.SITE_URL.rstrip('/')}/settings/notifications/\n"
    message = EmailMessage(f"[{site}] {subject}", text + footer, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.extra_headers["List-Unsubscribe"] = f"<{unsubscribe_url(user, kind)}>"
    message.send()
    return True
