"""Signing in: the password (locked out by django-axes after repeated failures), the second factor,
"confirm it's you" before sensitive actions, the throttled password reset, and the first sign-in
of a new agency's owner (from the verified sign-up)."""

import hashlib
import math
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice

from agency import signup
from agency.ratelimit import window_hit
from agency.team import signin, twofactor
from agency.team.access import auth_mark_recent
from agency.team.clientaddr import client_address
from agency.team.forms import CodeForm, LoginForm, ReauthForm
from agency.team.lockout import locked_before_attempt, lockout_response
from agency.team.middleware import second_factor_step

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
HOUR = 3600


def safe_next(request, default=None):
    target = request.POST.get("next") or request.GET.get("next") or ""
    hosts = {request.get_host()}
    same_site = url_has_allowed_host_and_scheme(target, hosts, require_https=request.is_secure())
    if same_site and target.startswith("/"):  # a path of ours (not a view name, not another site)
        return target
    try:
        return resolve_url(default or settings.LOGIN_REDIRECT_URL)
    except NoReverseMatch:  # the public site has no portal home: its own front page
        return "/"


def _with_next(view_name, next_url):
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


def _after_password(request, user, next_url):
    """The password was right: on to the code, to set up two-factor, or in."""
    if twofactor.is_enrolled(user):
        if not twofactor.remembered(request, user):
            return redirect(_with_next("login_code", next_url))
        twofactor.session_verified(request, twofactor.app_device(user))
        signin.signed_in_record(request, user, method="password and remembered browser")
        return redirect(next_url)
    signin.signed_in_record(request, user, method="password")
    if twofactor.is_required(user):
        messages.info(request, "Two-factor authentication is required here: set it up to continue.")
        return redirect(_with_next("two_factor_setup", next_url))
    return redirect(next_url)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = safe_next(request)
    if request.user.is_authenticated and second_factor_step(request) is None:
        return redirect(next_url)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        return _after_password(request, user, next_url)
    return render(request, "team/login.html", {"form": form, "next": next_url})


def _second_factor_failed(request, user):
    """Count a wrong code like a wrong password (django-axes); a lockout ends the half-open session."""
    locked_before_attempt(request, user.email)
    credentials = {"username": user.email, "second_factor": True}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return lockout_response(request)
    return None


def _code_problem(request, user, code):
    """``(problem, response)``: both None when ``code`` passed (the session is then verified);
    else what to tell the user, and the lockout page when this failure locked the account."""
    device, wait = twofactor.code_verify(user=user, code=code)
    if wait:
        seconds = math.ceil(wait)
        return (
            f"Too many wrong codes: wait {seconds} second{'' if seconds == 1 else 's'}, then try again.",
            None,
        )
    if device is None:
        problem = "That code did not work. Type the newest code from your app, or a recovery code."
        return problem, _second_factor_failed(request, user)
    twofactor.session_verified(request, device)
    auth_mark_recent(request)
    if isinstance(device, StaticDevice):
        left = twofactor.recovery_codes_left(user)
        messages.warning(
            request, f"You used a recovery code: {left} left. Make new ones on your security page."
        )
    return None, None


@sensitive_post_parameters("code")
@never_cache
def login_code(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = safe_next(request)
    if user.is_verified() or not twofactor.is_enrolled(user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem, response = _code_problem(request, user, form.cleaned_data["code"])
        if response is not None:
            return response
        if problem is None:
            method = (
                "password and recovery code"
                if isinstance(user.otp_device, StaticDevice)
                else "password and code"
            )
            signin.signed_in_record(request, user, method=method)
            response = redirect(next_url)
            if form.cleaned_data["remember"]:
                twofactor.remember_set(response, user)
            return response
        form.add_error("code", problem)
    return render(request, "team/login_code.html", {"form": form, "next": next_url})


@login_required
@sensitive_post_parameters("password", "code")
@never_cache
def reauth(request):
    """ "Confirm it's you": the password, and a code when two-factor is on, before a sensitive action."""
    user = request.user
    next_url = safe_next(request)
    needs_code = twofactor.is_enrolled(user)
    form = ReauthForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        if authenticate(request, username=user.email, password=form.cleaned_data["password"]) is None:
            if getattr(request, "axes_locked_out", False):
                logout(request)
                return lockout_response(request)
            form.add_error("password", "That is not your password.")
        elif needs_code:
            problem, response = _code_problem(request, user, form.cleaned_data["code"])
            if response is not None:
                return response
            if problem is None:
                return redirect(next_url)
            form.add_error("code", problem)
        else:
            auth_mark_recent(request)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "recent_minutes": settings.RECENT_AUTH_SECONDS // 60}
    return render(request, "team/reauth.html", context)


# --- Password reset: throttled per account and per address, links on the agency's own domain ---


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        by_address = window_hit(key=f"reset:addr:{client_address(self.request)}", seconds=HOUR)
        if by_address.over(settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR):
            minutes = math.ceil(by_address.reset / 60)
            form.add_error(
                None, f"Too many reset requests from your network. Try again in {minutes} minutes."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = form.cleaned_data["email"].strip().lower()
        by_account = window_hit(
            key=f"reset:account:{hashlib.sha256(email.encode()).hexdigest()}", seconds=HOUR
        )
        if by_account.over(settings.PASSWORD_RESET_PER_ACCOUNT_PER_HOUR):
            return redirect(self.get_success_url())  # the same answer: nothing is said about the account
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        signin.password_reset_done(user=form.user)
        return response


# --- The new owner's first sign-in, handed over from the public site after the email check ---


@never_cache
def welcome(request, token):
    user = signup.handoff_redeem(token=token)
    if user is None:
        messages.info(
            request, "This sign-in link was already used or has expired: log in with your password."
        )
        return redirect("login")
    logout(request)
    login(request, user, backend=MODEL_BACKEND)
    signin.signed_in_record(request, user, method="email confirmed at sign-up")
    return redirect(f"{reverse('client_add')}?first=1")
