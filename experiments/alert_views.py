"""Pages: a project's alert rules and what they fired (/<team>/<project>/alerts/), the team's alerts feed
(/<team>/alerts/), and the workspace's Watch button."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.auth import require_signed_in
from core.forms import add_service_errors
from teams import policy
from teams.selectors import team_or_404

from . import alerts, services
from .models import AlertRule, RunAlert
from .views import project_access


class RuleForm(forms.Form):
    name = forms.CharField(max_length=64)
    metric = forms.CharField(max_length=255, help_text="The metric's key, as logged (e.g. val_loss).")
    kind = forms.ChoiceField(choices=AlertRule.KINDS, initial="threshold")
    level = forms.ChoiceField(choices=RunAlert.LEVELS, initial="warn", required=False)
    op = forms.ChoiceField(label="Threshold: fires when", choices=[("", "—")] + AlertRule.OPS, required=False)
    value = forms.FloatField(label="Threshold value", required=False)
    aggregate = forms.ChoiceField(label="Threshold: of the", choices=AlertRule.AGGREGATES, required=False, initial="last")
    direction = forms.ChoiceField(label="Change: when the metric", choices=[("", "—")] + AlertRule.DIRECTIONS, required=False)
    amount = forms.FloatField(label="Change: by at least", required=False, help_text="Absolute, or a fraction of the baseline when relative (0.05 = 5%).")
    relative = forms.BooleanField(label="Relative change", required=False)
    window = forms.IntegerField(label="Window (last N points)", required=False, min_value=1, help_text="Threshold: default 1; change: default 10.")
    baseline_window = forms.IntegerField(label="Baseline (M points before)", required=False, min_value=1, help_text="Change only; default 50.")

    def rule_data(self):
        data = {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}
        data["relative"] = self.cleaned_data.get("relative", False)
        return data


def _page(request, project, access, form=None, status=200):
    rules = list(alerts.project_rules(project))
    context = {"team": project.team, "project": project, "access": access, "rules": rules, "firings": alerts.project_firings(project),
               "form": form or RuleForm(), "can_edit": access.can("run:edit_workspace"), "watching": alerts.watching(request.user, project)}
    return render(request, "experiments/alerts.html", context, status=status)


def project_alerts(request, team, project):
    project, access = project_access(request, team, project, "run:view")
    if request.method != "POST":
        return _page(request, project, access)
    access.require("run:edit_workspace")
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            services.alert_rule_create(actor=request.user, project=project, **form.rule_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The alert rule was added; it is checked as history arrives.")
            return redirect("project-alerts", team=project.team.slug, project=project.name)
    return _page(request, project, access, form=form, status=400)


def _rule(request, team, project, rule_id):
    project, _ = project_access(request, team, project, "run:view")
    rule = alerts.rule_or_none(project, rule_id)
    if rule is None:
        raise Http404("No such alert rule.")
    return project, rule


@require_POST
def rule_toggle(request, team, project, rule_id):
    project, rule = _rule(request, team, project, rule_id)
    services.alert_rule_update(actor=request.user, rule=rule, enabled=not rule.enabled)
    return redirect("project-alerts", team=project.team.slug, project=project.name)


@require_POST
def rule_delete(request, team, project, rule_id):
    project, rule = _rule(request, team, project, rule_id)
    services.alert_rule_delete(actor=request.user, rule=rule)
    messages.success(request, f"The rule “{rule.name}” was deleted; the alerts it fired stay.")
    return redirect("project-alerts", team=project.team.slug, project=project.name)


@require_POST
def watch(request, team, project):
    require_signed_in(request)
    project, _ = project_access(request, team, project, "run:view")
    on = services.watch_set(actor=request.user, project=project, on=request.POST.get("on") != "0")
    messages.success(request, f"You watch {project.name}: its alerts and run emails reach you." if on else f"You no longer watch {project.name}.")
    return redirect("project", team=project.team.slug, project=project.name)


def team_alerts(request, team):
    team = team_or_404(team)
    policy.require(request.user, "team:view", team)
    level = request.GET.get("level") if request.GET.get("level") in dict(RunAlert.LEVELS) else ""
    page = Paginator(alerts.team_alerts(request.user, team, level=level or None), 50).get_page(request.GET.get("page"))
    return render(request, "experiments/team_alerts.html", {"team": team, "page": page, "level": level, "levels": RunAlert.LEVELS})
