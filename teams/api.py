"""Organizations, teams, members, invitations, custom roles, service accounts (spec/api.md)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.selectors import user_or_404
from accounts.api_auth import optional_auth
from core.errors import Conflict
from core.markdown import render_markdown
from core.pagination import paginate

from . import policy, selectors, services
from .models import CustomRole, Invitation, Organization, ServiceAccount

router = Router(tags=["teams"])


# --- Shapes -------------------------------------------------------------------


class OrganizationIn(Schema):
    slug: str = Field(max_length=200)
    name: str = Field(default="", max_length=200)


class OrgMemberIn(Schema):
    role: str


class CustomRoleIn(Schema):
    name: str = Field(max_length=200)
    base: str
    scopes: list[str] = []


class TeamIn(Schema):
    slug: str = Field(max_length=200)
    name: str = Field(default="", max_length=200)


class LinkIn(Schema):
    label: str = ""
    url: str


class TeamPatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    intro: str | None = None
    links: list[LinkIn] | None = None
    projects_stay_inside: bool | None = None


class MemberIn(Schema):
    role: str | None = None
    registry_admin: bool | None = None


class InvitationIn(Schema):
    email: str = Field(max_length=400)
    role: str = "member"


class ServiceAccountIn(Schema):
    name: str = Field(max_length=1000)


def _org_out(org):
    return {"slug": org.slug, "name": org.name, "created_at": org.created_at.isoformat()}


def _team_out(team, access):
    body = {
        "slug": team.slug,
        "name": team.name,
        "organization": team.organization.slug,
        "intro": team.intro,
        "intro_html": render_markdown(team.intro),
        "links": team.links,
        "projects_stay_inside": team.projects_stay_inside,
        "created_at": team.created_at.isoformat(),
        "member_count": selectors.people_of(team).count(),
    }
    if access.is_member:
        body["role"] = access.role_name
    return body


def _member_out(membership):
    user = membership.user
    return {
        "username": user.username,
        "display_name": user.shown_name,
        "role": membership.role_name,
        "registry_admin": membership.registry_admin,
        "is_service": user.is_service,
        "joined_at": membership.created_at.isoformat(),
    }


def _invitation_out(invitation, accept_url=None):
    body = {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role_name,
        "state": invitation.state,
        "invited_by": invitation.invited_by.username if invitation.invited_by else None,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
    }
    if accept_url:
        body["accept_url"] = accept_url
    return body


def _role_out(role):
    return {
        "name": role.name,
        "base": role.base,
        "extra_scopes": role.extra_scopes,
        "scopes": sorted(role.scopes),
        "created_at": role.created_at.isoformat(),
    }


def _service_account_out(account):
    return {
        "username": account.user.username,
        "name": account.name,
        "created_by": account.created_by.username if account.created_by else None,
        "created_at": account.created_at.isoformat(),
    }


def _org(slug):
    return get_object_or_404(Organization, slug=slug)


def _member(actor, team, username):
    """A member, for callers who may see the team's members (404 for an unknown name)."""
    policy.require(actor, "team:view", team)
    membership = selectors.members_of(team).filter(user__username=username).first()
    if membership is None:
        raise Http404(f"{username} is not a member of {team.name}.")
    return membership


# --- Organizations ----------------------------------------------------------------


@router.post("/organizations", response={201: dict}, summary="Create an organization (system admins)")
def organization_create(request, payload: OrganizationIn):
    org = services.organization_create(actor=request.auth, slug=payload.slug, name=payload.name)
    return Status(201, _org_out(org))


@router.put("/organizations/{org}/members/{username}", response=dict, summary="Set a person's organization role")
def org_member_set(request, org: str, username: str, payload: OrgMemberIn):
    organization = _org(org)
    policy.require(request.auth, "org:manage_members", organization)  # before saying whether the person exists
    member = services.org_member_set(actor=request.auth, organization=organization, user=user_or_404(username), role=payload.role)
    return {"username": member.user.username, "role": member.role}


@router.get("/organizations/{org}/roles", summary="The organization's custom roles")
def custom_role_list(request, org: str):
    organization = _org(org)
    policy.require(request.auth, "org:view", organization)
    return paginate(request, CustomRole.objects.filter(organization=organization), _role_out)


@router.post("/organizations/{org}/roles", response={201: dict}, summary="Create a custom role (organization admins)")
def custom_role_create(request, org: str, payload: CustomRoleIn):
    role = services.custom_role_create(
        actor=request.auth, organization=_org(org), name=payload.name, base=payload.base, scopes=payload.scopes
    )
    return Status(201, _role_out(role))


@router.delete("/organizations/{org}/roles/{name}", response={204: None}, summary="Delete an unused custom role")
def custom_role_delete(request, org: str, name: str):
    organization = _org(org)
    policy.require(request.auth, "org:manage_roles", organization)  # before saying whether the role exists
    services.custom_role_delete(actor=request.auth, role=get_object_or_404(CustomRole, organization=organization, name=name))
    return Status(204, None)


@router.post("/organizations/{org}/teams", response={201: dict}, summary="Create a team; the caller becomes its admin")
def team_create(request, org: str, payload: TeamIn):
    team = services.team_create(actor=request.auth, organization=_org(org), slug=payload.slug, name=payload.name)
    return Status(201, _team_out(team, policy.team_access(request.auth, team)))


