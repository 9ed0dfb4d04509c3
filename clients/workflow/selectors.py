"""Reads of the agency's handling of feedback: who may be assigned or mentioned, tags, notes."""

from django.db.models import F, Func

from agency.team.models import Role, User
from clients.workflow.models import FeedbackHandling, FeedbackNote

TAGS_LISTED = 200


def team_members():
    """Who may be assigned an item or mentioned in a note: active members other than client
    viewers (the handling and the notes are internal to the agency)."""
    return User.objects.filter(is_active=True).exclude(role=Role.CLIENT_VIEWER).order_by("full_name", "email")


def may_handle(user):
    """Whether ``user`` sees and changes the agency's handling (client viewers do neither)."""
    return user.is_authenticated and user.role != Role.CLIENT_VIEWER


def mention_handles(members):
    """``{handle: user}``: each member by their whole email address, and by its part before the @
    when no other member shares it (so ``@ana`` works, and ``@ana@agency.example`` always does)."""
    handles, locals_seen = {}, {}
    for user in members:
        email = user.email.lower()
        handles[email] = user
        local = email.split("@", 1)[0]
        locals_seen.setdefault(local, []).append(user)
    for local, users in locals_seen.items():
        if len(users) == 1 and local not in handles:
            handles[local] = users[0]
    return handles


def short_handle(user, handles):
    """The handle to show for ``user``: the short one when it is theirs alone."""
    local = user.email.lower().split("@", 1)[0]
    return local if handles.get(local) == user else user.email.lower()


def handling_of(*, feedback):
    """The item's handling, or an unsaved empty one (unassigned, untagged, not handled)."""
    found = FeedbackHandling.objects.select_related("assignee", "handled_by").filter(feedback=feedback)
    return found.first() or FeedbackHandling(feedback=feedback)


def notes_of(*, feedback):
    notes = FeedbackNote.objects.filter(feedback=feedback)
    return notes.select_related("author").prefetch_related("mentions")


def tags_in_use():
    """The tags the agency uses, alphabetically (for pickers and filters)."""
    tags = (
        FeedbackHandling.objects.exclude(tags=[])
        .annotate(tag=Func(F("tags"), function="unnest"))
        .values_list("tag", flat=True)
        .distinct()
        .order_by("tag")
    )
    return list(tags[:TAGS_LISTED])
