from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.formerrors import form_errors_add
from agency.team import services, signin, twofactor
from agency.team.access import manager_required, recent_auth_required
from agency.team.audit import ACTIONS
from agency.team.forms import AcceptInvitationForm, InvitationForm, RoleForm
from agency.team.models import AuditEvent, Invitation, User


@manager_required
@recent_auth_required(posts_only=True)
def team(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                email=form.cleaned_data["email"], role=form.cleaned_data["role"], invited_by=request.user
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("team")
    context = {
        "members": User.objects.filter(is_active=True),
        "invitations": Invitation.objects.pending(),
        "form": form,
        "role_form": RoleForm(),
        "enrolled": twofactor.members_enrolled(),
        "two_factor_required": twofactor.is_required(request.user),
    }
    return render(request, "team/team.html", context)


@manager_required
@require_POST
@recent_auth_required(then="team")
def member_role(request, pk):
    member = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.member_change_role(
                member=member, role=form.cleaned_data["role"], changed_by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{member} is now {member.get_role_display()}.")
    return redirect("team")


@manager_required
@require_POST
@recent_auth_required(then="team")
def member_remove(request, pk):
    member = get_object_or_404(User, pk=pk)
    try:
        services.member_remove(member=member, removed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{member} was removed from the team.")
    return redirect("team")


def invitation_accept(request, token):
    try:
        invitation = Invitation.objects.get_by_token(token)
    except Invitation.DoesNotExist:
        invitation = None
    if invitation is None or not invitation.is_usable:
        return render(request, "team/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            signin.signed_in_record(request, user, method="invitation accepted")
            messages.success(request, "Welcome to the team!")
            return redirect("home")
    return render(request, "team/invitation_accept.html", {"form": form, "invitation": invitation})


@manager_required
def audit_log(request):
    events = Paginator(AuditEvent.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "team/audit.html", {"events": events, "actions": ACTIONS})
