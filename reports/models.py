"""Reputation reports (PDF), their schedules and their deliveries (agency schema)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from clients.models import Client, Location


class Section(models.TextChoices):
    SUMMARY = "summary", "Executive summary"
    KPIS = "kpis", "Key figures"
    RATINGS = "ratings", "Ratings and volume over time"
    THEMES = "themes", "Themes"
    SOURCES = "sources", "Sources"
    LOCATIONS = "locations", "Locations compared"
    COMMENTS = "comments", "Notable comments"
    DRIVERS = "drivers", "What drove the change"


ALL_SECTIONS = list(Section.values)


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

    class Meta:
        ordering = ["-end", "-created_at"]
        constraints = [
            # A schedule never produces the same period twice (beat firing twice, a worker dying).
            models.UniqueConstraint(
                fields=["schedule", "start", "end"], name="report_once_per_schedule_period"
            )
        ]

    def __str__(self):
        return f"{self.client} {self.start}–{self.end}"


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
