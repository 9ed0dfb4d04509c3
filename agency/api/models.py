"""Personal API tokens. Only a token's SHA-256 is stored; the token is shown once."""

import hashlib
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "pbp_"  # noqa: S105  (a marker, not a secret: lets secret scanners spot tokens)


class Scope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


def token_hash(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    # The first characters of the token, to tell tokens apart in lists (not enough to use one).
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_token():
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return raw, token_hash(raw)

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def can_write(self):
        return self.scope == Scope.WRITE
