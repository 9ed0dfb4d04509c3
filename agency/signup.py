"""Sign-up with a verified email: the workspace (a PostgreSQL schema) is created only when the owner
opens the link we email them, and then they are signed in on their new domain.

Until then the sign-up waits in the cache (the platform's namespace) for ``SIGNUP_LINK_HOURS``, under
the hash of a random token; its password is hashed at once, so no plain password is ever kept.
Sign-ups are limited per client address and in all, per hour. No model of its own.

The new domain is another site (its own cookies), so the sign-in crosses over with a one-time
link that works for two minutes: a signed token whose nonce is spent on first use.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django_tenants.utils import get_public_schema_name, schema_context

from agency.emails import email_send
from agency.ratelimit import window_hit
from agency.services import agency_create, agency_default_domain
from agency.team.models import User
from agency.urlbuilders import agency_url

HOUR = 3600
HANDOFF_SECONDS = 120
_HANDOFF_SALT = "agency.signup.handoff"


class SignupRefused(Exception):
    """Over a sign-up limit; ``str()`` says which, and when to come back."""


def _key(kind, value):
    return f"signup:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _shared(fn):
    """Run ``fn`` with the platform's cache namespace (keys carry the schema otherwise)."""
    with schema_context(get_public_schema_name()):
        return fn()


def signup_limits_take(*, address):
    """Count one sign-up from ``address``; SignupRefused when it or the platform is over its hour."""
    mine = window_hit(key=f"signup:addr:{address}", seconds=HOUR, shared=True)
    if mine.over(settings.SIGNUP_PER_ADDRESS_PER_HOUR):
        raise SignupRefused(
            f"Too many sign-ups from your network in the last hour. Try again in {_minutes(mine.reset)}."
        )
    everyone = window_hit(key="signup:all", seconds=HOUR, shared=True)
    if everyone.over(settings.SIGNUP_PER_HOUR):
        raise SignupRefused(
            "We are receiving an unusual number of sign-ups right now. "
            f"Try again in {_minutes(everyone.reset)}."
        )


def _minutes(seconds):
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _origin(host):
    port = f":{settings.PORTAL_PORT}" if settings.PORTAL_PORT else ""
    return f"{settings.PORTAL_SCHEME}://{host}{port}"


def public_url(view_name, *args):
    """An absolute URL on the public site, from the configured domain (never the Host header)."""
    path = reverse(view_name, args=args, urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return _origin(settings.PORTAL_DOMAIN) + path


def workspace_origin(*, slug):
    """Where the workspace of ``slug`` will live (scheme, host and port)."""
    return _origin(agency_default_domain(slug=slug))


def signup_request(*, name, slug, owner_name, owner_email, password, address):
    """Keep a checked sign-up and email its link; SignupRefused when over a limit."""
    signup_limits_take(address=address)
    token = secrets.token_urlsafe(32)
    pending = {
        "name": name.strip(),
        "slug": slug,
        "owner_name": owner_name.strip(),
        "owner_email": owner_email.strip().lower(),
        "password_hash": make_password(password),
    }
    _shared(lambda: cache.set(_key("pending", token), pending, timeout=settings.SIGNUP_LINK_HOURS * HOUR))
    email_send(
        template="signup-verify",
        to=[pending["owner_email"]],
        context={"pending": pending, "link": public_url("signup_verify", token),
                 "hours": settings.SIGNUP_LINK_HOURS, "domain": settings.PORTAL_DOMAIN},
    )  # fmt: skip
    return token


def signup_pending(*, token):
    """The waiting sign-up of ``token`` (without its password), or None."""
    pending = _shared(lambda: cache.get(_key("pending", token)))
    if pending is None:
        return None
    return {name: value for name, value in pending.items() if name != "password_hash"}


def signup_confirm(*, token):
    """Create the verified workspace; returns the one-time sign-in URL on its own domain.

    ValidationError when the link is unknown, used or expired, or the address was taken meanwhile.
    """
    key = _key("pending", token)
    pending = _shared(lambda: cache.get(key))
    if pending is None or not _shared(lambda: cache.delete(key)):  # the first click wins
        raise ValidationError("This link was already used or has expired. Please sign up again.")
    with transaction.atomic():
        agency = agency_create(
            slug=pending["slug"], name=pending["name"], owner_email=pending["owner_email"],
            owner_name=pending["owner_name"], owner_password=secrets.token_urlsafe(24) + "-Aa1",
        )  # fmt: skip
        with schema_context(agency.schema_name):
            owner = User.objects.get(email=pending["owner_email"])
            User.objects.filter(pk=owner.pk).update(password=pending["password_hash"])
    connection.set_schema_to_public()
    return agency_url(agency, "welcome", _handoff_create(agency=agency, user=owner))


def _handoff_create(*, agency, user):
    nonce = secrets.token_urlsafe(16)
    _shared(lambda: cache.set(_key("handoff", nonce), 1, timeout=HANDOFF_SECONDS))
    return signing.dumps({"s": agency.schema_name, "u": user.pk, "n": nonce}, salt=_HANDOFF_SALT)


def handoff_redeem(*, token):
    """The user a one-time sign-in link names, in this agency's schema; None if spent, old or foreign."""
    try:
        data = signing.loads(token, salt=_HANDOFF_SALT, max_age=HANDOFF_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != connection.schema_name:
        return None
    if not _shared(lambda: cache.delete(_key("handoff", data.get("n", "")))):
        return None
    return User.objects.filter(pk=data.get("u"), is_active=True).first()
