import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from . import roles

SLUG_RE = r"^[A-Za-z0-9_.-]{1,64}$"
slug_validator = RegexValidator(
    SLUG_RE, "Use 1 to 64 letters, digits, dots, dashes or underscores.", code="invalid_slug"
)
# Words the site itself uses at its root (spec/pages.md).
RESERVED_TEAM_SLUGS = frozenset(
    {"accounts", "admin", "api", "static", "media", "settings", "teams", "orgs", "invitations", "explore", "system", "health"}
)


def validate_team_slug(value):
    slug_validator(value)
    if value.lower() in RESERVED_TEAM_SLUGS or not re.search(r"[A-Za-z0-9]", value):
        raise ValidationError(f"“{value}” is a word the site uses itself; choose another name.", code="reserved")


class Organization(models.Model):
    slug = models.CharField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="OrganizationMember", related_name="organizations")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("slug"), name="organization_slug_ci_unique")]

    def __str__(self):
        return self.name


class OrganizationMember(models.Model):
    ADMIN, MEMBER = roles.ORG_ADMIN, roles.ORG_MEMBER
    ROLE_CHOICES = [(ADMIN, "Organization admin"), (MEMBER, "Member")]

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_memberships")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_org_membership")]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"


class CustomRole(models.Model):
    """An organization's role: a built-in base (viewer or member) plus extra scopes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="custom_roles")
    name = models.CharField(max_length=64, validators=[slug_validator])
    base = models.CharField(max_length=16, choices=[(key, roles.role(key).name) for key in roles.CUSTOM_ROLE_BASES])
    extra_scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="custom_role_name_unique")]

    def __str__(self):
        return self.name

    @property
    def scopes(self):
        return roles.role(self.base).scopes | frozenset(self.extra_scopes)


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="teams")
    slug = models.CharField(max_length=64, unique=True, validators=[validate_team_slug])
    name = models.CharField(max_length=100)
    intro = models.TextField(blank=True, max_length=50_000, validators=[MaxLengthValidator(50_000)])
    links = models.JSONField(default=list, blank=True)
    projects_stay_inside = models.BooleanField(
        default=False, help_text="Projects stay inside the team: public and open visibility are refused."
    )
    avatar_large = models.FileField(upload_to="avatars/teams/", blank=True, max_length=255)
    avatar_small = models.FileField(upload_to="avatars/teams/", blank=True, max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    # Which run endings are emailed to the run's creator and the project's watchers.
    mail_run_finished = models.BooleanField(default=False, help_text="Email when a run finishes (or fails, or is stopped).")
    mail_run_crashed = models.BooleanField(default=True, help_text="Email when a run crashes (no heartbeat).")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("slug"), name="team_slug_ci_unique")]

    def __str__(self):
        return self.name

    @property
    def initials(self):
        words = re.split(r"[\s_.-]+", self.name.strip())
        return "".join(word[0] for word in words if word)[:2].upper() or "?"


class Membership(models.Model):
    """A person's (or service account's) role in a team; the role table gives its scopes."""

    ROLE_CHOICES = [(r.key, r.name) for r in roles.ROLES] + [("custom", "Custom role")]

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    custom_role = models.ForeignKey(CustomRole, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    registry_admin = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_team_membership"),
            models.CheckConstraint(
                condition=(models.Q(role="custom") & models.Q(custom_role__isnull=False))
                | (~models.Q(role="custom") & models.Q(custom_role__isnull=True)),
                name="custom_role_iff_custom",
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role_name})"

    @property
    def role_name(self):
        """What the API and the pages call the role: a built-in key or the custom role's name."""
        return self.custom_role.name if self.custom_role_id else self.role

    @property
    def base_role(self):
        return self.custom_role.base if self.custom_role_id else self.role

    @property
    def scopes(self):
        scopes = self.custom_role.scopes if self.custom_role_id else roles.role(self.role).scopes
        if self.registry_admin:
            scopes = scopes | roles.REGISTRY_SCOPES
        return scopes

    @property
    def is_admin(self):
        """A team admin by the role table (custom roles never are)."""
        return not self.custom_role_id and roles.role(self.role).admin


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An emailed invitation; the token in its link is stored only as a digest."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.ROLE_CHOICES)
    custom_role = models.ForeignKey(CustomRole, null=True, blank=True, on_delete=models.CASCADE)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.email} to {self.team}"

    @property
    def role_name(self):
        return self.custom_role.name if self.custom_role_id else self.role

    @property
    def state(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ServiceAccount(models.Model):
    """A team's bot: a user with is_service that holds the `service` role in its parent team."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="service_accounts")
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.team})"


class AuditEvent(models.Model):
    """One administrative change: who did what to whom, with what it was before and after.

    Written by the service that makes the change, in its transaction; never
    changed afterwards. The names are copied so that the record outlives the
    people, teams and objects it names.
    """

    ACTIONS = [
        ("member.added", "Member added"),
        ("member.removed", "Member removed"),
        ("member.role_changed", "Role changed"),
        ("registry.admin_changed", "Registry admin changed"),
        ("registry.protected_aliases_changed", "Protected aliases changed"),
        ("invitation.created", "Invitation created"),
        ("invitation.revoked", "Invitation revoked"),
        ("project.visibility_changed", "Project visibility changed"),
        ("project.deleted", "Project deleted"),
        ("service_account.created", "Service account created"),
        ("service_account.revoked", "Service account revoked"),
        ("api_key.created", "API key created"),
        ("api_key.revoked", "API key revoked"),
        ("team.settings_changed", "Team settings changed"),
        ("storage.changed", "Storage changed"),
        ("webhook.changed", "Webhook changed"),
        ("export.created", "Export created"),
    ]

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    team_slug = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, choices=ACTIONS)
    target = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["team", "-at"]), models.Index(fields=["team", "action", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'the site'} {self.action} {self.target}"


class TeamStorage(models.Model):
    """Where a team's artifact blobs and run files go: one row per place (kind, endpoint, bucket, prefix).

    A team's current place is its newest active row; files record the row they were
    written to, so files stored before a change stay readable where they are. The
    secret is encrypted with a key derived from settings.SECRET_KEY (teams/storage.py).
    """

    LOCAL, S3 = "local", "s3"
    KINDS = [(LOCAL, "The site's media folder"), (S3, "An S3-compatible bucket")]

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="storages")
    kind = models.CharField(max_length=8, choices=KINDS, default=LOCAL)
    endpoint_url = models.CharField(max_length=500, blank=True)
    region = models.CharField(max_length=64, blank=True)
    bucket = models.CharField(max_length=255, blank=True)
    prefix = models.CharField(max_length=255, blank=True)
    access_key_id = models.CharField(max_length=255, blank=True)
    secret_encrypted = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="The team's current storage (one per team).")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["team"], condition=models.Q(active=True), name="one_active_storage_per_team")]

    def __str__(self):
        if self.kind == self.S3:
            return f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return "the site's media folder"

    @property
    def secret_set(self):
        return bool(self.secret_encrypted)


WEBHOOK_EVENTS = ["alert", "run.finished", "run.crashed", "registry.alias_set", "report.published"]


class Webhook(models.Model):
    """A team's subscription: events POSTed as signed JSON to a URL (teams/webhooks.py)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    # Signs each body (HMAC-SHA256); write-only through the API and pages. Not exported.
    secret = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url

    @property
    def is_slack(self):
        return self.url.startswith("https://hooks.slack.com/")


class WebhookDelivery(models.Model):
    """One event for one webhook, with its attempts; retried with backoff until delivered or given up."""

    PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
    STATES = [(PENDING, "Pending"), (SENDING, "Sending"), (DELIVERED, "Delivered"), (FAILED, "Gave up")]

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    attempts = models.IntegerField(default=0)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # every attempt: [{at, status_code, error}]
    log = models.JSONField(default=list)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    @property
    def delivered(self):
        return self.state == self.DELIVERED
