from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.db import connection

from agency.emails import email_send
from agency.team.models import Role, User

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
    """Password reset emails go out in the agency's name, from our template triplet."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        email_send(template="password-reset", to=[to_email], context=context, agency=connection.tenant)
