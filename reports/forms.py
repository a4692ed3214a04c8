from django import forms

from .models import ReportVisibility

VISIBILITY_HELP = {
    "draft": "Draft: you and the team admins.",
    "team": "Team: whoever sees the team's content, or the project's when you pick one.",
    "public": "Public: anyone, and it may be shown on the team profile.",
}


class ReportForm(forms.Form):
    title = forms.CharField(max_length=200)
    project = forms.ChoiceField(required=False, help_text="Optional: tie the report to one project.")
    visibility = forms.ChoiceField(
        choices=[(value, VISIBILITY_HELP[value]) for value in ReportVisibility.values], widget=forms.RadioSelect, initial="draft"
    )
    body = forms.CharField(
        required=False,
        strip=False,  # a body saved unchanged must compare equal, trailing newline and all
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 22, "class": "editor", "spellcheck": "true"}),
        help_text="Markdown: headings, lists, tables, code, footnotes, task lists, [TOC], badges "
        "([![label](https://img.shields.io/…)](https://…)) and live charts (a ```chart block with runs: and keys: lines).",
    )
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, projects=(), project_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.name, p.name) for p in projects]
        self.fields["project"].choices = choices if project_required else [("", "No project")] + choices
        self.fields["project"].required = project_required


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown works here too."
    )
