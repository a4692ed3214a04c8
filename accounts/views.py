"""/settings/: profile, avatar, email addresses and API keys of the signed-in person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApiKeyForm, AvatarForm, ProfileForm


def _render_settings(request, *, status=200, partial=None, **forms):
    user = request.user
    context = {
        "profile_form": forms.get("profile_form") or ProfileForm(initial={"display_name": user.display_name}),
        "avatar_form": forms.get("avatar_form") or AvatarForm(),
        "api_key_form": forms.get("api_key_form") or ApiKeyForm(user=user),
        "new_key": forms.get("new_key"),
        "api_keys": selectors.api_keys_of(user),
        "email_addresses": selectors.email_addresses_of(user),
    }
    template = "accounts/settings.html"
    if partial and request.htmx:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)


@login_required
def settings_page(request):
    return _render_settings(request)


@login_required
@require_POST
def profile_save(request):
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, status=400, partial="profile", profile_form=form)
    try:
        services.profile_update(actor=request.user, display_name=form.cleaned_data["display_name"])
    except ValidationError as exc:
        form.add_error(None, exc)
        return _render_settings(request, status=400, partial="profile", profile_form=form)
    messages.success(request, "Your profile was saved.")
    return redirect("settings")


@login_required
@require_POST
def avatar_save(request):
    if request.POST.get("remove"):
        services.avatar_remove(actor=request.user)
        messages.success(request, "Your avatar was removed.")
        return redirect("settings")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.avatar_set(actor=request.user, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
    if not form.is_valid():
        request.user.refresh_from_db()
        return _render_settings(request, status=400, avatar_form=form)
    messages.success(request, "Your new avatar is in place.")
    return redirect("settings")


@login_required
@require_POST
def api_key_create(request):
    form = ApiKeyForm(request.POST, user=request.user)
    created = form.save() if form.is_valid() else None
    if created is None:
        return _render_settings(request, status=400, partial="api-keys", api_key_form=form)
    # Rendered, not redirected: the full key exists only in this response.
    return _render_settings(request, partial="api-keys", new_key=created)


@login_required
@require_POST
def api_key_revoke(request, prefix):
    if not services.api_key_revoke(actor=request.user, prefix=prefix):
        raise Http404("You have no active API key with that prefix.")
    if request.htmx:
        return _render_settings(request, partial="api-keys")
    messages.success(request, f"The key {prefix}… was revoked; it no longer works.")
    return redirect("settings")


@login_required
def notifications_page(request):
    """/settings/notifications/: what the signed-in person is emailed about."""
    from .models import NotificationSettings
    from .notifications import settings_of

    saved = False
    if request.method == "POST":
        services.notification_settings_save(actor=request.user, **{kind: kind in request.POST for kind in NotificationSettings.KINDS})
        saved = True
        if not request.htmx:
            messages.success(request, "Your notification choices were saved.")
            return redirect("settings-notifications")
    current = settings_of(request.user)
    choices = [{"kind": kind, "label": label, "on": getattr(current, kind)} for kind, label in NotificationSettings.KINDS.items()]
    template = "accounts/notifications.html#choices" if request.htmx else "accounts/notifications.html"
    return render(request, template, {"choices": choices, "saved": saved})


def unsubscribe(request, token):
    """The link in every notification mail: confirm (GET), then stop that kind of mail (POST). No sign-in needed."""
    from .models import NotificationSettings
    from .notifications import read_token

    found = read_token(token)
    if found is None:
        raise Http404("This unsubscribe link is not valid.")
    person, kind = found
    done = request.method == "POST"
    if done:
        services.notification_settings_save(actor=person, **{kind: False})
    return render(request, "accounts/unsubscribe.html", {"label": NotificationSettings.KINDS[kind], "done": done})
