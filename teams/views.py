"""Team pages: create a team, members, service accounts, the audit log and invitations.

Views parse input, call one service or selector and render; the services ask
the policy for the actor, so a view never decides who may write.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.auth import require_signed_in
from core.errors import Conflict
from core.forms import add_service_errors

from . import policy, selectors, services
from .forms import AddMemberForm, AuditFilterForm, InviteForm, ServiceAccountForm, TeamCreateForm
from .models import Invitation, ServiceAccount

SETTINGS_SCOPES = ("team:invite", "team:remove_member", "team:manage", "registry:manage_admins")


def team_access(request, slug, scope=None):
    """The team (404 when missing) and what the viewer may do in it; a page that needs `scope` asks here."""
    team = selectors.team_or_404(slug)
    access = policy.team_access(request.user, team)
    if scope:
        access.require(scope)
    return team, access


def settings_context(team, access, **extra):
    return {"team": team, "access": access, **extra}


def _error_message(exc):
    return exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)


# --- Create a team --------------------------------------------------------------------


def team_create(request):
    require_signed_in(request)
    organizations = selectors.organizations_for_team_creation(request.user)
    if not organizations.exists():
        raise PermissionDenied(
            "Only organization admins and system admins create teams. Ask an organization admin to create one for you."
        )
    form = TeamCreateForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                actor=request.user, organization=form.cleaned_data["organization"], slug=form.cleaned_data["slug"], name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{team.name} is ready. Invite your colleagues.")
            return redirect("team-settings-members", team=team.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "teams/team_new.html", {"form": form}, status=status)


def invite_entry(request):
    """'Invite Team' in the navigation: invite people to a team one runs, else create a team."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("invite-entry"))
    # inviting first: a team admin who clicks "Invite" wants the invitation form, not a new team
    teams = selectors.admin_teams(request.user)
    if teams:
        return redirect(reverse("team-settings-members", kwargs={"team": teams[0].slug}) + "#invite-heading")
    if selectors.organizations_for_team_creation(request.user).exists():
        return redirect("team-new")
    raise PermissionDenied("Only team admins invite people, and only organization admins create teams.")


# --- Settings: members -------------------------------------------------------------------


def _members_page(request, team, *, status=200, partial=None, **forms):
    access = policy.team_access(request.user, team)  # after a change: what the actor may do now
    context = settings_context(
        team,
        access,
        tab="members",
        memberships=selectors.members_of(team),
        admin_count=selectors.admin_count(team),
        invitations=selectors.pending_invitations(team) if access.can("team:invite") else [],
        role_choices=selectors.role_choices(team),
        invite_form=forms.get("invite_form") or InviteForm(team=team),
        add_form=forms.get("add_form") or AddMemberForm(team=team),
        new_invitation=forms.get("new_invitation"),
        row_error=forms.get("row_error"),
        membership=forms.get("membership"),
    )
    template = "teams/settings_members.html"
    if partial and request.htmx:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)


def settings_members(request, team):
    team, access = team_access(request, team, "team:view")
    if not any(access.can(scope) for scope in SETTINGS_SCOPES):
        access.require("team:manage")
    return _members_page(request, team)


@require_POST
def member_invite(request, team):
    team = selectors.team_or_404(team)
    form = InviteForm(request.POST, team=team)
    if form.is_valid():
        try:
            created = services.member_invite(
                actor=request.user, team=team, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                base_url=settings.SITE_URL,  # emails link to the site's real address
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, f"Invitation sent to {created.invitation.email}.")
                return redirect("team-settings-members", team=team.slug)
            return _members_page(request, team, partial="invitations", new_invitation=created.invitation)
    else:
        policy.team_access(request.user, team).require("team:invite")  # a bad form from someone who may not invite: 403
    return _members_page(request, team, status=400, partial="invitations", invite_form=form)


@require_POST
def invitation_revoke(request, team, invitation_id):
    team = selectors.team_or_404(team)
    invitation = get_object_or_404(Invitation, team=team, pk=invitation_id)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if not request.htmx:
            messages.success(request, f"The invitation to {invitation.email} was revoked.")
    if request.htmx:
        return _members_page(request, team, partial="invitations")
    return redirect("team-settings-members", team=team.slug)


