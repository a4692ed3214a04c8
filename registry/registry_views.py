"""Model registry pages: /<team>/registry/ (models), one model (linked versions, aliases in place),
"Link to registry" from a version page, and /<team>/settings/registry/ (registry admins, protected aliases)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.auth import require_signed_in
from core.errors import Conflict
from teams import services as team_services
from teams.models import Membership
from teams.selectors import members_of
from teams.views import team_access

from . import selectors, services
from .api import stream_file
from .views import _errors, _version


def _team(request, team, scope="registry:view"):
    """The team (its name is public) and the viewer's access: visitors sign in first, who lacks `scope` gets 403."""
    require_signed_in(request)
    return team_access(request, team, scope)


def _model(request, team, name, scope="registry:view"):
    team, access = _team(request, team, scope)
    model = selectors.model_by_name(team, name)
    if model is None:
        raise Http404("No such model.")
    return team, access, model


def registry_home(request, team):
    team, access = _team(request, team)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            model = services.model_create(actor=request.user, team=team, name=request.POST.get("name", "").strip(), description=request.POST.get("description", ""))
        except (ValidationError, Conflict) as exc:
            errors, status = {"name": _errors(exc)}, 400
        else:
            messages.success(request, f"{model.name} is registered. Link a model artifact version to it from the version's page.")
            return redirect("registry-model", team=team.slug, model=model.name)
    context = {"team": team, "access": access, "models": list(selectors.models_of(team)), "errors": errors,
               "protected": services.protected_aliases(team), "form": request.POST if errors else {}}
    return render(request, "registry/registry.html", context, status=status)


def model_detail(request, team, model):
    team, access, model = _model(request, team, model)
    protected = services.protected_aliases(team)
    context = {
        "team": team, "access": access, "model": model, "links": list(selectors.links_of(model)), "protected": protected,
        "can_alias": access.can("registry:add_alias"), "can_protected": access.can("registry:manage_protected_aliases"),
        "can_link": access.can("registry:add_model"), "can_delete": access.can("registry:manage_admins"),
        "can_download": access.can("registry:download"),
    }
    template = "registry/model.html#links" if request.htmx else "registry/model.html"
    return render(request, template, context)


@require_POST
def model_alias(request, team, model):
    team, access, found = _model(request, team, model)
    alias = request.POST.get("alias", "").strip()
    status = 200
    try:
        if request.POST.get("remove"):
            services.model_alias_delete(actor=request.user, model=found, alias=alias)
        else:
            link = selectors.link_by_ref(found, request.POST.get("version", ""))
            if link is None:
                access.require("registry:add_alias")
                raise ValidationError("Choose a version.")
            services.model_alias_set(actor=request.user, model=found, alias=alias, link=link)
            messages.success(request, f"{alias} now names {link.version}.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        status = 400
    except Http404:
        messages.error(request, f"There is no alias {alias}.")
    if request.htmx:
        response = model_detail(request, team.slug, found.name)
        response.status_code = status
        return response
    return redirect("registry-model", team=team.slug, model=found.name)


@require_POST
def model_unlink(request, team, model, version):
    team, _, found = _model(request, team, model)
    link = selectors.link_by_ref(found, version)
    if link is None:
        raise Http404("No such version.")
    services.model_unlink(actor=request.user, link=link)
    messages.success(request, f"{link.version} was unlinked from {found.name}.")
    return redirect("registry-model", team=team.slug, model=found.name)


@require_POST
def model_delete(request, team, model):
    team, _, found = _model(request, team, model)
    services.model_delete(actor=request.user, model=found)
    messages.success(request, f"{found.name} was deleted from the registry; its artifact versions stay in their projects.")
    return redirect("registry", team=team.slug)


def model_file(request, team, model, version, path):
    _, _, found = _model(request, team, model, "registry:download")
    link = selectors.link_by_ref(found, version)
    record = selectors.file_of(link.artifact_version, path) if link else None
    if record is None:
        raise Http404("No such file.")
    return stream_file(record)


@require_POST
def link_to_registry(request, team, project, name, version):
    project, _, artifact, found = _version(request, team, project, name, version)
    model = selectors.model_by_name(project.team, request.POST.get("model", ""))
    if model is None:
        team_access(request, project.team.slug, "registry:add_model")
        messages.error(request, "Choose a registered model.")
        return redirect("artifact-version", team=project.team.slug, project=project.name, name=artifact.name, version=found.version)
    link, created = services.model_link(actor=request.user, model=model, version=found)
    messages.success(request, f"{found} is {model.name} {link.version}." if created else f"{found} was already {model.name} {link.version}.")
    return redirect("registry-model", team=project.team.slug, model=model.name)


def settings_registry(request, team):
    team, access = _team(request, team, None)
    if not (access.can("registry:manage_admins") or access.can("registry:manage_protected_aliases")):
        access.require("registry:manage_admins")
    status = 200
    if request.method == "POST":
        try:
            if "protected" in request.POST:
                aliases = [line.strip() for line in request.POST["protected"].replace(",", "\n").splitlines() if line.strip()]
                services.protected_aliases_set(actor=request.user, team=team, aliases=aliases)
                messages.success(request, "Protected aliases saved.")
            else:
                membership = Membership.objects.select_related("user", "custom_role").get(team=team, user__username=request.POST.get("username", ""))
                on = request.POST.get("registry_admin") == "on"
                team_services.member_change_role(actor=request.user, membership=membership, registry_admin=on)
                messages.success(request, f"{membership.user.username} is {'now' if on else 'no longer'} a registry admin.")
        except Membership.DoesNotExist:
            raise Http404("No such member.") from None
        except (ValidationError, Conflict) as exc:
            messages.error(request, _errors(exc))
            status = 400
        if status == 200:
            return redirect("team-settings-registry", team=team.slug)
    context = {
        "team": team, "access": access, "tab": "registry", "members": [m for m in members_of(team) if not m.user.is_service],
        "protected": services.protected_aliases(team), "can_admins": access.can("registry:manage_admins"),
        "can_protected": access.can("registry:manage_protected_aliases"),
    }
    return render(request, "registry/settings_registry.html", context, status=status)
