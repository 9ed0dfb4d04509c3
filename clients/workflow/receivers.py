"""The workflow subscribes to ``agency.events``: its data goes into the agency's export."""

from django.contrib.postgres.aggregates import ArrayAgg
from django.dispatch import receiver

from agency import events
from clients.workflow.models import FeedbackHandling, FeedbackNote

HANDLING_FIELDS = ("feedback_id", "assignee__email", "assigned_at", "tags", "handled_at", "handled_by__email",
                   "updated_at")  # fmt: skip
NOTE_FIELDS = ("id", "feedback_id", "author_label", "body", "mentioned", "created_at")


def _rows(queryset, fields):
    return lambda: queryset.order_by("pk").values_list(*fields).iterator(chunk_size=2000)


@receiver(events.data_exported, dispatch_uid="clients.workflow.export")
def workflow_export(*, archive, **_):
    """The agency's handling of each item and its internal notes (with whom they mention)."""
    handling = _rows(FeedbackHandling.objects.all(), HANDLING_FIELDS)
    archive.table("feedback_handling", HANDLING_FIELDS, handling)
    notes = FeedbackNote.objects.annotate(mentioned=ArrayAgg("mentions__email", default=[], distinct=True))
    archive.table("feedback_notes", NOTE_FIELDS, _rows(notes, NOTE_FIELDS))
