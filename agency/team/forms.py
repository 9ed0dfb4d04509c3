from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.db import connection

from agency.emails import email_send
from agency.team.models import Role, User
from agency.urlbuilders import agency_base_url

TEAM_ROLES = [(role.value, role.label) for role in (Role.OWNER, Role.ADMIN, Role.STAFF)]


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=TEAM_ROLES, initial=Role.STAFF)


class ViewerInvitationForm(forms.Form):
    email = forms.EmailField(label="Business owner's email")


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            try:
                validate_password(p1, user=User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=TEAM_ROLES)


class AgencyPasswordResetForm(PasswordResetForm):
    """Password reset emails go out in the agency's name, from our template triplet, with a link on
    the agency's configured domain: never the Host header the request came with."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        agency = connection.tenant
        origin = urlsplit(agency_base_url(agency))
        context = {**context, "protocol": origin.scheme, "domain": origin.netloc}
        email_send(template="password-reset", to=[to_email], context=context, agency=agency)


class LoginForm(AuthenticationForm):
    """Email and password (django-axes counts the failures); the email in any letter case."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


ONE_TIME_CODE = {"autocomplete": "one-time-code", "autofocus": True}


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs=ONE_TIME_CODE),
    )
    remember = forms.BooleanField(
        label="Remember this browser for 30 days",
        required=False,
        help_text="Only on a computer that is yours alone. “Log out everywhere” forgets it.",
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        help_text="Or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, needs_code, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_code:
            del self.fields["code"]


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        widget=forms.TextInput(attrs={**ONE_TIME_CODE, "inputmode": "numeric"}),
    )


class PolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor for every member",
        required=False,
        help_text="Members without it set it up the next time they open the portal.",
    )