@require_POST
def member_add(request, team):
    team = selectors.team_or_404(team)
    form = AddMemberForm(request.POST, team=team)
    if form.is_valid():
        try:
            membership = services.member_add(actor=request.user, team=team, user=form.cleaned_data["user"], role=form.cleaned_data["role"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{membership.user.shown_name} joined {team.name} as {membership.role_name}.")
            return redirect("team-settings-members", team=team.slug)
    else:
        policy.team_access(request.user, team).require("team:invite")
    return _members_page(request, team, status=400, add_form=form)


def _membership_of(request, team, username):
    policy.team_access(request.user, team).require("team:view")  # members are not listed to outsiders
    membership = selectors.members_of(team).filter(user__username=username).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


@require_POST
def member_role(request, team, username):
    """Change a member's role and/or registry-admin flag; HTMX swaps the members panel in place."""
    team = selectors.team_or_404(team)
    membership = _membership_of(request, team, username)
    role = request.POST.get("role")
    registry_admin = request.POST.get("registry_admin") == "on" if "registry_admin_present" in request.POST else None
    error, status = None, 200
    try:
        membership = services.member_change_role(actor=request.user, membership=membership, role=role, registry_admin=registry_admin)
    except (ValidationError, Conflict) as exc:
        error, status = _error_message(exc), 409 if isinstance(exc, Conflict) else 400
        membership = _membership_of(request, team, username)
    if request.htmx:
        return _members_page(request, team, status=status, partial="members-panel", membership=membership, row_error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{membership.user.shown_name} is now {membership.role_name}.")
    return redirect("team-settings-members", team=team.slug)


@require_POST
def member_remove(request, team, username):
    team = selectors.team_or_404(team)
    membership = _membership_of(request, team, username)
    try:
        services.member_remove(actor=request.user, membership=membership)
    except (ValidationError, Conflict) as exc:
        error, status = _error_message(exc), 409 if isinstance(exc, Conflict) else 400
        if request.htmx:
            return _members_page(request, team, status=status, partial="members-panel", membership=membership, row_error=error)
        messages.error(request, error)
        return redirect("team-settings-members", team=team.slug)
    if request.htmx:
        # the panel is redrawn in place: the row is gone, the single-admin banner current
        return _members_page(request, team, partial="members-panel")
    messages.success(request, f"{membership.user.shown_name} was removed from {team.name}. What they made stays in the team.")
    return redirect("team-settings-members", team=team.slug)


# --- Settings: service accounts ---------------------------------------------------------


def settings_service_accounts(request, team):
    team, access = team_access(request, team, "team:manage")
    form = ServiceAccountForm(request.POST or None)
    created, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.service_account_create(actor=request.user, team=team, name=form.cleaned_data["name"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                status, form = 200, ServiceAccountForm()
    context = settings_context(team, access, tab="service-accounts", form=form, created=created, accounts=selectors.service_accounts_of(team))
    return render(request, "teams/settings_service_accounts.html", context, status=status)


@require_POST
def service_account_revoke(request, team, username):
    team, _ = team_access(request, team, "team:view")
    account = get_object_or_404(ServiceAccount, team=team, user__username=username, revoked_at__isnull=True)
    services.service_account_revoke(actor=request.user, account=account)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, f"The service account {account.name} was revoked; its keys no longer work. Runs it logged stay.")
    return redirect("team-settings-service-accounts", team=team.slug)


# --- Settings: audit log -------------------------------------------------------------------

AUDIT_PAGE = 50


def settings_audit(request, team):
    team, access = team_access(request, team, "team:manage")
    form = AuditFilterForm(request.GET or None, actors=selectors.audit_actors(team))
    action = actor = None
    if form.is_valid():
        action, actor = form.cleaned_data["action"] or None, form.cleaned_data["actor"] or None
    page = Paginator(selectors.audit_events(team, action=action, actor=actor), AUDIT_PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{key}={value}" for key, value in (("action", action), ("actor", actor)) if value)
    context = settings_context(team, access, tab="audit", form=form, page=page, query=query, filtered=bool(action or actor))
    return render(request, "teams/settings_audit.html", context)


# --- Invitations ------------------------------------------------------------------------


def invitation_page(request, token):
    invitation = services.invitation_by_token(token)
    problem = services.invitation_problem(invitation, request.user)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if problem is None:
            membership = services.invitation_accept(actor=request.user, invitation=invitation)
            request.session.pop("invitation_token", None)
            messages.success(request, f"Welcome to {membership.team.name}! You joined as {membership.role_name}.")
            return redirect("team-home", team=membership.team.slug)
    elif problem is None or problem.kind == "email":
        # remembered so that sign-up stays open for the invitee on invite-only sites
        request.session["invitation_token"] = token
    status = 200
    if problem is not None:
        status = 404 if problem.link_is_dead else (409 if problem.kind == "member" else 403)
    context = {
        "invitation": invitation if problem is None or not problem.link_is_dead else None,
        "problem": problem,
        "next": request.get_full_path(),
    }
    return render(request, "teams/invitation.html", context, status=status)
