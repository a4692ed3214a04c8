from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from . import roles
from .models import AuditEvent

MAX_LINKS = 10


def clean_links(links) -> list[dict]:
    """Team links as [{label, url}], http(s) only; raises ValidationError naming the bad one."""
    cleaned = []
    validate = URLValidator(schemes=["http", "https"])
    for n, link in enumerate(links, start=1):
        item = link if isinstance(link, dict) else link.dict()
        url = (item.get("url") or "").strip()
        label = (item.get("label") or "").strip()[:80]
        try:
            validate(url)
        except ValidationError:
            raise ValidationError(
                {"links": [f"Link {n} ({url or 'empty'}) must be a full http:// or https:// address."]}
            ) from None
        cleaned.append({"label": label or urlsplit(url).hostname, "url": url})
    if len(cleaned) > MAX_LINKS:
        raise ValidationError({"links": [f"A team may show at most {MAX_LINKS} links."]})
    return cleaned


class TeamCreateForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=100, help_text="Shown on the team's profile, such as “Vision Research”.")
    slug = forms.CharField(
        label="Address",
        max_length=64,
        help_text="The team's address: /<name>/. Letters, digits, dots, dashes, underscores.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if organizations.count() == 1:
            self.fields["organization"].initial = organizations.first()


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField()

    def __init__(self, *args, team, **kwargs):
        from .selectors import role_choices

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(team)
        self.fields["role"].initial = roles.DEFAULT_INVITE_ROLE


class AddMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label="Organization member", empty_label="Choose a person")
    role = forms.ChoiceField()

    def __init__(self, *args, team, **kwargs):
        from accounts.models import User

        from .selectors import org_members_not_in_team, role_choices

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            pk__in=org_members_not_in_team(team).values("user_id")
        ).order_by("username")
        self.fields["user"].label_from_instance = lambda user: f"{user.shown_name} ({user.username})"
        self.fields["role"].choices = role_choices(team)
        self.fields["role"].initial = roles.DEFAULT_INVITE_ROLE


class ServiceAccountForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, such as “nightly-training” or “ci”.")


class CustomRoleForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Letters, digits, dots, dashes, underscores, such as “reviewer”.")
    base = forms.ChoiceField(
        choices=[(key, roles.role(key).name) for key in roles.CUSTOM_ROLE_BASES],
        widget=forms.RadioSelect,
        initial=roles.CUSTOM_ROLE_BASES[0],
        help_text="Everything the base role may do, this role may do too.",
    )
    scopes = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Extra scopes"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(scope, f"{scope}: {text}") for scope, text in roles.SCOPES.items()]


class SiteSettingsForm(forms.Form):
    site_name = forms.CharField(max_length=64)
    open_signup = forms.BooleanField(required=False, label="Anyone may create an account")
    allowed_signup_domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Allowed email domains",
        help_text="One per line, such as example.org. Empty: any domain. Invited people may always sign up.",
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, choices=[("", "Every action"), *AuditEvent.ACTIONS])
    actor = forms.ChoiceField(required=False, label="Person")

    def __init__(self, *args, actors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", "Anyone"), *[(name, name) for name in actors]]
