"""Team pages: create, home, settings (general, members, service accounts),
invitations, custom roles and the system settings page."""

from django.contrib import messages
from django.db.models import Count
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from core.auth import SignInFirst
from core.errors import Conflict
from core.forms import add_service_errors
from core.markdown import render_markdown

from . import policy, selectors, services
from .forms import (
    AddMemberForm,
    CustomRoleForm,
    InviteForm,
    ServiceAccountForm,
    SiteSettingsForm,
    TeamAvatarForm,
    TeamCreateForm,
    TeamGeneralForm,
)
from .models import CustomRole, Invitation, Organization, ServiceAccount


def _team_access(request, slug, scope=None):
    """The team (404 when missing) and what the viewer may do in it; asks for `scope` when given."""
    team = selectors.team_by_slug(slug)
    if team is None:
        raise Http404("No such team.")
    access = policy.team_access(request.user, team)
    if scope and not access.can(scope):
        if not request.user.is_authenticated:
            raise SignInFirst
        access.require(scope)
    return team, access


def _settings_context(team, access, **extra):
    return {"team": team, "access": access, **extra}


# --- Create a team --------------------------------------------------------------------


@login_required
def team_create(request):
    organizations = selectors.organizations_for_team_creation(request.user)
    if not organizations.exists():
        raise PermissionDenied(
            "Only organization admins and system admins create teams. Ask an organization admin to create one for you."
        )
    form = TeamCreateForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data["organization"]
        policy.require(request.user, "org:create_team", organization)
        try:
            team = services.team_create(
                organization=organization, slug=form.cleaned_data["slug"], name=form.cleaned_data["name"], creator=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{team.name} is ready. Invite your colleagues.")
            return redirect("team-settings-members", team=team.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "teams/team_new.html", {"form": form}, status=status)


# --- The team's page --------------------------------------------------------------------


def team_home(request, team):
    """The team's profile: what visitors see, and more for members."""
    from experiments.selectors import projects_of
    from reports.selectors import reports_of

    team, access = _team_access(request, team)
    members = list(selectors.people_of(team)) if access.can("team:view") else None
    context = {
        "team": team,
        "access": access,
        "members": members,
        "member_count": len(members) if members is not None else selectors.people_of(team).count(),
        "intro_html": render_markdown(team.intro),
        "projects": list(projects_of(request.user, team)[:12]) if access.is_member else [],
        "recent_reports": list(reports_of(request.user, team)[:6]),
        **selectors.profile(team, request.user),
    }
    return render(request, "teams/team_home.html", context)


# --- Settings: general -------------------------------------------------------------------


def _general_context(team, access, **extra):
    from experiments.models import Project
    from reports.models import Report

    showcased = selectors.showcase_for_admins(team)
    taken_reports = {item.report_id for item in showcased}
    taken_projects = {item.project_id for item in showcased}
    return _settings_context(
        team,
        access,
        tab="general",
        showcase=showcased,
        report_choices=[r for r in Report.objects.filter(team=team).exclude(visibility="draft").order_by("title") if r.pk not in taken_reports],
        project_choices=[p for p in Project.objects.filter(team=team).order_by("name") if p.pk not in taken_projects],
        **extra,
    )


def settings_general(request, team):
    team, access = _team_access(request, team, "team:manage")
    initial = {"name": team.name, "intro": team.intro, "links": "\n".join(f"{l['label']} | {l['url']}" for l in team.links)}
    form = TeamGeneralForm(request.POST or None, initial=initial)
    avatar_form = TeamAvatarForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                links = services.links_from_text(form.cleaned_data["links"])
                services.team_update(team=team, name=form.cleaned_data["name"], intro=form.cleaned_data["intro"], links=links)
            except ValidationError as exc:
                team.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, "The team settings were saved.")
                return redirect("team-settings", team=team.slug)
    context = _general_context(team, access, form=form, avatar_form=avatar_form, preview_html=render_markdown(team.intro))
    return render(request, "teams/settings_general.html", context, status=status)


