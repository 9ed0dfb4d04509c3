"""Client businesses, their PulseBack locations, synced feedback and sync runs (agency schema)."""

import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from agency.crypto import EncryptedTextField


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (for example Europe/Paris).")


class Client(models.Model):
    """A client business of the agency: one or more locations."""

    name = models.CharField(max_length=150)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    report_recipients = ArrayField(models.EmailField(), default=list, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ViewerAccess(models.Model):
    """Which client a client-viewer user may see (read-only)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewer_access"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="viewers")

    def __str__(self):
        return f"{self.user} sees {self.client}"


class ConnectionState(models.TextChoices):
    PENDING = "pending", "Waiting for first sync"
    CONNECTED = "connected", "Connected"
    INVALID_CREDENTIALS = "invalid_credentials", "Invalid credentials"
    RATE_LIMITED = "rate_limited", "Waiting for PulseBack's rate limit"
    UNREACHABLE = "unreachable", "Unreachable"
    PAUSED = "paused", "Paused"


class Location(models.Model):
    """One PulseBack business account, with its own login."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=150)
    pulseback_email = models.EmailField()
    pulseback_password = EncryptedTextField(null=True)
    # Blank: the deployment's addresses (settings). Set: this location's own.
    api_url = models.URLField(blank=True)
    auth_url = models.URLField(blank=True)
    anon_key = models.CharField(max_length=500, blank=True)

    state = models.CharField(max_length=24, choices=ConnectionState.choices, default=ConnectionState.PENDING)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    backfilled_at = models.DateTimeField(null=True, blank=True)

    # The kept PulseBack session (encrypted), so syncs do not sign in every time.
    access_token = EncryptedTextField(null=True)
    refresh_token = EncryptedTextField(null=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # The access token's lifetime (PulseBack's expires_in): the token is renewed min(60 s, 10%) early.
    token_lifetime = models.FloatField(null=True, blank=True)
    # Sign-ins and refreshes this location spent on the UTC day ``auth_day`` (the shared budget).
    auth_day = models.DateField(null=True, blank=True)
    auth_day_sign_ins = models.IntegerField(default=0)
    auth_day_refreshes = models.IntegerField(default=0)

    # The latest finished sync's outcome (a SyncState: succeeded, partial, deferred or failed).
    sync_outcome = models.CharField(max_length=16, blank=True)
    sync_unseen = models.IntegerField(default=0, help_text="Items PulseBack counts that are not synced yet")
    sync_retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next attempt runs")
    # Where an unfinished full pass stopped (clients.sync_walk.Cursor), so the next one resumes there.
    sync_cursor = models.JSONField(null=True, blank=True)
    # PulseBack items that break the contract (not stored, but PulseBack counts them): key -> status.
    malformed_items = models.JSONField(default=dict, blank=True)

    # One sync at a time per location, across workers; expires if its holder dies.
    sync_lock_owner = models.CharField(max_length=200, blank=True)
    sync_lock_expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name", "name"]

    def __str__(self):
        return f"{self.client.name} — {self.name}"

    @property
    def is_paused(self):
        return self.state == ConnectionState.PAUSED


class Status(models.TextChoices):
    NEW = "new", "New"
    REVIEWED = "reviewed", "Reviewed"
    RESOLVED = "resolved", "Resolved"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


_LIVE = models.Q(removed_at__isnull=True)  # feedback not removed in PulseBack


class Feedback(models.Model):
    """One PulseBack feedback item, as last seen. Upserted on (location, pulseback_id)."""

    # Not indexed alone: the composite indexes below start with these columns,
    # and a lone index on location tempts the planner away from the unique one.
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="feedback", db_index=False)
    # Always the location's client (the sync writes it from the location), so the location's
    # constraint already proves the client exists; one of its own would cost a check per row
    # written, a third of a backfill's commit.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="feedback", db_index=False, db_constraint=False
    )
    pulseback_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    customer_name = models.TextField(null=True, blank=True)
    customer_email = models.TextField(null=True, blank=True)
    rating = models.SmallIntegerField()
    comment = models.TextField(null=True, blank=True)
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, null=True, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    themes = ArrayField(models.TextField(), default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    source = models.TextField(blank=True)
    raw = models.JSONField()
    content_hash = models.CharField(max_length=32)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["location", "pulseback_id"], name="feedback_unique_per_location")
        ]
        # Lists are newest first (created_at, then id): these walk in that order, live items only
        # where every reader of them asks for live items. The location's one holds removed items too
        # (the silence alert reads its newest item, removed or not).
        indexes = [
            models.Index(fields=["location", "-created_at", "-id"], name="feedback_location_newest"),
            models.Index(
                fields=["client", "-created_at", "-id"], condition=_LIVE, name="feedback_client_live_newest"
            ),
            models.Index(fields=["-created_at", "-id"], condition=_LIVE, name="feedback_live_newest"),
            models.Index(
                fields=["status", "-created_at", "-id"], condition=_LIVE, name="feedback_live_status_newest"
            ),
            models.Index(
                fields=["sentiment", "-created_at", "-id"],
                condition=_LIVE,
                name="feedback_live_sentiment_newest",
            ),
            models.Index(fields=["client", "status"], name="feedback_client_status"),
            models.Index(fields=["client", "sentiment"], name="feedback_client_sentiment"),
            models.Index(fields=["client", "rating"], name="feedback_client_rating"),
        ]

    def __str__(self):
        return f"{self.rating}★ {self.pulseback_id}"


