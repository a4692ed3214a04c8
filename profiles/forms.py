from django import forms


class TeamGeneralForm(forms.Form):
    name = forms.CharField(max_length=100)
    intro = forms.CharField(
        required=False,
        strip=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "editor"}),
        help_text="Markdown, shown to visitors on the team page. Badges work: [![label](https://img.shields.io/...)](https://...).",
    )
    links = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="External links",
        help_text="One per line, in the order to show: “Label | https://…”, or just the address.",
    )


class TeamAvatarForm(forms.Form):
    avatar = forms.FileField(help_text="PNG, JPEG, WebP or GIF; at most 4 MB and 4096x4096 pixels.")
