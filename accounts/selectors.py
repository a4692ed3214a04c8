"""Reads for accounts."""

import hmac

from .models import ApiKey, User, key_digest


def user_for_api_key(key: str) -> tuple[User, ApiKey] | None:
    """The active, non-disabled user a presented key belongs to, or None."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "ts":
        return None
    found = list(ApiKey.objects.active().select_related("user").filter(prefix=parts[1], user__is_active=True).order_by()[:1])
    api_key = found[0] if found else None
    if api_key is None or not hmac.compare_digest(api_key.digest, key_digest(key)):
        return None
    return api_key.user, api_key


def api_keys_of(user: User):
    return ApiKey.objects.active().filter(user=user)


def email_addresses_of(user: User):
    return user.emailaddress_set.order_by("-primary", "email")