class FeedbackStatusChange(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=16)
    new_status = models.CharField(max_length=16)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seen_at", "id"]

    def __str__(self):
        return f"{self.old_status} → {self.new_status}"


class SyncKind(models.TextChoices):
    BACKFILL = "backfill", "Backfill"
    INCREMENTAL = "incremental", "Incremental"
    RECONCILE = "reconcile", "Full reconcile"
    FOLLOW_UP = "follow_up", "Catch-up"


class SyncState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial"
    DEFERRED = "deferred", "Waiting for PulseBack's rate limit"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    # Indexed by syncrun_location_state (location first): an index of its own was one more for
    # every run's insert, and for the planner of every query, to keep up.
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="sync_runs", db_index=False)
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.QUEUED)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expected = models.IntegerField(null=True, blank=True, help_text="PulseBack's total when the run began")
    pages = models.IntegerField(default=0)
    fetched = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    removed = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    retries = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    unseen = models.IntegerField(default=0, help_text="Partial: items PulseBack counts that it could not see")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Deferred: when it resumes")
    sign_ins = models.IntegerField(default=0)
    refreshes = models.IntegerField(default=0)
    waited_seconds = models.FloatField(default=0, help_text="Waits PulseBack named (Retry-After, reset)")

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["location", "state"], name="syncrun_location_state")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.location_id} ({self.state})"

    @property
    def progress(self):
        """0..1, for a progress bar; None while the size is unknown."""
        if self.state == SyncState.SUCCEEDED:
            return 1.0
        if not self.expected:
            return None
        return min(1.0, self.fetched / self.expected)


# The roll-ups' counts that the feedback lists' totals add up: all items, and each value of
# PulseBack's filters (status, sentiment).
TOTAL_COUNTS = (
    "count",
    "status_new",
    "status_reviewed",
    "status_resolved",
    "positive",
    "neutral",
    "negative",
)


class FeedbackDaily(models.Model):
    """Roll-up of one location's live feedback for one day (the client's local day).

    Kept current by the sync (clients.rollups); dashboards read these instead of
    the feedback table. Statuses are the items' current ones.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    count = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    rating_1 = models.IntegerField(default=0)
    rating_2 = models.IntegerField(default=0)
    rating_3 = models.IntegerField(default=0)
    rating_4 = models.IntegerField(default=0)
    rating_5 = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)
    status_new = models.IntegerField(default=0)
    status_reviewed = models.IntegerField(default=0)
    status_resolved = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "day"], name="feedbackdaily_unique")]
        # With the totals' counts, the location and the rating sum: the lists' totals, the portfolio
        # overview and the leaderboard add up a span of days from the index alone.
        indexes = [
            models.Index(
                fields=["client", "day"],
                include=(*TOTAL_COUNTS, "location", "rating_sum"),
                name="feedbackdaily_client_day",
            )
        ]

    def __str__(self):
        return f"{self.location_id} on {self.day}: {self.count}"


class FeedbackMonthly(models.Model):
    """One location's daily roll-ups summed over a local month (``month``: its first day), the
    counts only (TOTAL_COUNTS): the feedback lists' totals read whole months here, a thirtieth of
    the rows of their days. Kept with the daily ones (clients.rollups)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    count = models.IntegerField(default=0)
    status_new = models.IntegerField(default=0)
    status_reviewed = models.IntegerField(default=0)
    status_resolved = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "month"], name="feedbackmonthly_unique")]
        indexes = [
            models.Index(
                fields=["client", "month"], include=TOTAL_COUNTS, name="feedbackmonthly_client_month"
            )
        ]

    def __str__(self):
        return f"{self.location_id} in {self.month:%Y-%m}: {self.count}"


class TagKind(models.TextChoices):
    THEME = "theme", "Theme"
    SOURCE = "source", "Source"


class FeedbackDailyTag(models.Model):
    """Roll-up per day of one location's feedback by theme or by source."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=TagKind.choices)
    value = models.TextField()
    count = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    positive = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["location", "day"], name="feedbackdailytag_location_day"),
            models.Index(fields=["client", "kind", "day"], name="feedbackdailytag_client_day"),
        ]

    def __str__(self):
        return f"{self.location_id} on {self.day}, {self.kind} {self.value}: {self.count}"
