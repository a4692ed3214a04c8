import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person, or a team's service account (a bot that only uses API keys)."""

    display_name = models.CharField(max_length=150, blank=True)
    is_service = models.BooleanField(
        default=False,
        help_text="Service accounts log runs through API keys and can never sign in to the web pages.",
    )
    avatar_large = models.FileField(upload_to="avatars/users/", blank=True, max_length=255)
    avatar_small = models.FileField(upload_to="avatars/users/", blank=True, max_length=255)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def shown_name(self):
        return self.display_name or self.username

    @property
    def initials(self):
        words = self.shown_name.replace("-", " ").replace("_", " ").split()
        return "".join(word[0] for word in words[:2]).upper() or "?"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A secret a script uses as `Authorization: Bearer <key>`.

    Only the prefix is kept in clear (to find the row and to show the owner which
    key is which); the full key is stored as a SHA-256 digest. Keys are long
    random strings, so a fast hash is enough: there is nothing to brute-force.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self):
        return self.revoked_at is None


class NotificationSettings(models.Model):
    """What a person chooses to be emailed about (/settings/notifications/). No row: the defaults."""

    KINDS = {
        "alerts": "Alerts on runs I created or projects I watch",
        "comments": "Comments and revisions of reports I follow",
        "runs": "Runs finished or crashed (mine, and in projects I watch)",
    }

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="notification_settings")
    alerts = models.BooleanField(default=True)
    comments = models.BooleanField(default=True)
    runs = models.BooleanField(default=True)

    def __str__(self):
        return f"Notifications of {self.user}"