# --- Teams ------------------------------------------------------------------------


@router.get("/teams/{team}", auth=optional_auth, response=dict, summary="A team's profile")
def team_detail(request, team: str):
    found = selectors.team_or_404(team)
    return _team_out(found, policy.team_access(request.auth, found))


@router.patch("/teams/{team}", response=dict, summary="Change a team's settings")
def team_update(request, team: str, payload: TeamPatch):
    found = selectors.team_or_404(team)
    changes = {key: value for key, value in payload.dict(exclude_unset=True).items() if value is not None}
    services.team_update(actor=request.auth, team=found, **changes)
    return _team_out(found, policy.team_access(request.auth, found))


@router.delete("/teams/{team}", response={204: None}, summary="Delete a team (system admins)")
def team_delete(request, team: str):
    services.team_delete(actor=request.auth, team=selectors.team_or_404(team))
    return Status(204, None)


# --- Members ----------------------------------------------------------------------


@router.get("/teams/{team}/members", summary="The team's members and their roles")
def member_list(request, team: str):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:view", found)
    return paginate(request, selectors.members_of(found), _member_out, default_limit=200)


@router.put("/teams/{team}/members/{username}", response=dict, summary="Add a member or change a role")
def member_set(request, team: str, username: str, payload: MemberIn):
    found = selectors.team_or_404(team)
    user = user_or_404(username)
    membership = selectors.members_of(found).filter(user=user).first()
    if membership is None:
        if not payload.role:
            policy.require(request.auth, "team:invite", found)
            raise ValidationError({"role": ["Give the new member a role: admin, member, viewer or a custom role."]})
        membership = services.member_add(
            actor=request.auth, team=found, user=user, role=payload.role, registry_admin=bool(payload.registry_admin)
        )
    else:
        membership = services.member_change_role(
            actor=request.auth, membership=membership, role=payload.role, registry_admin=payload.registry_admin
        )
    return _member_out(membership)


@router.delete("/teams/{team}/members/{username}", response={204: None}, summary="Remove a member; what they made stays")
def member_remove(request, team: str, username: str):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:remove_member", found)  # before saying whether the person is a member
    services.member_remove(actor=request.auth, membership=_member(request.auth, found, username))
    return Status(204, None)


# --- Invitations ------------------------------------------------------------------


@router.get("/teams/{team}/invitations", summary="Pending invitations")
def invitation_list(request, team: str):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:invite", found)
    return paginate(request, selectors.pending_invitations(found), _invitation_out)


@router.post("/teams/{team}/invitations", response={201: dict}, summary="Invite someone by email")
def invitation_create(request, team: str, payload: InvitationIn):
    created = services.member_invite(
        actor=request.auth, team=selectors.team_or_404(team), email=payload.email, role=payload.role,
        base_url=settings.SITE_URL,  # emails link to the site's real address
    )
    return Status(201, _invitation_out(created.invitation, created.accept_url))


@router.delete("/teams/{team}/invitations/{invitation_id}", response={204: None}, summary="Revoke an invitation")
def invitation_revoke(request, team: str, invitation_id: int):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:invite", found)  # before saying whether the invitation exists
    services.invitation_revoke(actor=request.auth, invitation=get_object_or_404(Invitation, team=found, pk=invitation_id))
    return Status(204, None)


@router.post("/invitations/{token}/accept", response=dict, summary="Accept an invitation (the invitee)")
def invitation_accept(request, token: str):
    invitation = services.invitation_by_token(token)
    problem = services.invitation_problem(invitation, request.auth)
    if problem and problem.link_is_dead:
        raise Http404(problem.message)
    if problem and problem.kind == "member":
        raise Conflict(problem.message)
    if problem:
        raise PermissionDenied(problem.message)
    membership = services.invitation_accept(actor=request.auth, invitation=invitation)
    return {"team": membership.team.slug, "role": membership.role_name}


# --- Service accounts -----------------------------------------------------------------


@router.get("/teams/{team}/service-accounts", summary="The team's service accounts")
def service_account_list(request, team: str):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:manage", found)
    return paginate(request, selectors.service_accounts_of(found), _service_account_out)


@router.post("/teams/{team}/service-accounts", response={201: dict}, summary="Create a service account; its key is shown once")
def service_account_create(request, team: str, payload: ServiceAccountIn):
    created = services.service_account_create(actor=request.auth, team=selectors.team_or_404(team), name=payload.name)
    return Status(201, {**_service_account_out(created.service_account), "key": created.key})


@router.delete("/teams/{team}/service-accounts/{username}", response={204: None}, summary="Revoke a service account")
def service_account_revoke(request, team: str, username: str):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:manage", found)  # before saying whether the account exists
    account = get_object_or_404(ServiceAccount, team=found, user__username=username, revoked_at__isnull=True)
    services.service_account_revoke(actor=request.auth, account=account)
    return Status(204, None)


# --- The audit log ------------------------------------------------------------------------


def _audit_out(event):
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor_name or None,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
    }


@router.get("/teams/{team}/audit", summary="The team's audit log (team:manage)")
def audit_list(request, team: str, action: str = "", actor: str = ""):
    found = selectors.team_or_404(team)
    policy.require(request.auth, "team:manage", found)
    return paginate(request, selectors.audit_events(found, action=action or None, actor=actor or None), _audit_out)
