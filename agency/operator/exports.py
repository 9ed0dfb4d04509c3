"""The core's part of an agency's export: its team, audit log, API tokens and webhook endpoints.
No secret goes in: no password hash, token hash or webhook secret."""

from agency.api.models import ApiToken
from agency.team.models import AuditEvent, User
from agency.webhooks.models import WebhookEndpoint


def _values(queryset, fields):
    return lambda: queryset.order_by("pk").values_list(*fields).iterator(chunk_size=2000)


def core_tables(archive):
    members = ("id", "email", "full_name", "role", "is_active", "date_joined", "last_login")
    archive.table("team_members", members, _values(User.objects.all(), members))
    audit = ("id", "at", "actor_label", "action", "target", "details")
    archive.table("audit_log", audit, _values(AuditEvent.objects.all(), audit))
    tokens = ("id", "name", "prefix", "scope", "user__email", "created_at", "last_used_at", "revoked_at")
    archive.table("api_tokens", tokens, _values(ApiToken.objects.all(), tokens))
    hooks = ("id", "url", "description", "events", "client_id", "is_active", "disabled_reason", "created_at")
    archive.table("webhook_endpoints", hooks, _values(WebhookEndpoint.objects.all(), hooks))
