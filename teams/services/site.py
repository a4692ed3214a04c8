"""Site-wide writes for system admins: settings and accounts for other people."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import services as account_services
from core.models import SiteSettings

from .. import policy

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@transaction.atomic
def site_settings_update(*, actor, site_name: str, open_signup: bool, allowed_signup_domains: str) -> SiteSettings:
    policy.require(actor, "system:manage")
    domains = [line.strip().lower().lstrip("@") for line in (allowed_signup_domains or "").splitlines() if line.strip()]
    bad = [domain for domain in domains if not DOMAIN_RE.match(domain)]
    if bad:
        raise ValidationError({"allowed_signup_domains": [f"Not an email domain: {', '.join(bad)}. Write one per line, like example.org."]})
    current = SiteSettings.current()
    current = SiteSettings.objects.select_for_update().get(pk=current.pk)
    current.site_name = (site_name or "").strip()
    current.open_signup = bool(open_signup)
    current.allowed_signup_domains = "\n".join(domains)
    current.full_clean()
    current.save()
    transaction.on_commit(SiteSettings.forget)
    return current


def user_create(*, actor, username: str, email: str, password: str):
    """A system admin creates an account for someone (POST /api/v1/users)."""
    policy.require(actor, "system:create_user")
    return account_services.user_create(username=username, email=email, password=password)
