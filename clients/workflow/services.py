"""Writes of the agency's handling of feedback: assign, tag, mark handled, notes, and all of these in
bulk on a filtered selection. Each records its audit event in the same transaction; emails (an
assignment, a mention) are queued once it commits."""

import re
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from agency.emails import email_send
from agency.team.audit import audit_record
from agency.team.models import User
from agency.urlbuilders import agency_url
from clients.workflow.models import TAG_MAX_LENGTH, FeedbackHandling, FeedbackNote
from clients.workflow.selectors import mention_handles, team_members

NOTE_MAX_LENGTH = 5000
TAGS_PER_ITEM = 20
BULK_MAX = 5000
EXCERPT_LENGTH = 280
TAG_PATTERN = r"[\w][\w &'./-]*"
TAG_RULE = f"A tag is at most {TAG_MAX_LENGTH} letters, digits, spaces and . - / & ' characters."
_TAG = re.compile(TAG_PATTERN)
# "@ana" or "@ana@agency.example", not inside an email address; a trailing dot ends the sentence.
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


BULK_CHANGES = ("assignee", "handled", "add_tag", "remove_tag")


class BulkAction:
    """What the inbox offers to do to a selection, as :func:`handling_bulk` changes."""

    ASSIGN, UNASSIGN, TAG, UNTAG, HANDLE, REOPEN = "assign", "unassign", "tag", "untag", "handle", "reopen"
    LABELS = {
        ASSIGN: "Assign to",
        UNASSIGN: "Unassign",
        TAG: "Add the tag",
        UNTAG: "Remove the tag",
        HANDLE: "Mark as handled by us",
        REOPEN: "Mark as not handled",
    }

    @classmethod
    def changes(cls, action, *, assignee=None, tag=""):
        return {
            cls.ASSIGN: {"assignee": assignee},
            cls.UNASSIGN: {"assignee": None},
            cls.TAG: {"add_tag": tag},
            cls.UNTAG: {"remove_tag": tag},
            cls.HANDLE: {"handled": True},
            cls.REOPEN: {"handled": False},
        }[action]


def tag_clean(value):
    """A tag as stored: trimmed, single-spaced, lower case; ValidationError when unusable."""
    tag = " ".join(str(value or "").split())
    if not tag:
        raise ValidationError("Enter a tag.")
    tag = tag.lower() if _TAG.fullmatch(tag) else ""
    if not tag or len(tag) > TAG_MAX_LENGTH:
        raise ValidationError(TAG_RULE)
    return tag


def _target(item):
    return f"#{item.pk} ({item.rating}★, {item.client.name} — {item.location.name})"


def _locked(item):
    """The item's handling row, created if missing, locked until the transaction ends."""
    FeedbackHandling.objects.bulk_create([FeedbackHandling(feedback_id=item.pk)], ignore_conflicts=True)
    return FeedbackHandling.objects.select_for_update().get(pk=item.pk)


def _member(user, field):
    if user is not None and not team_members().filter(pk=user.pk).exists():
        raise ValidationError({field: "Choose an active member of the agency (not a client viewer)."})


@transaction.atomic
def handling_assign(*, actor, feedback, assignee):
    """Assign the item to ``assignee`` (a member), or to nobody; the assignee is emailed."""
    _member(assignee, "assignee")
    handling = _locked(feedback)
    if handling.assignee_id == (assignee.pk if assignee else None):
        return handling
    now = timezone.now()
    handling.assignee, handling.assigned_at, handling.updated_at = assignee, now if assignee else None, now
    handling.save()
    audit_record(actor=actor, action="feedback.assigned", target=_target(feedback),
                 assignee=assignee.email if assignee else None)  # fmt: skip
    if assignee is not None and assignee != actor:
        _queue_assignment_email(assignee=assignee, actor=actor, feedback_id=feedback.pk, count=1)
    return handling


@transaction.atomic
def handling_tags_change(*, actor, feedback, add=(), remove=()):
    """Add and remove tags of the item (each cleaned with :func:`tag_clean`)."""
    add, remove = [tag_clean(tag) for tag in add], {tag_clean(tag) for tag in remove}
    handling = _locked(feedback)
    tags = [tag for tag in dict.fromkeys([*handling.tags, *add]) if tag not in remove]
    if len(tags) > TAGS_PER_ITEM:
        raise ValidationError({"tags": f"An item has at most {TAGS_PER_ITEM} tags."})
    if tags == handling.tags:
        return handling
    added, removed = sorted(set(tags) - set(handling.tags)), sorted(set(handling.tags) - set(tags))
    handling.tags, handling.updated_at = tags, timezone.now()
    handling.save()
    audit_record(
        actor=actor, action="feedback.tagged", target=_target(feedback), added=added, removed=removed
    )
    return handling


