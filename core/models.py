from django.conf import settings
from django.core.cache import cache
from django.db import models

CACHE_KEY = "teamsite:site-settings"


class SiteSettings(models.Model):
    """Site-wide settings that system admins change at /system/settings/.

    One row. SITE_NAME from the environment gives the first name; after that
    this row is the truth. Sign-up is open only while both this row and the
    OPEN_SIGNUP environment switch allow it, so an operator can close it hard.
    """

    site_name = models.CharField(max_length=64)
    open_signup = models.BooleanField(help_text="Anyone may create an account. Off: invitations only.")
    allowed_signup_domains = models.TextField(
        blank=True,
        help_text="One email domain per line (example.org). When set, new accounts need an address at one of them.",
    )

    class Meta:
        db_table = "teamsite_sitesettings"  # created by the teamsite app before the model moved here
        verbose_name = verbose_name_plural = "site settings"

    def __str__(self):
        return "Site settings"

    @property
    def domains(self):
        return [line.strip().lower().lstrip("@") for line in self.allowed_signup_domains.splitlines() if line.strip()]

    @property
    def signup_is_open(self):
        return self.open_signup and settings.OPEN_SIGNUP

    @classmethod
    def current(cls):
        found = cache.get(CACHE_KEY)
        if found is None:
            found, _ = cls.objects.get_or_create(
                pk=1, defaults={"site_name": settings.SITE_NAME, "open_signup": True}
            )
            cache.set(CACHE_KEY, found, 300)
        return found

    @staticmethod
    def forget():
        cache.delete(CACHE_KEY)
