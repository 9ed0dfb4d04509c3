"""Alert rules (agency-wide, or per client) and the alerts they raise (agency schema)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from clients.models import Client, Location


class AlertKind(models.TextChoices):
    NEGATIVE = "negative_feedback", "Negative feedback"
    SPIKE = "negative_spike", "Spike of negative feedback"
    SILENCE = "no_new_feedback", "No new feedback"
    UNRESOLVED = "unresolved", "New items left unresolved"


class AlertRule(models.Model):
    """How one kind of alert behaves for the agency (client empty) or for one client."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    muted = models.BooleanField(default=False)
    max_rating = models.PositiveSmallIntegerField(default=2, help_text="Negative: a rating at most this.")
    min_spike = models.PositiveSmallIntegerField(
        default=3, help_text="Spike: at least this many in 24 hours."
    )
    silence_days = models.PositiveSmallIntegerField(default=7)
    unresolved_hours = models.PositiveIntegerField(default=48)
    digest = models.BooleanField(default=False, help_text="One email a day instead of one per alert.")
    recipients = ArrayField(models.EmailField(), default=list, blank=True,
                            help_text="Empty: the agency's owners and admins.")  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "kind"], name="alertrule_once",
                                               nulls_distinct=False)]  # fmt: skip

    def __str__(self):
        return f"{self.get_kind_display()} ({self.client or 'all clients'})"


class Alert(models.Model):
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alerts")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE)
    message = models.TextField()
    key = models.CharField(max_length=120, unique=True, help_text="The same condition raises one alert.")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "created_at"], name="alert_client_created")]

    def __str__(self):
        return self.message
