"""Access checks for views: strangers are sent to log in, members without the role get 403, and
sensitive actions need a recent password (and code) entry."""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url

from agency.team.models import MANAGER_ROLES, Role

AUTH_AT_SESSION_KEY = "team_auth_at"


def role_required(*roles):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_required = role_required(*MANAGER_ROLES)

# Every member of the agency; what they see is scoped by the clients they may see.
member_required = role_required(*Role.values)


def auth_mark_recent(request):
    """The user has just proven who they are (signed in, or confirmed their password)."""
    request.session[AUTH_AT_SESSION_KEY] = time.time()


def auth_is_recent(request):
    proven_at = request.session.get(AUTH_AT_SESSION_KEY)
    return proven_at is not None and time.time() - proven_at < settings.RECENT_AUTH_SECONDS


def reauth_redirect(request, then=None):
    """To the "confirm it's you" page, coming back to ``then`` (a URL name) or this page."""
    target = resolve_url(then) if then else request.get_full_path()
    return redirect(f"{resolve_url('reauth')}?{urlencode({'next': target})}")


def recent_auth_required(view=None, *, then=None, posts_only=False):
    """Sensitive actions (logins of clients, API tokens, two-factor, removing a client, the team):
    the password, and the code when two-factor is on, must have been entered in the last
    ``RECENT_AUTH_SECONDS``. ``then``: where to come back to for views that only take POSTs;
    ``posts_only``: the page itself may be seen, only what it sends needs the confirmation."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not (posts_only and request.method != "POST") and not auth_is_recent(request):
                if request.method == "POST":
                    messages.info(request, "Confirm it's you, then do it again: nothing was changed.")
                return reauth_redirect(request, then)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
