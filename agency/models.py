"""Agencies (tenants) and their domains, and what the platform's operator keeps about them: plans,
usage, exports, parked work of suspended agencies, deletions and the operator's audit log. These
tables live in the public schema."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator, RegexValidator
from django.db import connection, models
from django.utils import timezone
from django_tenants.clone import CloneSchema
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "blog",
        "cdn",
        "dashboard",
        "dev",
        "docs",
        "help",
        "healthz",
        "mail",
        "media",
        "portal",
        "public",
        "root",
        "sandbox",
        "signup",
        "smtp",
        "static",
        "status",
        "support",
        "system",
        "template",
        "test",
        "tenant",
        "www",
    }
)

slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
    "Use 3 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
)


class Agency(TenantMixin):
    """An agency's workspace: its own PostgreSQL schema, reached at its own domains."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True, validators=[slug_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    # White-label branding (agency.branding): on pages, emails and reports, instead of ours.
    brand_primary = models.CharField(max_length=7, default="#3b5bdb")
    brand_accent = models.CharField(max_length=7, default="#e8590c")
    logo = models.FileField(upload_to="branding/", blank=True)
    sender_name = models.CharField(max_length=80, blank=True, help_text="Emails are sent in this name.")
    reply_to = models.EmailField(blank=True, help_text="Replies to the portal's emails go here.")
    contact_line = models.CharField(max_length=200, blank=True, help_text="Phone, website: on reports.")
    report_footer = models.CharField(max_length=200, blank=True)

    # Operated by the platform (agency/operator): its plan (None: the default plan), and suspension.
    plan = models.ForeignKey("Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="agencies")
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=300, blank=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def schema_name_for(slug):
        return "agency_" + slug.replace("-", "_")

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the migrated template schema, its migration records included.

        django-tenants would then run every migration again as "fake" to record them, which
        costs a noticeable part of a sign-up and grows with each migration; the cloned
        ``django_migrations`` rows already say the same (``manage.py migrate`` keeps the
        template current). Without a template, django-tenants' own way applies.
        """
        template = settings.TENANT_BASE_SCHEMA
        if not (sync_schema and schema_exists(template)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        CloneSchema().clone_schema(template, self.schema_name, "DATA")
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    """A host name of an agency: ``<slug>.<PORTAL_DOMAIN>`` or any custom domain."""

    def __str__(self):
        return self.domain


class Plan(models.Model):
    """What an agency may have. A blank limit means no limit."""

    name = models.CharField(max_length=60, unique=True)
    max_clients = models.PositiveIntegerField(null=True, blank=True)
    max_locations = models.PositiveIntegerField(null=True, blank=True)
    max_members = models.PositiveIntegerField(
        null=True, blank=True, help_text="Owners, admins and staff (client viewers do not count)."
    )
    api_requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="All of the agency's tokens together.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Agencies without a plan of their own have this one."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan"
            )
        ]

    def __str__(self):
        return self.name

    def validate_constraints(self, exclude=None):
        """A new default plan takes over from the old one (agency.operator.services.plan_save)."""
        super().validate_constraints(exclude={*(exclude or ()), "is_default"})


class AgencyUsage(models.Model):
    """An agency's figures, measured every few minutes (agency.operator.tasks.usage_refresh_all)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="usage")
    measured_at = models.DateTimeField()
    clients = models.PositiveIntegerField(default=0)
    locations = models.PositiveIntegerField(default=0)
    locations_failing = models.PositiveIntegerField(
        default=0, help_text="Wrong login, unreachable, rate limited."
    )
    members = models.PositiveIntegerField(default=0)
    items = models.BigIntegerField(default=0)
    syncs_24h = models.PositiveIntegerField(default=0)
    sync_failures_24h = models.PositiveIntegerField(default=0)
    report_bytes = models.BigIntegerField(default=0)
    oldest_success_at = models.DateTimeField(
        null=True, blank=True, help_text="The last success of the location that has waited longest for one."
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"usage of {self.agency}"


class ParkedTask(models.Model):
    """Background work of a suspended agency, kept until it is resumed (then queued again)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="parked_tasks")
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    parked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.task} of {self.agency}"


def export_storage():
    """Exports live outside every agency's media folder, under MEDIA_ROOT/exports/."""
    return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / "exports")


class ExportState(models.TextChoices):
    QUEUED = "queued", "Being prepared"
    READY = "ready", "Ready to download"
    DOWNLOADED = "downloaded", "Downloaded"
    FAILED = "failed", "Failed"


class AgencyExport(models.Model):
    """A zip of all of an agency's data, made in the background and downloadable once."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.CharField(max_length=254)
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.QUEUED)
    file = models.FileField(storage=export_storage, blank=True)
    size = models.BigIntegerField(default=0)
    contents = models.JSONField(default=dict, blank=True, help_text="Rows per file.")
    finished_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.CharField(max_length=254, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"export of {self.agency} ({self.state})"


class AgencyDeletion(models.Model):
    """An agency's deletion: scheduled, then done (or cancelled). The record outlives the agency."""

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="deletions"
    )
    slug = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    schema_name = models.CharField(max_length=63)
    domains = models.JSONField(default=list)
    reason = models.CharField(max_length=300, blank=True)
    requested_by = models.CharField(max_length=254)
    requested_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    removed = models.JSONField(default=dict, blank=True, help_text="What was dropped: files, bytes, domains.")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(cancelled_at__isnull=True, deleted_at__isnull=True),
                name="one_pending_deletion_per_agency",
            )
        ]

    def __str__(self):
        return f"deletion of {self.slug}"

    @property
    def is_pending(self):
        return self.cancelled_at is None and self.deleted_at is None


class WorkerHeartbeat(models.Model):
    """The last time a worker ran the heartbeat beat sends through each queue (for /healthz)."""

    queue = models.CharField(max_length=200, unique=True)
    worker = models.CharField(max_length=200)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.queue}: {self.at}"


class OperatorEvent(models.Model):
    """The operator's audit log: who did what to which agency, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Kept when the user is removed.")
    action = models.CharField(max_length=64)
    agency_slug = models.CharField(max_length=40, blank=True, help_text="Kept when the agency is deleted.")
    target = models.CharField(max_length=254)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.target}"
