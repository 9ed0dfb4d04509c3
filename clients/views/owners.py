"""A client's business owners: read-only viewers, and asking for their PulseBack login (with the
page where they enter it)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from agency.formerrors import form_errors_add
from agency.team import services as team_services
from agency.team.access import manager_required, recent_auth_required
from agency.team.clientaddr import client_address
from agency.team.forms import ViewerInvitationForm
from agency.team.models import ConnectInvitation, Invitation, Role, User
from clients import owners
from clients.access import visible_client_or_404
from clients.onboarding import PulseBackUnreachable


class ConnectRequestForm(forms.Form):
    email = forms.EmailField(label="Business owner's email")
    location_name = forms.CharField(max_length=150, required=False, help_text="Blank: the client's name.")
    api_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack API URL",
                             help_text="Blank: the default.")  # fmt: skip
    auth_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack sign-in URL",
                              help_text="Blank: the default.")  # fmt: skip
    anon_key = forms.CharField(required=False, max_length=500, label="PulseBack public key")


class ConnectForm(forms.Form):
    pulseback_email = forms.EmailField(label="Your PulseBack email")
    pulseback_password = forms.CharField(
        label="Your PulseBack password", widget=forms.PasswordInput, strip=False
    )


@manager_required
def connect_request(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ConnectRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = owners.connect_invitation_create(
            client=client, invited_by=request.user, **form.cleaned_data
        )
        messages.success(request, f"{invitation.email} was asked to connect their PulseBack login.")
        return redirect("client_dashboard", pk=client.pk)
    return render(request, "team/connect_request.html", {"client": client, "form": form})


@sensitive_post_parameters("pulseback_password")
def connect_pulseback(request, token):
    """No login needed: the link itself is the (single-use, expiring) key. Wrong passwords spend it."""
    invitation = ConnectInvitation.objects.for_token(token).first()
    if invitation is not None and invitation.used_at is None and invitation.is_spent:
        return render(request, "team/connect_spent.html", status=410)
    try:
        invitation = ConnectInvitation.objects.get_usable(token)
    except ConnectInvitation.DoesNotExist:
        return render(request, "team/invitation_invalid.html", status=404)
    form = ConnectForm(request.POST or None, initial={"pulseback_email": invitation.email})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            owners.connect_invitation_accept(
                token=token, address=client_address(request), **form.cleaned_data
            )
        except owners.ConnectRefused as exc:
            form.add_error(None, str(exc))
            status = 429
        except ValidationError as exc:
            invitation.refresh_from_db()
            if invitation.is_spent:
                return render(request, "team/connect_spent.html", status=410)
            form_errors_add(form, exc)
            if invitation.failed_attempts:
                left = settings.CONNECT_LINK_MAX_FAILURES - invitation.failed_attempts
                passwords = "password" if left == 1 else "passwords"
                form.add_error(None, f"You can try again in a minute. {left} more wrong {passwords} and this "
                               "link stops working.")  # fmt: skip
        except PulseBackUnreachable as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "team/connect_done.html")
    return render(
        request, "team/connect_pulseback.html", {"form": form, "invitation": invitation}, status=status
    )


@manager_required
@recent_auth_required(posts_only=True)
def client_viewers(request, pk):
    """The business owners who may look at one client (read-only), and an invitation for another."""
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ViewerInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = team_services.invitation_create(
                email=form.cleaned_data["email"],
                role=Role.CLIENT_VIEWER,
                invited_by=request.user,
                client=client,
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{invitation.email} was invited to see {client.name}.")
            return redirect("client_viewers", pk=client.pk)
    context = {
        "client": client,
        "form": form,
        "viewers": User.objects.filter(viewer_access__client=client),
        "invitations": Invitation.objects.pending().filter(client_id=client.pk),
    }
    return render(request, "team/client_viewers.html", context)
