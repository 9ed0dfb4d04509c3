"""The operator's audit log (public schema): one call per operator action, from the service that
makes it, in the same transaction."""

from agency.models import OperatorEvent

ACTIONS = {
    "plan.created": "created the plan",
    "plan.updated": "changed the plan",
    "agency.plan_changed": "changed the plan of",
    "agency.suspended": "suspended",
    "agency.resumed": "resumed",
    "agency.export_requested": "asked for an export of",
    "agency.export_downloaded": "downloaded the export of",
    "agency.deletion_scheduled": "scheduled the deletion of",
    "agency.deletion_cancelled": "cancelled the deletion of",
    "agency.deleted": "deleted",
}


def operator_audit_record(*, actor, action, agency=None, target="", **details):
    """Record an operator action (``actor`` None: the platform itself, such as a due deletion)."""
    assert action in ACTIONS, action
    OperatorEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        agency_slug=agency.slug if agency is not None else "",
        target=str(target or agency or "")[:254],
        details=details,
    )
