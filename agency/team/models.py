"""Users and invitations. Each agency's live in that agency's schema."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    # A client business's owner: read-only, and only that client (see clients.ViewerAccess).
    CLIENT_VIEWER = "client_viewer", "Client viewer"


MANAGER_ROLES = (Role.OWNER, Role.ADMIN)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.OWNER)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can use the platform admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    # Changed by "Log out everywhere" and two-factor changes: every session and remembered device
    # made before then stops working (it is part of the session's auth hash).
    session_stamp = models.CharField(max_length=32, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_manager(self):
        return self.role in MANAGER_ROLES

    def _get_session_auth_hash(self, secret=None):
        if not self.session_stamp:  # as Django's own: sessions from before stamps stay valid
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "agency.team.models.User.session_auth_hash"
        return salted_hmac(
            key_salt, self.password + self.session_stamp, secret=secret, algorithm="sha256"
        ).hexdigest()

    def session_stamp_rotate(self):
        self.session_stamp = secrets.token_hex(16)
        self.save(update_fields=["session_stamp"])


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())

    def get_by_token(self, token):
        return self.get(token_hash=_hash_token(token))


class Invitation(models.Model):
    """A single-use, expiring link to join an agency. Only the token's hash is stored."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # For a client viewer: the client they will see. An id, not a foreign key: this table also
    # exists in the public schema, where there are no clients.
    client_id = models.BigIntegerField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email}"

    @staticmethod
    def new_token():
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @property
    def is_usable(self):
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AuditEvent(models.Model):
    """Who changed what, and when. Never holds a secret: details are plain, safe values."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254, help_text="Kept when the user is removed.")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=254)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.target}"


class ConnectInvitationQuerySet(models.QuerySet):
    def for_token(self, token):
        return self.filter(token_hash=_hash_token(token))

    def get_usable(self, token):
        """The invitation of ``token`` while it may still be used; DoesNotExist otherwise (also when it
        was spent by failed attempts: see ``is_spent``)."""
        invitation = self.get(token_hash=_hash_token(token))
        if invitation.used_at is not None or invitation.expires_at <= timezone.now() or invitation.is_spent:
            raise self.model.DoesNotExist
        return invitation


class ConnectInvitation(models.Model):
    """A link for a client's business owner to connect their own PulseBack login.

    The agency never sees the password: the owner types it on the agency's domain,
    it is checked with PulseBack and stored encrypted with the new location.
    """

    email = models.EmailField()
    client_id = models.BigIntegerField(help_text="An id, not a foreign key: this table is also public.")
    location_name = models.CharField(max_length=150)
    api_url = models.URLField(blank=True)
    auth_url = models.URLField(blank=True)
    anon_key = models.CharField(max_length=500, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    objects = ConnectInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"PulseBack login of {self.location_name} asked of {self.email}"

    @property
    def is_spent(self):
        """Too many wrong PulseBack passwords were typed on it: the owner must ask for a new link."""
        return self.failed_attempts >= settings.CONNECT_LINK_MAX_FAILURES


class SecurityPolicy(models.Model):
    """The agency's sign-in rules, set by an owner: one row per agency schema (``current()``)."""

    require_two_factor = models.BooleanField(
        default=False, help_text="Every member must use two-factor authentication to sign in."
    )
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "security policies"

    def __str__(self):
        return "two-factor required" if self.require_two_factor else "two-factor optional"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()
