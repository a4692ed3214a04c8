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


class OutboxMail(models.Model):
    """One email on its way: written in the sender's transaction, sent once by the worker (core/mail.py)."""

    QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
    STATES = [(QUEUED, "Queued"), (SENDING, "Sending"), (SENT, "Sent"), (FAILED, "Gave up")]

    state = models.CharField(max_length=8, choices=STATES, default=QUEUED)
    subject = models.CharField(max_length=998)
    to = models.JSONField(default=list)
    message = models.JSONField(help_text="The message as the worker rebuilds it: body, sender, headers, alternatives.")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        verbose_name = "outgoing email"

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)}"


class WorkerBeat(models.Model):
    """The last sign of life of each task worker's schedule (readiness: /health/ready)."""

    worker = models.CharField(max_length=200, primary_key=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.worker} at {self.at:%Y-%m-%d %H:%M:%S}"
