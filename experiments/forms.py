from django import forms

from .models import Visibility

VISIBILITY_HELP = {
    "team": "Everyone on the team.",
    "restricted": "Team admins and the people on the access list.",
    "public": "Anyone, signed in or not, can look; only the team writes.",
    "open": "Anyone can look, and anyone signed in may log runs to it.",
}


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Letters, digits, dots, dashes, underscores, such as “mnist-cnn”.")
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(
        choices=[(value, f"{label}: {VISIBILITY_HELP[value]}") for value, label in Visibility.choices],
        initial="team",
        widget=forms.RadioSelect,
    )


class ProjectSettingsForm(forms.Form):
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(
        choices=[(value, f"{label}: {VISIBILITY_HELP[value]}") for value, label in Visibility.choices], widget=forms.RadioSelect
    )


class ProjectDeleteForm(forms.Form):
    confirm = forms.CharField(label="Type the project's name to confirm", max_length=64)


PANEL_TYPES = [
    ("line", "Line chart (metric curves)"),
    ("scatter", "Scatter plot (run value vs run value)"),
    ("bar", "Bar chart (a run value per run)"),
    ("parallel", "Parallel coordinates (config -> summary)"),
    ("markdown", "Note (Markdown)"),
]


class XAxisField(forms.ChoiceField):
    """step, time, relative, or metric:KEY (another metric, chosen in a chart's controls)."""

    def valid_value(self, value):
        return super().valid_value(value) or (value.startswith("metric:") and 7 < len(value) <= 300)


class PanelForm(forms.Form):
    type = forms.ChoiceField(choices=PANEL_TYPES, initial="line", required=False, label="Kind")
    keys = forms.CharField(
        max_length=2000, required=False, label="Metrics",
        help_text="Line charts: metric names, such as loss, val_loss. Other kinds: run values such as config.lr, summary.acc (scatter: x then y).",
    )
    title = forms.CharField(required=False, max_length=120)
    x = XAxisField(
        choices=[("step", "Step"), ("time", "Wall time"), ("relative", "Relative time")], initial="step", required=False, label="X axis",
        help_text="Or another metric: choose it in the chart's own controls.",
    )
    smoothing = forms.FloatField(min_value=0, max_value=0.99, initial=0, required=False, help_text="0 to 0.99 (exponential moving average).")
    log_y = forms.BooleanField(required=False, label="Logarithmic y axis")
    group_by = forms.CharField(required=False, max_length=120, label="Group runs by", help_text="Empty, group, job_type or config.KEY.")
    text = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}), label="Note", help_text="For notes: Markdown.")

    def clean_x(self):
        x = (self.cleaned_data.get("x") or "step").strip()
        if x not in ("step", "time", "relative") and not (x.startswith("metric:") and len(x) > 7):
            raise forms.ValidationError("The x axis is step, time, relative or metric:KEY.")
        return x

    def panel(self):
        data = self.cleaned_data
        return {
            "type": data.get("type") or "line",
            "keys": [key.strip() for key in (data.get("keys") or "").split(",") if key.strip()],
            "title": data.get("title") or "",
            "x": data["x"],
            "smoothing": data.get("smoothing") or 0,
            "log_y": data.get("log_y", False),
            "group_by": (data.get("group_by") or "").strip(),
            "text": data.get("text") or "",
        }


class ViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="View name", help_text="The team sees it in the views list; its address opens it.")


class RunNotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))
    tags = forms.CharField(required=False, max_length=1000, help_text="Comma-separated, such as baseline, augmentation.")


class RunMoveForm(forms.Form):
    project = forms.ChoiceField(label="Move to project")


SWEEP_EXAMPLE = """method: bayes
metric:
  name: val_loss
  goal: minimize
parameters:
  lr:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
  batch_size:
    values: [32, 64, 128]
run_cap: 20
"""


class SweepForm(forms.Form):
    name = forms.CharField(required=False, max_length=128, help_text="Optional; the sweep's id is used without one.")
    config = forms.CharField(
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code-input"}),
        initial=SWEEP_EXAMPLE,
        help_text="A W&B sweep config in YAML or JSON: method (grid, random, bayes), metric, parameters, run_cap, early_terminate.",
    )
