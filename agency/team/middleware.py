"""Every signed-in request: the session ends after ``SESSION_IDLE_TIMEOUT_SECONDS`` without
activity, and a user who needs a second factor passes it (or sets it up) before anything else."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from agency.team import twofactor

LAST_SEEN_SESSION_KEY = "team_last_seen"
ENROLLED_SESSION_KEY = "team_2fa_enrolled"
TOUCH_EVERY_SECONDS = 60
# Pages a user may open before passing the second factor.
OPEN_TO_CODE_STEP = {"login_code", "logout", "password_reset", "favicon", "brand_logo"}
OPEN_TO_ENROLMENT = OPEN_TO_CODE_STEP | {"two_factor_setup", "reauth"}


def second_factor_step(request):
    """None when the session may go on; "code" or "enrol" when the user must do that first."""
    user = request.user
    if user.is_verified():
        return None
    enrolled = request.session.get(ENROLLED_SESSION_KEY)
    if enrolled is None:
        enrolled = request.session[ENROLLED_SESSION_KEY] = twofactor.is_enrolled(user)
    if enrolled:
        return "code"
    return "enrol" if twofactor.is_required(user) else None


def _open_to(request, step):
    if request.path_info.startswith((settings.STATIC_URL, settings.MEDIA_URL, "/api/")):
        return True
    try:
        name = resolve(request.path_info, urlconf=getattr(request, "urlconf", None)).url_name
    except Resolver404:
        return True  # a 404 shows nothing
    return name in (OPEN_TO_CODE_STEP if step == "code" else OPEN_TO_ENROLMENT)


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                logout(request)
                hours = round(settings.SESSION_IDLE_TIMEOUT_SECONDS / 3600, 1)
                messages.info(request, f"You were logged out after {hours:g} hours without activity.")
                login_url = reverse("login", urlconf=getattr(request, "urlconf", None))
                return redirect_to_login(request.get_full_path(), login_url)
            if last_seen is None or now - last_seen > TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_SESSION_KEY] = now
            step = second_factor_step(request)
            if step is not None and not _open_to(request, step):
                target = "login_code" if step == "code" else "two_factor_setup"
                url = reverse(target, urlconf=getattr(request, "urlconf", None))
                return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