@transaction.atomic
def handling_mark(*, actor, feedback, handled):
    """Mark the item as handled by the agency (who and when are kept), or as not handled."""
    handling = _locked(feedback)
    if handling.is_handled == bool(handled):
        return handling
    now = timezone.now()
    handling.handled_at, handling.handled_by = (now, actor) if handled else (None, None)
    handling.updated_at = now
    handling.save()
    action = "feedback.handled" if handled else "feedback.reopened"
    audit_record(actor=actor, action=action, target=_target(feedback))
    return handling


@transaction.atomic
def handling_update(*, actor, feedback, **changes):
    """Several changes at once, all or none (the API's PATCH): ``assignee`` (a member or None),
    ``tags`` (the whole list), ``handled`` (bool). Each change is audited as on its own."""
    if "assignee" in changes:
        handling_assign(actor=actor, feedback=feedback, assignee=changes["assignee"])
    if "tags" in changes:
        wanted = list(dict.fromkeys(tag_clean(tag) for tag in changes["tags"]))
        current = FeedbackHandling.objects.filter(pk=feedback.pk).values_list("tags", flat=True).first() or []
        remove = [tag for tag in current if tag not in wanted]
        handling_tags_change(actor=actor, feedback=feedback, add=wanted, remove=remove)
    if "handled" in changes:
        handling_mark(actor=actor, feedback=feedback, handled=changes["handled"])
    return FeedbackHandling.objects.filter(pk=feedback.pk).first() or FeedbackHandling(feedback=feedback)


def mentions_in(body, members=None):
    """The members named by @handles in ``body``, in order of first mention."""
    handles = mention_handles(members if members is not None else team_members())
    found = [handles.get(match.rstrip(".").lower()) for match in MENTION.findall(body)]
    return list(dict.fromkeys(user for user in found if user is not None))


