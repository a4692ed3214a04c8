"""How teams reacts to the apps below it."""

from django.dispatch import receiver

from accounts import signals as account_signals

from . import audit
from .models import ServiceAccount


def _team_of_key(api_key):
    """A service account's key belongs to its team's log; a person's key to the site's (team: none)."""
    account = ServiceAccount.objects.filter(user_id=api_key.user_id).select_related("team").first()
    return account.team if account else None


@receiver(account_signals.api_key_created)
def _key_created(sender, api_key, actor, **kwargs):
    audit.record(team=_team_of_key(api_key), actor=actor, action="api_key.created", target=api_key.user.username, prefix=api_key.prefix, name=api_key.name)


@receiver(account_signals.api_key_revoked)
def _key_revoked(sender, api_key, actor, **kwargs):
    audit.record(team=_team_of_key(api_key), actor=actor, action="api_key.revoked", target=api_key.user.username, prefix=api_key.prefix, name=api_key.name)