@require_POST
def team_avatar(request, team):
    team, access = _team_access(request, team, "team:manage")
    form = TeamAvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.team_avatar_set(team=team, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
    if not form.is_valid():
        team.refresh_from_db()
        general = TeamGeneralForm(initial={"name": team.name, "intro": team.intro, "links": "\n".join(f"{l['label']} | {l['url']}" for l in team.links)})
        context = _general_context(team, access, form=general, avatar_form=form, preview_html=render_markdown(team.intro))
        return render(request, "teams/settings_general.html", context, status=400)
    messages.success(request, "The team's new avatar is in place.")
    return redirect("team-settings", team=team.slug)


@require_POST
def intro_preview(request, team):
    team, access = _team_access(request, team)
    if not access.can("team:manage"):
        return HttpResponse(status=403)
    return render(request, "teams/settings_general.html#intro-preview", {"preview_html": render_markdown(request.POST.get("intro", ""))})


@require_POST
def showcase_edit(request, team):
    """Add, move or remove a showcased report or project; htmx swaps the showcase panel."""
    from experiments.models import Project
    from reports.models import Report

    from .models import ShowcaseItem

    team, access = _team_access(request, team, "team:manage")
    action = request.POST.get("action")
    error = None
    try:
        if action == "add":
            kind, _, pk = request.POST.get("item", "").partition(":")
            report = Report.objects.filter(team=team, pk=pk).first() if kind == "report" and pk.isdigit() else None
            project = Project.objects.filter(team=team, pk=pk).first() if kind == "project" and pk.isdigit() else None
            services.showcase_add(team=team, report=report, project=project)
        else:
            item = get_object_or_404(ShowcaseItem, team=team, pk=request.POST.get("id") or 0)
            if action in ("up", "down"):
                services.showcase_move(item=item, direction=action)
            elif action == "remove":
                services.showcase_remove(item=item)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        context = _general_context(team, access, showcase_error=error)
        return render(request, "teams/settings_general.html#showcase", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(reverse("team-settings", kwargs={"team": team.slug}) + "#showcase")


# --- Settings: privacy -----------------------------------------------------------------


def settings_privacy(request, team):
    from experiments import services as experiment_services
    from experiments.models import Project

    team, access = _team_access(request, team, "team:manage")
    confirm_project, confirm_inside, status = None, None, 200
    if request.method == "POST":
        if request.POST.get("form") == "visibility":
            project = get_object_or_404(Project, team=team, pk=request.POST.get("project") or 0)
            visibility = request.POST.get("visibility", "")
            widening = visibility in ("public", "open") and project.visibility not in ("public", "open")
            if widening and not team.projects_stay_inside and request.POST.get("confirmed") != "1":
                confirm_project, project.proposed = project, visibility  # ask first: this opens it to the world
            else:
                try:
                    experiment_services.project_update(project=project, visibility=visibility)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                    status = 400
                else:
                    messages.success(request, f"{project.name} is now {project.get_visibility_display().lower()}.")
        elif request.POST.get("form") == "inside":
            turn_on = request.POST.get("on") == "1"
            outward = list(team.projects.filter(visibility__in=["public", "open"]).order_by("name"))
            if turn_on and outward and request.POST.get("confirmed") != "1":
                confirm_inside = outward
            else:
                services.team_update(team=team, projects_stay_inside=turn_on)
                messages.success(request, "Projects now stay inside the team." if turn_on else "Projects may be public or open again.")
        if not (confirm_project or confirm_inside) and not request.htmx and status == 200:
            return redirect("team-settings-privacy", team=team.slug)
    projects = Project.objects.filter(team=team).select_related("created_by").annotate(run_count=Count("runs")).order_by("name")
    context = _settings_context(team, access, tab="privacy", projects=projects, confirm_project=confirm_project, confirm_inside=confirm_inside)
    template = "teams/settings_privacy.html"
    if request.htmx and not confirm_inside:
        template += "#privacy-table"
    return render(request, template, context, status=status)


# --- Settings: members -------------------------------------------------------------------


def _members_page(request, team, access, *, status=200, partial=None, **forms):
    context = _settings_context(
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


def _can_open_members_settings(access):
    return any(access.can(scope) for scope in ("team:invite", "team:remove_member", "team:manage", "registry:manage_admins"))


def settings_members(request, team):
    team, access = _team_access(request, team, "team:view")
    if not _can_open_members_settings(access):
        access.require("team:manage")
    return _members_page(request, team, access)


@require_POST
def member_invite(request, team):
    team, access = _team_access(request, team, "team:invite")
    form = InviteForm(request.POST, team=team)
    if form.is_valid():
        try:
            access.require_may_grant(services.resolve_role(team, form.cleaned_data["role"]).scopes)
            created = services.member_invite(
                team=team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, f"Invitation sent to {created.invitation.email}.")
                return redirect("team-settings-members", team=team.slug)
            return _members_page(request, team, access, partial="invitations", new_invitation=created.invitation)
    return _members_page(request, team, access, status=400, partial="invitations", invite_form=form)


@require_POST
def invitation_revoke(request, team, invitation_id):
    team, access = _team_access(request, team, "team:invite")
    invitation = get_object_or_404(Invitation, team=team, pk=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if not request.htmx:
            messages.success(request, f"The invitation to {invitation.email} was revoked.")
    if request.htmx:
        return _members_page(request, team, access, partial="invitations")
    return redirect("team-settings-members", team=team.slug)


@require_POST
def member_add(request, team):
    team, access = _team_access(request, team, "team:invite")
    form = AddMemberForm(request.POST, team=team)
    if form.is_valid():
        try:
            access.require_may_grant(services.resolve_role(team, form.cleaned_data["role"]).scopes)
            membership = services.member_add(team=team, user=form.cleaned_data["user"], role=form.cleaned_data["role"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{membership.user.shown_name} joined {team.name} as {membership.role_name}.")
            return redirect("team-settings-members", team=team.slug)
    return _members_page(request, team, access, status=400, add_form=form)


def _membership_of(team, username):
    membership = selectors.members_of(team).filter(user__username=username).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


@require_POST
def member_role(request, team, username):
    """Change a member's role and/or registry-admin flag; HTMX swaps the row in place."""
    team, access = _team_access(request, team, "team:view")
    if not (access.can("team:manage") or access.can("registry:manage_admins")):
        access.require("team:manage")
    membership = _membership_of(team, username)
    role = request.POST.get("role")
    registry_admin = None
    if "registry_admin_present" in request.POST:
        registry_admin = request.POST.get("registry_admin") == "on"
    if role is not None and role != membership.role_name:
        access.require("team:manage")
    else:
        role = None
    if registry_admin is not None and registry_admin != membership.registry_admin:
        access.require("registry:manage_admins")
    else:
        registry_admin = None
    error, status = None, 200
    try:
        membership = services.member_change_role(membership=membership, role=role, registry_admin=registry_admin)
    except (ValidationError, Conflict) as exc:
        error = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
        status = 409 if isinstance(exc, Conflict) else 400
        membership = _membership_of(team, username)
    if request.htmx:
        return _members_page(request, team, access, status=status, partial="members-panel", membership=membership, row_error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{membership.user.shown_name} is now {membership.role_name}.")
    return redirect("team-settings-members", team=team.slug)


@require_POST
def member_remove(request, team, username):
    team, access = _team_access(request, team, "team:remove_member")
    membership = _membership_of(team, username)
    try:
        services.member_remove(membership=membership)
    except (ValidationError, Conflict) as exc:
        error = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
        status = 409 if isinstance(exc, Conflict) else 400
        if request.htmx:
            return _members_page(request, team, access, status=status, partial="members-panel", membership=membership, row_error=error)
        messages.error(request, error)
        return redirect("team-settings-members", team=team.slug)
    if request.htmx:
        # the panel is redrawn in place: the row is gone, the single-admin banner current
        return _members_page(request, team, access, partial="members-panel")
    messages.success(request, f"{membership.user.shown_name} was removed from {team.name}. What they made stays in the team.")
    return redirect("team-settings-members", team=team.slug)


# --- Settings: service accounts ---------------------------------------------------------


def settings_service_accounts(request, team):
    team, access = _team_access(request, team, "team:manage")
    form = ServiceAccountForm(request.POST or None)
    created, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.service_account_create(team=team, name=form.cleaned_data["name"], created_by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                status, form = 200, ServiceAccountForm()
    context = _settings_context(
        team, access, tab="service-accounts", form=form, created=created, accounts=selectors.service_accounts_of(team)
    )
    return render(request, "teams/settings_service_accounts.html", context, status=status)


@require_POST
def service_account_revoke(request, team, username):
    team, access = _team_access(request, team, "team:manage")
    account = get_object_or_404(ServiceAccount, team=team, user__username=username, revoked_at__isnull=True)
    services.service_account_revoke(account=account)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, f"The service account {account.name} was revoked; its keys no longer work. Runs it logged stay.")
    return redirect("team-settings-service-accounts", team=team.slug)


# --- Invitations ------------------------------------------------------------------------


def invitation_page(request, token):
    invitation = services.invitation_by_token(token)
    problem = services.invitation_problem(invitation, request.user)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if problem is None:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
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


# --- Custom roles -------------------------------------------------------------------------


@login_required
def org_roles(request, org):
    organization = get_object_or_404(Organization, slug=org)
    policy.require(request.user, "org:view", organization)
    can_manage = policy.can(request.user, "org:manage_roles", organization)
    form = CustomRoleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        policy.require(request.user, "org:manage_roles", organization)
        status = 400
        if form.is_valid():
            try:
                role = services.custom_role_create(
                    organization=organization,
                    name=form.cleaned_data["name"],
                    base=form.cleaned_data["base"],
                    scopes=form.cleaned_data["scopes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"The role {role.name} was created; team admins can assign it now.")
                return redirect("org-roles", org=organization.slug)
    context = {
        "organization": organization,
        "roles": CustomRole.objects.filter(organization=organization).annotate(member_count=Count("memberships")),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "teams/org_roles.html", context, status=status)


@login_required
@require_POST
def org_role_delete(request, org, name):
    organization = get_object_or_404(Organization, slug=org)
    policy.require(request.user, "org:manage_roles", organization)
    role = get_object_or_404(CustomRole, organization=organization, name=name)
    try:
        services.custom_role_delete(role=role)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The role {name} was deleted.")
    return redirect("org-roles", org=organization.slug)


# --- System settings ------------------------------------------------------------------------


@login_required
def system_settings(request):
    from core.models import SiteSettings
    from core.services import site_settings_update

    policy.require(request.user, "system:manage")
    current = SiteSettings.current()
    form = SiteSettingsForm(
        request.POST or None,
        initial={
            "site_name": current.site_name,
            "open_signup": current.open_signup,
            "allowed_signup_domains": current.allowed_signup_domains,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            site_settings_update(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The system settings were saved.")
            return redirect("system-settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "organizations": Organization.objects.all(), "user_count": User.objects.filter(is_service=False).count()}
    return render(request, "teams/system_settings.html", context, status=status)


def invite_entry(request):
    """'Invite Team' in the navigation: create a team, or invite people to one."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("invite-entry"))
    if selectors.organizations_for_team_creation(request.user).exists():
        return redirect("team-new")
    teams = selectors.admin_teams(request.user)
    if teams:
        return redirect("team-settings-members", team=teams[0].slug)
    raise PermissionDenied("Only team admins invite people, and only organization admins create teams.")