@transaction.atomic
def note_add(*, actor, feedback, body):
    """An internal note on the item. The members it @mentions are emailed (not the author)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a note."})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": f"A note is at most {NOTE_MAX_LENGTH} characters."})
    mentioned = mentions_in(body)
    note = FeedbackNote.objects.create(feedback=feedback, author=actor, author_label=str(actor), body=body)
    note.mentions.set(mentioned)
    audit_record(actor=actor, action="feedback.note_added", target=_target(feedback),
                 note=note.pk, mentions=[user.email for user in mentioned])  # fmt: skip
    if any(user != actor for user in mentioned):
        from clients.workflow.tasks import note_mentions_email_task

        transaction.on_commit(lambda: note_mentions_email_task.delay(note.pk))
    return note


def _bulk_updates(changes, actor, now):
    """Each change as (the rows it changes, the values it sets)."""
    updates = {}
    if "assignee" in changes:
        assignee = changes["assignee"]
        which = ~Q(assignee=assignee) if assignee else Q(assignee__isnull=False)
        updates["assignee"] = (which, {"assignee": assignee, "assigned_at": now if assignee else None})
    if "handled" in changes:
        handled = bool(changes["handled"])
        values = (
            {"handled_at": now, "handled_by": actor} if handled else {"handled_at": None, "handled_by": None}
        )
        updates["handled"] = (Q(handled_at__isnull=handled), values)
    array = FeedbackHandling._meta.get_field("tags")
    for key, function, missing in [("add_tag", "array_append", True), ("remove_tag", "array_remove", False)]:
        if changes.get(key):
            has_tag = Q(tags__contains=[changes[key]])
            values = {"tags": Func(F("tags"), Value(changes[key]), function=function, output_field=array)}
            updates[key] = (~has_tag if missing else has_tag, values)
    return updates


def _bulk_clean(changes):
    changes = dict(changes)
    unknown = set(changes) - set(BULK_CHANGES)
    if unknown:
        raise ValueError(f"unknown bulk changes: {sorted(unknown)}")
    if "assignee" in changes:
        _member(changes["assignee"], "assignee")
    for key in ("add_tag", "remove_tag"):
        if key in changes:
            try:
                changes[key] = tag_clean(changes[key])
            except ValidationError as exc:
                raise ValidationError({key: exc.messages}) from None
    return changes


@transaction.atomic
def handling_bulk(*, actor, feedback, changes, selection=""):
    """Apply ``changes`` to every item of ``feedback`` (the user's filtered queryset; at most
    BULK_MAX): ``assignee`` (a member, or None to unassign), ``handled`` (bool), ``add_tag``,
    ``remove_tag``. ``selection`` describes the filters, for the audit log. Returns ``{"matched": n,
    "changed": n}``: the items selected, and those that were not already as asked."""
    changes = _bulk_clean(changes)
    ids = list(feedback.order_by().values_list("pk", flat=True)[: BULK_MAX + 1])
    if len(ids) > BULK_MAX:
        raise ValidationError(f"At most {BULK_MAX} items at once: narrow the filters.")
    if changes.get("assignee") or changes.get("handled") or changes.get("add_tag"):
        FeedbackHandling.objects.bulk_create([FeedbackHandling(feedback_id=pk) for pk in ids],
                                             ignore_conflicts=True, batch_size=1000)  # fmt: skip
    now = timezone.now()
    updates = _bulk_updates(changes, actor, now)
    rows = FeedbackHandling.objects.filter(feedback_id__in=ids)
    changed = rows.filter(reduce(or_, (which for which, _ in updates.values()))).count() if updates else 0
    counts = {
        key: rows.filter(which).update(**values, updated_at=now) for key, (which, values) in updates.items()
    }
    described = {key: getattr(value, "email", value) for key, value in changes.items()}
    audit_record(actor=actor, action="feedback.bulk_changed", target=f"{len(ids)} feedback items",
                 changes=described, changed=changed, selection=selection[:500])  # fmt: skip
    assignee = changes.get("assignee")
    if assignee is not None and counts.get("assignee") and assignee != actor:
        _queue_assignment_email(assignee=assignee, actor=actor, feedback_id=None, count=counts["assignee"])
    return {"matched": len(ids), "changed": changed}


# ------------------------------------------------------------------- emails
def _queue_assignment_email(*, assignee, actor, feedback_id, count):
    from clients.workflow.tasks import assignment_email_task

    transaction.on_commit(lambda: assignment_email_task.delay(assignee.pk, str(actor), feedback_id, count))


def _excerpt(item):
    comment = " ".join((item.comment or "").split())
    return comment if len(comment) <= EXCERPT_LENGTH else comment[: EXCERPT_LENGTH - 1].rstrip() + "…"


def assignment_email(*, assignee_id, actor_label, feedback_id, count):
    """Tell a member what they were assigned: one item (``feedback_id``), or ``count`` items at once
    (a bulk assignment: the email links to their queue)."""
    from clients.models import Feedback

    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    item = Feedback.objects.select_related("client", "location").filter(pk=feedback_id).first()
    if assignee is None or (feedback_id is not None and item is None):
        return
    agency = connection.tenant
    link = agency_url(agency, "feedback_detail", item.pk) if item else agency_url(agency, "my_queue")
    context = {"actor": actor_label, "item": item, "count": count, "link": link,
               "excerpt": _excerpt(item) if item else ""}  # fmt: skip
    email_send(template="feedback-assigned", to=[assignee.email], agency=agency, context=context)


def note_mentions_email(*, note_id):
    """Email each member the note mentions (once, even if the task runs again)."""
    note = (
        FeedbackNote.objects.select_related("feedback__client", "feedback__location", "author")
        .filter(pk=note_id, mentions_emailed_at__isnull=True)
        .first()
    )
    if note is None:
        return 0
    recipients = [user.email for user in note.mentions.filter(is_active=True) if user.pk != note.author_id]
    agency = connection.tenant
    item = note.feedback
    context = {"note": note, "item": item, "excerpt": _excerpt(item),
               "link": agency_url(agency, "feedback_detail", item.pk)}  # fmt: skip
    for email in recipients:  # one email each: nobody sees who else was mentioned
        email_send(template="feedback-mention", to=[email], agency=agency, context=context)
    FeedbackNote.objects.filter(pk=note.pk).update(mentions_emailed_at=timezone.now())
    return len(recipients)
