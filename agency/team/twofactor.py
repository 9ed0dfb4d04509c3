"""Two-factor authentication with django-otp: an authenticator app (TOTP), ten one-time recovery
codes, devices remembered for ``TWO_FACTOR_REMEMBER_DAYS``, and the agency's rule that requires it.

django-otp keeps each user's devices next to the user, in the agency's own schema (the platform
admin's in the public one), so nothing here crosses agencies. A user has at most one confirmed app
and one set of recovery codes; enrolling again replaces both.
"""

from base64 import b32encode
from datetime import timedelta
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import get_public_schema_name

from agency.team.audit import audit_record
from agency.team.models import Role, SecurityPolicy

RECOVERY_CODES = 10
REMEMBER_COOKIE = "portal_2fa_remembered"
_REMEMBER_SALT = "agency.team.twofactor.remember"
APP_DEVICE_NAME = "Authenticator app"
CODES_DEVICE_NAME = "Recovery codes"


def is_enrolled(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user):
    """Platform staff always need it; an agency's members when an owner requires it."""
    if connection.schema_name == get_public_schema_name():
        return True
    return SecurityPolicy.current().require_two_factor


def app_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Enrolment ---


def enrolment_device(user):
    """The unconfirmed app device being set up (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def otpauth_uri(device):
    """The key URI authenticator apps read from the QR code: issuer is the agency (or the platform)."""
    public = connection.schema_name == get_public_schema_name()
    issuer = ("Reputation Portal" if public else connection.tenant.name).replace(":", "")
    params = urlencode(
        {"secret": secret_text(device), "issuer": issuer, "algorithm": "SHA1", "digits": 6, "period": 30},
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(issuer)}:{quote(device.user.email)}?{params}"


def secret_text(device):
    """The key in base32, for typing into an app by hand."""
    return b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(text):
    """An inline SVG QR code, drawn here (no outside service): markup of ours only, no styles."""
    svg = segno.make(text, error="m").svg_inline(scale=4, dark="#1c2230", light="#ffffff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the text is only encoded as modules


def _recovery_codes_new(user):
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=CODES_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def enrolment_confirm(*, user, device, code):
    """Confirm the app with a code from it; returns the ten new recovery codes (shown once).

    Any earlier app and codes are replaced, and every other session of the user ends.
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("This set-up has expired. Start again.")
    if not device.verify_token(_digits(code)):
        raise ValidationError(
            {"code": "That code did not match. Check your phone's clock and type the newest code."}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_new(user)
        user.session_stamp_rotate()
        audit_record(actor=user, action="auth.two_factor_enabled", target=user.email)
    return codes


def recovery_codes_renew(*, user):
    with transaction.atomic():
        codes = _recovery_codes_new(user)
        audit_record(actor=user, action="auth.recovery_codes_renewed", target=user.email)
    return codes


@transaction.atomic
def two_factor_remove(*, user, actor):
    """Turn two-factor off for ``user`` (by themselves, or an owner resetting a lost phone)."""
    if actor.pk == user.pk and is_required(user):
        raise ValidationError(
            "Your agency requires two-factor authentication: you can set up a new phone, not turn it off."
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.session_stamp_rotate()
    audit_record(actor=actor, action="auth.two_factor_disabled", target=user.email)


@transaction.atomic
def policy_set(*, require_two_factor, actor):
    if actor.role != Role.OWNER:
        raise ValidationError("Only an owner can change this rule.")
    policy = SecurityPolicy.current()
    policy.require_two_factor = require_two_factor
    policy.changed_by, policy.changed_at = actor, timezone.now()
    policy.save()
    target = "required" if require_two_factor else "optional"
    audit_record(actor=actor, action="auth.two_factor_policy_changed", target=target)
    return policy


# --- Signing in with a second factor ---


def _digits(code):
    return "".join((code or "").split())


def code_verify(*, user, code):
    """``(device, wait)``: the device that accepted ``code`` (an app code, or a recovery code, which is
    then used up) and 0; or None and the seconds before such a code may be tried again (django-otp
    slows each device after failures: 1, 2, 4, ... s), 0 when it was simply wrong. A throttled app
    leaves the recovery codes usable, and the other way round."""
    code = _digits(code)
    if code.isdigit():
        devices, token = [app_device(user)], code
    else:
        devices, token = (
            list(StaticDevice.objects.filter(user=user, confirmed=True)),
            code.replace("-", "").lower(),
        )
    wait = 0
    for device in filter(None, devices):
        allowed, data = device.verify_is_allowed()
        if not allowed:
            wait = max(
                wait, ((data or {}).get("locked_until", timezone.now()) - timezone.now()).total_seconds()
            )
        elif device.verify_token(token):
            return device, 0
    return None, wait


def session_verified(request, device):
    """Mark this session as having passed the second factor."""
    otp_login(request, device)


# --- Remember this device ---


def _remember_payload(user):
    """Who, in which agency, since which security change (a new stamp forgets every device)."""
    stamp = salted_hmac(_REMEMBER_SALT, f"{user.pk}:{user.session_stamp}").hexdigest()[:24]
    return {"u": user.pk, "s": connection.schema_name, "t": stamp}


def remember_set(response, user):
    value = signing.dumps(_remember_payload(user), salt=_REMEMBER_SALT)
    max_age = settings.TWO_FACTOR_REMEMBER_DAYS * 24 * 3600
    response.set_cookie(REMEMBER_COOKIE, value, max_age=max_age, secure=settings.SESSION_COOKIE_SECURE,
                        httponly=True, samesite="Lax")  # fmt: skip


def remembered(request, user):
    """Is this browser one the user asked to remember, since their last security change?"""
    raw = request.COOKIES.get(REMEMBER_COOKIE)
    if not raw:
        return False
    max_age = timedelta(days=settings.TWO_FACTOR_REMEMBER_DAYS)
    try:
        data = signing.loads(raw, salt=_REMEMBER_SALT, max_age=max_age)
    except signing.BadSignature:
        return False
    return data == _remember_payload(user)


def members_enrolled():
    """Ids of this agency's users with a confirmed app (for the team page)."""
    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
