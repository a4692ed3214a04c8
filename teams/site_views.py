"""Organization and site pages: custom roles (organization admins) and the system settings (system admins)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from core.auth import require_signed_in
from core.errors import Conflict
from core.forms import add_service_errors
from core.models import SiteSettings

from . import policy, services
from .forms import CustomRoleForm, SiteSettingsForm
from .models import CustomRole, Organization


def org_roles(request, org):
    require_signed_in(request)
    organization = get_object_or_404(Organization, slug=org)
    policy.require(request.user, "org:view", organization)
    form = CustomRoleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                role = services.custom_role_create(
                    actor=request.user,
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
        else:
            policy.require(request.user, "org:manage_roles", organization)
    context = {
        "organization": organization,
        "roles": CustomRole.objects.filter(organization=organization).annotate(member_count=Count("memberships")),
        "form": form,
        "can_manage": policy.can(request.user, "org:manage_roles", organization),
    }
    return render(request, "teams/org_roles.html", context, status=status)


@require_POST
def org_role_delete(request, org, name):
    require_signed_in(request)
    organization = get_object_or_404(Organization, slug=org)
    policy.require(request.user, "org:view", organization)
    role = get_object_or_404(CustomRole, organization=organization, name=name)
    try:
        services.custom_role_delete(actor=request.user, role=role)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The role {name} was deleted.")
    return redirect("org-roles", org=organization.slug)


def system_settings(request):
    require_signed_in(request)
    policy.require(request.user, "system:manage")
    current = SiteSettings.current()
    form = SiteSettingsForm(
        request.POST or None,
        initial={"site_name": current.site_name, "open_signup": current.open_signup, "allowed_signup_domains": current.allowed_signup_domains},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.site_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The system settings were saved.")
            return redirect("system-settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "organizations": Organization.objects.all(), "user_count": User.objects.filter(is_service=False).count()}
    return render(request, "teams/system_settings.html", context, status=status)
