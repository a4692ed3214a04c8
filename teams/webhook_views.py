"""/<team>/settings/webhooks/: webhooks with their recent deliveries, "send test", and the team's run mails."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_errors

from . import services
from .models import WEBHOOK_EVENTS, Webhook
from .views import settings_context, team_access


class WebhookForm(forms.Form):
    url = forms.URLField(label="Payload URL", max_length=2000, assume_scheme="https",
                         help_text="Receives a POST of JSON for each event. Slack incoming-webhook URLs get a readable message.")
    events = forms.MultipleChoiceField(choices=[(e, e) for e in WEBHOOK_EVENTS], widget=forms.CheckboxSelectMultiple, initial=["alert", "run.crashed"])
    secret = forms.CharField(required=False, max_length=200, widget=forms.PasswordInput(render_value=False),
                             help_text="Optional. Signs each body: X-Teamsite-Signature: sha256=<HMAC-SHA256 hex>.")


def _page(request, team, access, *, form=None, status=200):
    hooks = list(Webhook.objects.filter(team=team))
    for hook in hooks:
        hook.recent = list(hook.deliveries.all()[:10])
    context = settings_context(team, access, tab="webhooks", form=form or WebhookForm(), hooks=hooks)
    return render(request, "teams/settings_webhooks.html", context, status=status)


def settings_webhooks(request, team):
    team, access = team_access(request, team, "team:manage")
    if request.method != "POST":
        return _page(request, team, access)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            services.webhook_create(actor=request.user, team=team, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
                                    secret=form.cleaned_data["secret"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The webhook was added. Send a test to check it.")
            return redirect("team-settings-webhooks", team=team.slug)
    return _page(request, team, access, form=form, status=400)


def _hook(request, team, webhook_id):
    team, access = team_access(request, team, "team:view")
    return get_object_or_404(Webhook, team=team, pk=webhook_id), team


@require_POST
def webhook_test(request, team, webhook_id):
    hook, team = _hook(request, team, webhook_id)
    services.webhook_test(actor=request.user, webhook=hook)
    messages.success(request, f"A test event is on its way to {hook.url}; its delivery shows below.")
    return redirect("team-settings-webhooks", team=team.slug)


@require_POST
def webhook_toggle(request, team, webhook_id):
    hook, team = _hook(request, team, webhook_id)
    services.webhook_update(actor=request.user, webhook=hook, enabled=not hook.enabled)
    return redirect("team-settings-webhooks", team=team.slug)


@require_POST
def webhook_delete(request, team, webhook_id):
    hook, team = _hook(request, team, webhook_id)
    services.webhook_delete(actor=request.user, webhook=hook)
    messages.success(request, f"The webhook to {hook.url} was deleted.")
    return redirect("team-settings-webhooks", team=team.slug)


@require_POST
def run_mails(request, team):
    team, _ = team_access(request, team, "team:view")
    services.team_run_mails_set(actor=request.user, team=team, finished="finished" in request.POST, crashed="crashed" in request.POST)
    messages.success(request, "The team's run emails were saved.")
    return redirect("team-settings-webhooks", team=team.slug)
