"""Writes for organizations and teams. Every service takes the actor and asks the policy itself."""

from .invitations import (
    INVITATION_LIFETIME,
    InvitationProblem,
    NewInvitation,
    invitation_accept,
    invitation_by_token,
    invitation_problem,
    invitation_revoke,
    member_invite,
    token_digest,
)
from .members import ResolvedRole, member_add, member_change_role, member_remove, resolve_role
from .organizations import (
    custom_role_create,
    custom_role_delete,
    ensure_org_member,
    links_from_text,
    org_member_set,
    organization_create,
    team_avatar_set,
    team_create,
    team_delete,
    team_update,
)
from .service_accounts import NewServiceAccount, service_account_create, service_account_revoke
from .site import site_settings_update, user_create
from .storage import storage_test, storage_update
from .webhooks import team_run_mails_set, webhook_create, webhook_delete, webhook_test, webhook_update

__all__ = [
    "storage_test",
    "storage_update",
    "team_run_mails_set",
    "webhook_create",
    "webhook_delete",
    "webhook_test",
    "webhook_update",
    "INVITATION_LIFETIME",
    "InvitationProblem",
    "NewInvitation",
    "NewServiceAccount",
    "ResolvedRole",
    "custom_role_create",
    "custom_role_delete",
    "ensure_org_member",
    "invitation_accept",
    "invitation_by_token",
    "invitation_problem",
    "invitation_revoke",
    "links_from_text",
    "member_add",
    "member_change_role",
    "member_invite",
    "member_remove",
    "org_member_set",
    "organization_create",
    "resolve_role",
    "service_account_create",
    "service_account_revoke",
    "site_settings_update",
    "team_avatar_set",
    "team_create",
    "team_delete",
    "team_update",
    "token_digest",
    "user_create",
]
