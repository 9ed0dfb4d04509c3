"""The agency's handling state of feedback items (agency schema).

PulseBack's own status (new, reviewed, resolved) is read-only: its API has no write. The agency's
work lives here instead, one row per item once someone touches it (an item without a row is
unassigned, untagged and not handled).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from clients.models import Feedback

TAG_MAX_LENGTH = 40


class FeedbackHandling(models.Model):
    feedback = models.OneToOneField(Feedback, primary_key=True, on_delete=models.CASCADE,
                                    related_name="handling")  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=TAG_MAX_LENGTH), default=list, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "handled_at"], name="handling_assignee_handled"),
            GinIndex(fields=["tags"], name="handling_tags"),
        ]

    def __str__(self):
        return f"handling of {self.feedback_id}"

    @property
    def is_handled(self):
        return self.handled_at is not None


class FeedbackNote(models.Model):
    """An internal note on an item: never shown to client viewers, never sent to PulseBack."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=254, help_text="Kept when the author is removed.")
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    mentions_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"note {self.pk} on {self.feedback_id}"
