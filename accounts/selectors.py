"""Reads for accounts."""

import hmac

from .models import ApiKey, User, key_digest


def user_for_api_key(key: str) -> tuple[User, ApiKey] | None:
    """The active, non-disabled user a presented key belongs to, or None.

    Every API request asks this, so it uses two raw queries (which Django does
    not have to compile) instead of an ORM join.
    """
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "ts":
        return None
    keys = ApiKey._meta.db_table
    found = list(
        ApiKey.objects.raw(f"SELECT * FROM {keys} WHERE prefix = %s AND revoked_at IS NULL", [parts[1]])
    )
    if not found or not hmac.compare_digest(found[0].digest, key_digest(key)):
        return None
    api_key = found[0]
    users = list(User.objects.raw(f"SELECT * FROM {User._meta.db_table} WHERE id = %s", [api_key.user_id]))
    if not users or not users[0].is_active:
        return None
    api_key.user = users[0]
    return users[0], api_key


def api_keys_of(user: User):
    return ApiKey.objects.active().filter(user=user)


def email_addresses_of(user: User):
    return user.emailaddress_set.order_by("-primary", "email")



def user_or_404(username: str) -> User:
    from django.http import Http404

    user = User.objects.filter(username=username).first()
    if user is None:
        raise Http404(f"There is no user named {username}.")
    return user
