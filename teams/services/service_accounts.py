"""Service accounts: a team's bots, used only through API keys."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import api_key_issue, user_create
from core.errors import Conflict

from .. import audit, policy, roles, signals
from ..models import Membership, ServiceAccount


@dataclass(frozen=True)
class NewServiceAccount:
    service_account: ServiceAccount
    key: str


@transaction.atomic
def service_account_create(*, actor, team, name: str) -> NewServiceAccount:
    policy.require(actor, "team:manage", team)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name the service account after what uses it, such as “nightly-training”."]})
    if len(name) > 100:
        raise ValidationError({"name": ["Names may be at most 100 characters."]})
    base = slugify(f"{team.slug}-{name}")[:120] or f"{team.slug}-bot"
    username = base
    n = 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = user_create(username=username, email="", password=None)
    user.is_service = True
    user.display_name = name
    user.save(update_fields=["is_service", "display_name"])
    try:
        account = ServiceAccount.objects.create(user=user, team=team, name=name, created_by=actor if actor.pk else None)
    except IntegrityError:  # pragma: no cover - the username loop above prevents it
        raise Conflict("That service account already exists.") from None
    Membership.objects.create(team=team, user=user, role=roles.SERVICE)
    created = api_key_issue(user=user, name=f"{name} key")
    audit.record(team=team, actor=actor, action="service_account.created", target=username, name=name)
    audit.record(team=team, actor=actor, action="api_key.created", target=username, prefix=created.api_key.prefix)
    return NewServiceAccount(service_account=account, key=created.key)


@transaction.atomic
def service_account_revoke(*, actor, account: ServiceAccount) -> None:
    """Stop a service account for good: its keys die, what it logged stays."""
    policy.require(actor, "team:manage", account.team)
    if account.revoked_at:
        raise Conflict(f"The service account {account.name} is already revoked.")
    now = timezone.now()
    account.revoked_at = now
    account.save(update_fields=["revoked_at"])
    prefixes = list(account.user.api_keys.filter(revoked_at__isnull=True).values_list("prefix", flat=True))
    account.user.api_keys.filter(revoked_at__isnull=True).update(revoked_at=now)
    User.objects.filter(pk=account.user_id).update(is_active=False)
    Membership.objects.filter(team=account.team, user=account.user).delete()
    audit.record(team=account.team, actor=actor, action="service_account.revoked", target=account.user.username, keys_revoked=prefixes)
    signals.member_removed.send(sender=ServiceAccount, team=account.team, user=account.user)
    policy.forget()
