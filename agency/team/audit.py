"""The audit log: one call per change worth knowing about, from the services that make it."""

from agency.team.models import AuditEvent

ACTIONS = {
    "client.created": "added the client",
    "client.updated": "edited the client",
    "client.removed": "removed the client",
    "location.added": "added the location",
    "location.credentials_replaced": "replaced the PulseBack login of",
    "location.paused": "paused the sync of",
    "location.login_requested": "asked the business owner for the PulseBack login of",
    "location.connected_by_owner": "connected (the business owner entered the login)",
    "location.resumed": "resumed the sync of",
    "branding.updated": "changed the branding",
    "team.invited": "invited",
    "team.joined": "joined as",
    "team.role_changed": "changed the role of",
    "team.removed": "removed from the team",
    "report.schedule_saved": "saved the report schedule of",
    "report.sent": "sent the report",
    "report.approved": "approved the report",
    "webhook.created": "added the webhook",
    "webhook.updated": "changed the webhook",
    "webhook.removed": "removed the webhook",
    "api_token.created": "created the API token",
    "api_token.revoked": "revoked the API token",
    "pos_trigger.changed": "changed the point-of-sale trigger of",
    "alert_rule.saved": "changed an alert rule of",
}


def audit_record(*, actor, action, target, **details):
    """Record a change by ``actor`` (a user, or None for the system). ``details``: no secrets."""
    assert action in ACTIONS, action
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=str(actor.email) if actor is not None else "system",
        action=action,
        target=str(target)[:254],
        details=details,
    )
