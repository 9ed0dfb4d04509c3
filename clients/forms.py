"""Forms of the client pages (adding, editing)."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

TIMEZONES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class RecipientsField(forms.CharField):
    """Email addresses separated by commas or new lines."""

    def to_python(self, value):
        return [part.strip().lower() for part in (value or "").replace("\n", ",").split(",") if part.strip()]

    def validate(self, value):
        for email in value:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(f"“{email}” is not an email address.") from None

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value


class ClientForm(forms.Form):
    name = forms.CharField(max_length=150, label="Business name")
    timezone = forms.ChoiceField(
        choices=TIMEZONES, initial="UTC", help_text="Days in dashboards are local days."
    )
    report_recipients = RecipientsField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Comma-separated emails."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NewClientForm(ClientForm):
    location_name = forms.CharField(max_length=150, required=False, help_text="Blank: the business name.")
    pulseback_email = forms.EmailField(label="PulseBack login email")
    pulseback_password = forms.CharField(
        label="PulseBack password",
        strip=False,
        # Never rendered back: "Test connection" asks in the background (static/js/test-connection.js).
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    api_url = forms.URLField(
        required=False, assume_scheme="https", label="PulseBack API URL", help_text="Blank: the default."
    )
    auth_url = forms.URLField(
        required=False, assume_scheme="https", label="PulseBack sign-in URL", help_text="Blank: the default."
    )
    anon_key = forms.CharField(required=False, max_length=500, label="PulseBack public key")

    CONNECTION_FIELDS = ("pulseback_email", "pulseback_password", "api_url", "auth_url", "anon_key")
