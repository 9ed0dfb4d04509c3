"""Writes for personal API tokens."""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agency.api.models import ApiToken, Scope
from agency.team.audit import audit_record
from agency.team.models import Role

logger = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=60)


@transaction.atomic
def api_token_create(*, user, name, scope=Scope.READ):
    """Create a token; returns ``(token, raw)``. ``raw`` is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token (e.g. the tool that will use it)."})
    if scope not in Scope.values:
        raise ValidationError({"scope": "Choose read or write."})
    if scope == Scope.WRITE and user.role == Role.CLIENT_VIEWER:
        raise ValidationError({"scope": "Client viewers can only have read-only tokens."})
    raw, hashed = ApiToken.new_token()
    token = ApiToken.objects.create(
        user=user, name=name[:100], scope=scope, prefix=raw[:12], token_hash=hashed
    )
    audit_record(actor=user, action="api_token.created", target=token.name, scope=scope)
    logger.info("API token %s created for user %s", token.pk, user.pk)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor, token):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoked", target=token.name)
        logger.info("API token %s revoked", token.pk)


def api_token_touch(*, token, now=None):
    """Record the last use, at most once a minute per token (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
