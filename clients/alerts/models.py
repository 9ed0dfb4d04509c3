"""Alert rules (agency-wide, or per client), the alerts they raise, and the chat channels
(Slack, Microsoft Teams, Google Chat incoming webhooks) they are posted to (agency schema)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from agency.crypto import EncryptedTextField
from clients.models import Client, Feedback, Location


class AlertKind(models.TextChoices):
    NEGATIVE = "negative_feedback", "Negative feedback"
    SPIKE = "negative_spike", "Spike of negative feedback"
    SILENCE = "no_new_feedback", "No new feedback"
    UNRESOLVED = "unresolved", "New items left unresolved"
    LOGIN_BROKEN = "login_broken", "PulseBack login refused"
    SYNC_FAILING = "sync_failing", "Syncs failing in a row"


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    GOOGLE_CHAT = "google_chat", "Google Chat"


class AlertChannel(models.Model):
    """A chat channel's incoming-webhook URL. The URL is a secret (whoever has it may post), so it
    is stored encrypted and shown only by its host."""

    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100, help_text="For you, e.g. “#reviews in Slack”.")
    url = EncryptedTextField()
    host = models.CharField(max_length=255, help_text="The URL's host, to show instead of the URL.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def last_ok(self):
        return self.last_attempt_at is not None and self.last_attempt_at == self.last_delivered_at


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
    failures_in_row = models.PositiveSmallIntegerField(
        default=3, help_text="Alert when this many syncs of a location have failed in a row."
    )
    digest = models.BooleanField(default=False, help_text="One email a day instead of one per alert.")
    recipients = ArrayField(models.EmailField(), default=list, blank=True,
                            help_text="Empty: the agency's owners and admins.")  # fmt: skip
    channels = models.ManyToManyField(AlertChannel, blank=True, related_name="rules",
                                      help_text="Chat channels that get each alert at once.")  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "kind"], name="alertrule_once",
                                               nulls_distinct=False)]  # fmt: skip

    def __str__(self):
        return f"{self.get_kind_display()} ({self.client or 'all clients'})"


class Alert(models.Model):
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alerts")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE)
    feedback = models.ForeignKey(
        Feedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The item the alert is about (for its excerpt and link), when there is one.",
    )  # fmt: skip
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
