"""Reputation reports (PDF), their schedules and their deliveries (agency schema)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Location


class Section(models.TextChoices):
    SUMMARY = "summary", _("Executive summary")
    COMMENTARY = "commentary", _("Our commentary")
    KPIS = "kpis", _("Key figures")
    RATINGS = "ratings", _("Ratings and volume over time")
    THEMES = "themes", _("Themes")
    SOURCES = "sources", _("Sources")
    LOCATIONS = "locations", _("Locations compared")
    COMMENTS = "comments", _("Notable comments")
    DRIVERS = "drivers", _("What drove the change")


ALL_SECTIONS = list(Section.values)


class Language(models.TextChoices):
    """The languages a report (and the email that carries it) can be written in."""

    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"
    GERMAN = "de", "Deutsch"
    SPANISH = "es", "Español"


class ReportTemplate(models.Model):
    """The agency's own words and layout for every client's report (one row per agency schema)."""

    sections = ArrayField(
        models.CharField(max_length=16, choices=Section.choices), default=list,
        help_text="The sections of a report, in this order.",
    )  # fmt: skip
    introduction = models.TextField(blank=True, help_text="Opens every report (Markdown).")
    closing = models.TextField(blank=True, help_text="Ends every report (Markdown).")
    approval_required = models.BooleanField(
        default=False, help_text="Reports sent from the portal wait for an owner or admin to approve them."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "Report template"


class ClientReportSettings(models.Model):
    """A client's report language, and optionally its own template instead of the agency's."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="report_settings")
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    own_template = models.BooleanField(default=False)
    sections = ArrayField(models.CharField(max_length=16, choices=Section.choices), default=list)
    introduction = models.TextField(blank=True)
    closing = models.TextField(blank=True)

    def __str__(self):
        return f"Report settings of {self.client}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ReportSchedule(models.Model):
    """When a client's report is generated and who receives it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="report_schedules")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE)
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    day = models.PositiveSmallIntegerField(
        default=1,
        help_text="Day of the month (1-28) for monthly and quarterly, weekday (1=Monday) for weekly.",
    )
    recipients = ArrayField(models.EmailField(), default=list, blank=True)
    sections = ArrayField(models.CharField(max_length=16, choices=Section.choices), default=list)
    approval_required = models.BooleanField(
        default=False, help_text="Due reports wait for a person to release them."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.get_frequency_display()} report of {self.client}"


class ReportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    READY = "ready", "Ready"
    AWAITING_APPROVAL = "awaiting_approval", "Waiting for approval"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


def report_path(report, filename):
    return f"reports/{report.client_id}/{filename}"


class Report(models.Model):
    """One client (all locations, or one) over one period of local days [start, end]."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reports")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE)
    start = models.DateField()
    end = models.DateField(help_text="Last day of the period, included.")
    sections = ArrayField(models.CharField(max_length=16, choices=Section.choices), default=list)
    schedule = models.ForeignKey(ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=ReportState.choices, default=ReportState.QUEUED)
    pdf = models.FileField(upload_to=report_path, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    generated_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    commentary = models.TextField(blank=True, help_text="The agency's words for this report (Markdown).")
    recipients = ArrayField(
        models.EmailField(), default=list, blank=True, help_text="Typed for this report; empty: the usual."
    )
    send_when_ready = models.BooleanField(default=False, help_text="Email it once generated (and approved).")
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-end", "-created_at"]
        constraints = [
            # One current report per period and scope (beat firing twice, two people at once);
            # a replacement supersedes the old one, which stays in the archive.
            models.UniqueConstraint(
                F("client"), Coalesce(F("location"), Value(0)), F("start"), F("end"),
                condition=Q(superseded_at__isnull=True), name="report_one_current_per_period",
            )
        ]  # fmt: skip

    def __str__(self):
        return f"{self.client} {self.start}–{self.end}"

    @property
    def is_current(self):
        return self.superseded_at is None


class DeliveryState(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReportDelivery(models.Model):
    """One attempt to email a report. At most one is ever ``sent`` or ``sending`` per report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    recipients = ArrayField(models.EmailField())
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.SENDING)
    error = models.TextField(blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(state__in=["sending", "sent"]),
                name="report_delivered_once",
            )
        ]

    def __str__(self):
        return f"{self.report} to {', '.join(self.recipients)}: {self.state}"


class ShareLink(models.Model):
    """A signed, expiring, revocable link that opens a report without an account."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="share_links")
    nonce = models.CharField(max_length=32, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Share link of {self.report}"

    @property
    def is_live(self):
        return self.revoked_at is None and self.expires_at > timezone.now()
