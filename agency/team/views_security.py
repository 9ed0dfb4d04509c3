"""Each member's security page: two-factor authentication (set up, recovery codes, turn off), recent
sign-ins, "log out everywhere", and for owners the agency's rule that requires two-factor."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_tenants.utils import get_public_schema_name

from agency.team import signin, twofactor
from agency.team.access import recent_auth_required, role_required
from agency.team.forms import EnrolForm, PolicyForm
from agency.team.models import Role, SecurityPolicy, User
from agency.team.views_auth import safe_next

logout_view = auth_views.LogoutView.as_view()


def _on_public_site():
    return connection.schema_name == get_public_schema_name()


@never_cache
@login_required
def security(request):
    user = request.user
    owner_rules = not _on_public_site() and user.role == Role.OWNER
    policy = SecurityPolicy.current() if not _on_public_site() else None
    context = {
        "enrolled": twofactor.is_enrolled(user),
        "required": twofactor.is_required(user),
        "app": twofactor.app_device(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "sign_ins": signin.recent_sign_ins(user),
        "failures": signin.recent_failures(user),
        "policy": policy,
        "idle_hours": f"{settings.SESSION_IDLE_TIMEOUT_SECONDS / 3600:g}",
        "policy_form": PolicyForm(initial={"require_two_factor": policy.require_two_factor})
        if owner_rules
        else None,
    }
    return render(request, "team/security.html", context)


def _codes_page(request, codes, *, first, next_url=None):
    context = {"codes": codes, "first": first, "next": next_url}
    return render(request, "team/recovery_codes.html", context)


@never_cache
@login_required
@recent_auth_required
def two_factor_setup(request):
    """Scan the QR code with an app, type its code: two-factor is on, and the recovery codes shown."""
    user = request.user
    device = twofactor.enrolment_device(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.enrolment_confirm(user=user, device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code" if hasattr(exc, "error_dict") else None, " ".join(exc.messages))
        else:
            user.refresh_from_db()
            update_session_auth_hash(request, user)  # this session stays; every other one ends
            twofactor.session_verified(request, device)
            messages.success(request, "Two-factor authentication is on.")
            return _codes_page(
                request, codes, first=True, next_url=safe_next(request, default="account_security")
            )
    uri = twofactor.otpauth_uri(device)
    context = {"form": form, "qr": twofactor.qr_svg(uri), "secret": twofactor.secret_text(device),
               "replacing": twofactor.is_enrolled(user)}  # fmt: skip
    return render(request, "team/two_factor_setup.html", context)


@never_cache
@login_required
@require_POST
@recent_auth_required(then="account_security")
def recovery_codes_renew(request):
    if not twofactor.is_enrolled(request.user):
        return redirect("account_security")
    return _codes_page(request, twofactor.recovery_codes_renew(user=request.user), first=False)


@login_required
@require_POST
@recent_auth_required(then="account_security")
def two_factor_off(request):
    try:
        twofactor.two_factor_remove(user=request.user, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        request.user.refresh_from_db()
        update_session_auth_hash(request, request.user)
        messages.success(request, "Two-factor authentication is off. Your recovery codes no longer work.")
    return redirect("account_security")


@role_required(Role.OWNER)
@require_POST
@recent_auth_required(then="account_security")
def two_factor_policy(request):
    form = PolicyForm(request.POST)
    if form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        twofactor.policy_set(require_two_factor=required, actor=request.user)
        if required:
            messages.success(request, "Two-factor authentication is now required for every member.")
        else:
            messages.success(request, "Two-factor authentication is now each member's choice.")
    return redirect("account_security")


@role_required(Role.OWNER)
@require_POST
@recent_auth_required(then="team")
def member_two_factor_reset(request, pk):
    """An owner turns off a member's two-factor (a lost phone); the member sets it up again."""
    member = get_object_or_404(User, pk=pk)
    if member.pk == request.user.pk:
        raise PermissionDenied
    twofactor.two_factor_remove(user=member, actor=request.user)
    messages.success(
        request, f"Two-factor authentication of {member} was reset; they were signed out everywhere."
    )
    return redirect("team")


@login_required
@require_POST
def logout_everywhere(request):
    signin.logged_out_everywhere(request=request, user=request.user)
    messages.success(
        request,
        "You were logged out everywhere, this browser included. Remembered browsers are forgotten too.",
    )
    return redirect("login")
