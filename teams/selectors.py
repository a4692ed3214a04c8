"""Reads for organizations and teams, by audience."""

from django.db.models import Count, Q
from django.http import Http404

from . import policy, roles
from .models import AuditEvent, CustomRole, Invitation, Membership, Organization, OrganizationMember, ServiceAccount, Team


def team_by_slug(slug: str) -> Team | None:
    return Team.objects.select_related("organization").filter(slug=slug).first()


def team_or_404(slug: str) -> Team:
    """The team at /<slug>/; team names are public, so a missing one is the only 404."""
    team = team_by_slug(slug)
    if team is None:
        raise Http404(f"There is no team named {slug}.")
    return team


def teams_of(user):
    """The user's memberships with their teams, for menus and /api/v1/viewer."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("team", "custom_role").order_by("team__name")


def members_of(team: Team):
    """Every membership of the team with what the members page shows, in one query."""
    return (
        Membership.objects.filter(team=team)
        .select_related("user", "custom_role")
        .order_by("user__username")
    )


def people_of(team: Team):
    return members_of(team).filter(user__is_service=False)


def admin_count(team: Team) -> int:
    return Membership.objects.filter(team=team, role__in=roles.ADMIN_ROLES, custom_role__isnull=True).count()


def pending_invitations(team: Team):
    return Invitation.objects.pending().filter(team=team).select_related("custom_role", "invited_by")


def service_accounts_of(team: Team):
    return (
        ServiceAccount.objects.filter(team=team, revoked_at__isnull=True)
        .select_related("user", "created_by")
        .annotate(active_keys=Count("user__api_keys", filter=Q(user__api_keys__revoked_at__isnull=True)))
    )


def org_members_not_in_team(team: Team):
    in_team = Membership.objects.filter(team=team).values("user_id")
    return (
        OrganizationMember.objects.filter(organization_id=team.organization_id)
        .exclude(user_id__in=in_team)
        .select_related("user")
        .order_by("user__username")
    )


def role_choices(team: Team) -> list[tuple[str, str]]:
    """(value, label) pairs for role selects: built-in roles then the organization's custom roles."""
    choices = [(key, roles.role(key).name) for key in roles.ASSIGNABLE]
    choices += [(role.name, f"{role.name} (custom, {role.base}+)") for role in CustomRole.objects.filter(organization_id=team.organization_id)]
    return choices


def organizations_for_team_creation(user):
    if policy.is_system_admin(user):
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user, memberships__role=OrganizationMember.ADMIN)


def admin_teams(user):
    """Teams where the user may invite people (for the 'Invite Team' entry)."""
    return [m.team for m in teams_of(user) if "team:invite" in m.scopes]


def audit_events(team: Team, *, action: str | None = None, actor: str | None = None):
    """The team's audit log, newest first, filtered by action and by the person who acted."""
    events = AuditEvent.objects.filter(team=team)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_name=actor)
    return events.order_by("-at", "-id")


def audit_actors(team: Team) -> list[str]:
    return list(AuditEvent.objects.filter(team=team).exclude(actor_name="").values_list("actor_name", flat=True).distinct().order_by("actor_name"))
