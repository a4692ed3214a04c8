from django import forms
from django.core.exceptions import ValidationError

from core.forms import add_service_errors

from . import services


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=150,
        required=False,
        help_text="Shown beside your runs, reports and comments instead of your username.",
    )


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        help_text="PNG, JPEG, WebP or GIF; at most 4 MB and 4096x4096 pixels. It is cropped to a square.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key will be used, such as 'gpu-box-3' or 'nightly CI'.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.created = None

    def save(self):
        try:
            self.created = services.api_key_create(actor=self.user, name=self.cleaned_data["name"])
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None
        return self.created
