"""Forms of the client pages (adding, editing)."""

import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from clients.portfolio.models import ClientGroup

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
    groups = forms.ModelMultipleChoiceField(
        queryset=ClientGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Account managers, regions or tags: the overview and the location ranking filter on them.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = ClientGroup.objects.order_by("kind", "name")
        if groups.exists():
            self.fields["groups"].queryset = groups
            self.fields["groups"].label_from_instance = lambda g: f"{g.name} ({g.get_kind_display().lower()})"
        else:
            del self.fields["groups"]  # nothing to choose from yet


def connection_defaults():
    """``(initial, source)``: the PulseBack addresses and key a new client starts from. With the
    sandbox enabled (development), the sandbox's own ("sandbox"); else blank, for the deployment's
    (settings.PULSEBACK_*) to apply ("deployment")."""
    url = settings.PULSEBACK_SANDBOX_URL.rstrip("/") if settings.PULSEBACK_SANDBOX_ENABLED else ""
    if not url:
        return {}, "deployment"
    initial = {"api_url": f"{url}/api", "auth_url": url, "anon_key": settings.PULSEBACK_SANDBOX_ANON_KEY}
    return initial, "sandbox"


class NewClientForm(ClientForm):
    location_name = forms.CharField(max_length=150, required=False, help_text="Blank: the business name.")
    pulseback_email = forms.EmailField(label="PulseBack login email")
    pulseback_password = forms.CharField(
        label="PulseBack password",
        strip=False,
        # Never rendered back: "Test connection" asks in the background (static/js/test-connection.js).
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    api_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack API URL")
    auth_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack sign-in URL")
    anon_key = forms.CharField(required=False, max_length=500, label="PulseBack public key")

    CONNECTION_FIELDS = ("pulseback_email", "pulseback_password", "api_url", "auth_url", "anon_key")
    ADDRESS_FIELDS = ("api_url", "auth_url", "anon_key")
    field_order = ["name", "location_name", "pulseback_email", "pulseback_password", *ADDRESS_FIELDS]

    def __init__(self, *args, **kwargs):
        initial, self.defaults_source = connection_defaults()
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # the browser's time zone guesses better than UTC: static/js/timezone-guess.js
            self.fields["timezone"].widget.attrs["data-guess-timezone"] = ""
        self.sandbox_login = None
        if self.defaults_source == "sandbox":
            self.sandbox_login = settings.PULSEBACK_SANDBOX_EXAMPLE_LOGIN
            for name in self.ADDRESS_FIELDS:
                self.fields[name].help_text = "The PulseBack sandbox's (this is a development portal)."
            return
        self.fields["api_url"].help_text = f"Blank: this portal's, {settings.PULSEBACK_API_URL}"
        self.fields["auth_url"].help_text = f"Blank: this portal's, {settings.PULSEBACK_AUTH_URL}"
        if settings.PULSEBACK_ANON_KEY:
            self.fields["anon_key"].help_text = "Blank: this portal's."
        else:
            self.fields["anon_key"].required = True
            self.fields["anon_key"].help_text = (
                "This portal has no PulseBack public key of its own yet, so each client needs one: "
                "paste the public (“anon”) key PulseBack gives for integrations. Your administrator "
                "can set it once for every client (PULSEBACK_ANON_KEY)."
            )
            self.fields["anon_key"].error_messages["required"] = (
                "PulseBack needs a public key to sign in, and this portal has none to offer: paste one here."
            )

    @property
    def addresses_need_attention(self):
        """True when the addresses must be looked at: one is required or has an error."""
        return any(self[name].errors or self.fields[name].required for name in self.ADDRESS_FIELDS)
