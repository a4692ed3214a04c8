"""Writes for accounts: users, profiles, avatars and API keys.

Accounts sits below the teams policy, so its services act only on the actor's
own account; the one exception is the site's operators (Django superusers, who
hold every scope) revoking anyone's keys from the Django admin. Creating an
account for someone else is a team-level service (`teams.services.user_create`)
that asks the policy first.
"""

import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.images import replace_avatar

from . import signals
from .models import ApiKey, User, key_digest

KEY_PREFIX_LENGTH = 8
KEY_SECRET_BYTES = 32
# Writing last_used_at on every request would turn every API read into a write.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # the full secret: shown to its owner once, never stored


@transaction.atomic
def api_key_create(*, actor: User, name: str) -> NewApiKey:
    """A new key for the actor's own account."""
    created = api_key_issue(user=actor, name=name)
    signals.api_key_created.send(sender=ApiKey, api_key=created.api_key, actor=actor)
    return created


def api_key_issue(*, user: User, name: str) -> NewApiKey:
    """Make a key for `user`. For services that have already asked the policy (service accounts)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name, such as the machine or script that uses it."]})
    if len(name) > 100:
        raise ValidationError({"name": ["Key names may be at most 100 characters."]})
    while True:
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    key = f"ts_{prefix}_{secrets.token_urlsafe(KEY_SECRET_BYTES)}"
    api_key = ApiKey.objects.create(user=user, name=name, prefix=prefix, digest=key_digest(key))
    return NewApiKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, actor: User, prefix: str) -> bool:
    """Revoke one of the actor's own keys; False when they hold no such active key."""
    found = list(ApiKey.objects.active().select_for_update().filter(user=actor, prefix=prefix))
    return bool(_revoke(actor, found))


@transaction.atomic
def api_keys_revoke(*, actor: User, keys) -> int:
    """Revoke keys from the Django admin: the site's operators only."""
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied("Only system admins revoke other people's keys.")
    return _revoke(actor, list(keys.filter(revoked_at__isnull=True).select_for_update()))


def _revoke(actor, keys):
    now = timezone.now()
    for api_key in keys:
        api_key.revoked_at = now
        api_key.save(update_fields=["revoked_at"])
        signals.api_key_revoked.send(sender=ApiKey, api_key=api_key, actor=actor)
    return len(keys)


def api_key_touch(*, api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


@transaction.atomic
def user_create(*, username: str, email: str, password: str | None, verified: bool = True) -> User:
    """Create a person's account (system admins, the demo and tests use this).

    The email is recorded as a verified primary address: the operator vouches for it.
    """
    errors = {}
    username = (username or "").strip()
    email = (email or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if email and EmailAddress.objects.filter(email__iexact=email).exists():
        errors["email"] = ["That email address belongs to another account."]
    user = User(username=username, email=email)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    if email:
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def profile_update(*, actor: User, display_name: str) -> User:
    user = actor
    user.display_name = display_name.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name"])
    return user


def avatar_set(*, actor: User, upload) -> User:
    """Replace the actor's avatar; the old files go only once the new ones are saved."""
    return replace_avatar(actor, upload)


def avatar_remove(*, actor: User) -> User:
    user = actor
    old = [user.avatar_large.name, user.avatar_small.name]
    user.avatar_large = ""
    user.avatar_small = ""
    with transaction.atomic():
        user.save(update_fields=["avatar_large", "avatar_small"])
        transaction.on_commit(lambda: _delete_files(old, storage=user.avatar_large.storage))
    return user


def _delete_files(names, *, storage):
    for name in names:
        if name:
            storage.delete(name)


def notification_settings_save(*, actor, **choices) -> "NotificationSettings":
    """A person's own notification choices (only ever their own: the actor is the owner)."""
    from .models import NotificationSettings

    if not getattr(actor, "is_authenticated", False) or actor.is_service:
        raise PermissionDenied("Sign in to choose your notifications.")
    unknown = set(choices) - set(NotificationSettings.KINDS)
    if unknown:
        raise ValidationError({"notifications": [f"Unknown choices: {', '.join(sorted(unknown))}."]})
    found, _ = NotificationSettings.objects.get_or_create(user=actor)
    for kind, on in choices.items():
        setattr(found, kind, bool(on))
    found.save()
    return found
