"""The audit log: services record every administrative change here (Zulip's RealmAuditLog)."""

from .models import AuditEvent

ACTIONS = frozenset(action for action, _ in AuditEvent.ACTIONS)


def record(*, team, actor, action: str, target: str = "", before=None, after=None, **detail) -> AuditEvent:
    """Write one audit event; call it inside the service's transaction, after the change."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    if before is not None:
        detail["before"] = before
    if after is not None:
        detail["after"] = after
    actor_pk = getattr(actor, "pk", None)
    return AuditEvent.objects.create(
        team=team,
        team_slug=team.slug if team is not None else "",
        actor_id=actor_pk,
        actor_name=getattr(actor, "username", "") if actor_pk else "",
        action=action,
        target=str(target)[:255],
        detail=detail,
    )
