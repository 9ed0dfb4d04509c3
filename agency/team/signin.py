"""Signing in: what the audit log keeps of it (sign-ins, failures, lockouts), the recent sign-ins a
user sees, "log out everywhere", and the unlock that a password reset brings.

The receivers are connected by the team app (apps.py). Attempts made while an account is locked are
not logged one by one (``team_locked_before``, see lockout.LockoutBackend), so a hammering bot cannot
fill the log.
"""

import time

from axes.utils import reset as axes_reset
from django.contrib.auth import logout
from django.db import transaction

from agency.team.access import auth_mark_recent
from agency.team.audit import audit_record
from agency.team.clientaddr import client_address
from agency.team.lockout import username_of
from agency.team.middleware import ENROLLED_SESSION_KEY, LAST_SEEN_SESSION_KEY
from agency.team.models import AuditEvent

RECENT = 10


def _address(request):
    return client_address(request) or "an unknown address"


def _browser(request):
    return request.META.get("HTTP_USER_AGENT", "")[:120]


def signed_in_record(request, user, *, method):
    """A completed sign-in (every factor passed), for the audit log and the user's security page."""
    audit_record(actor=user, action="auth.signed_in", target=_address(request), method=method,
                 browser=_browser(request))  # fmt: skip


def recent_sign_ins(user):
    return AuditEvent.objects.filter(actor=user, action="auth.signed_in")[:RECENT]


def recent_failures(user):
    return AuditEvent.objects.filter(action="auth.sign_in_failed", target=user.email)[:RECENT]


@transaction.atomic
def logged_out_everywhere(*, request, user):
    """Every session of ``user`` ends (theirs included) and every remembered device is forgotten."""
    user.session_stamp_rotate()
    audit_record(actor=user, action="auth.logged_out_everywhere", target=user.email)
    logout(request)


def password_reset_done(*, user):
    """A new password: the account's lockout ends, and other sessions end with the old password."""
    axes_reset(username=user.email)
    audit_record(actor=user, action="auth.password_reset", target=user.email)


# --- Receivers (connected in apps.py) ---


def on_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        auth_mark_recent(request)
        request.session[LAST_SEEN_SESSION_KEY] = time.time()
        request.session.pop(ENROLLED_SESSION_KEY, None)


def on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None or getattr(request, "team_locked_before", False):
        return
    reason = "wrong code" if credentials.get("second_factor") else "wrong password"
    audit_record(actor=None, actor_label=f"someone at {_address(request)}",
                 action="auth.sign_in_failed", target=username_of(request, credentials) or "(no email)",
                 reason=reason, browser=_browser(request))  # fmt: skip


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if request is None or getattr(request, "team_locked_before", False):
        return
    audit_record(actor=None, actor_label=f"someone at {_address(request)}", action="auth.locked_out",
                 target=username or "(no email)")  # fmt: skip
