"""Reads for API tokens."""

from agency.api.models import ApiToken, token_hash


def api_token_authenticate(*, raw):
    """The active token ``raw`` is, with its user, or None (unknown, revoked, or its user removed)."""
    if not raw or len(raw) > 200:
        return None
    return ApiToken.objects.active().select_related("user").filter(token_hash=token_hash(raw)).first()


def api_tokens_of(*, user):
    return ApiToken.objects.filter(user=user)
