import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError

from agency.formerrors import form_errors_add
from agency.services import agency_default_domain, agency_validate

# The sign-up service names fields its own way; these are the form's names for them.
SIGNUP_FIELDS = {"owner_password": "password1", "domain": "slug"}
HONEYPOT = "leave_empty"


def slug_suggest(name):
    """A workspace address from an agency's name: "Café Söder & Co" -> "cafe-soder-co" (as signup.js)."""
    text = "".join(
        c for c in unicodedata.normalize("NFKD", name or "") if not unicodedata.combining(c)
    ).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text)
    text = re.sub(r"^[^a-z]+", "", text)
    return text[:40].strip("-")


class SignupForm(forms.Form):
    name = forms.CharField(label="Agency name", max_length=120)
    slug = forms.CharField(
        label="Workspace address",
        max_length=40,
        required=False,
        help_text=f"Your portal will live at <address>.{settings.PORTAL_DOMAIN}; left blank, it is made from "
        "your agency's name.",
    )
    owner_name = forms.CharField(label="Your name", max_length=150, required=False)
    owner_email = forms.EmailField(label="Your work email", help_text="We send a link to confirm it.")
    password1 = forms.CharField(
        label="Password",
        widget=forms.PasswordInput,
        strip=False,
        help_text=" ".join(password_validators_help_texts()),
    )
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)
    # A field people never see (it is in a hidden block): bots that fill every field fill it too.
    leave_empty = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_slug(self):
        typed = self.cleaned_data["slug"].strip().lower()
        self.slug_derived = not typed
        return typed or slug_suggest(self.data.get("name", ""))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords do not match.")
        slug = data.get("slug", "")
        try:
            agency_validate(
                slug=slug,
                name=data.get("name", ""),
                domain=agency_default_domain(slug=slug),
                owner_email=data.get("owner_email", ""),
                owner_password=data.get("password1", ""),
            )
        except ValidationError as exc:
            form_errors_add(self, self._new_errors(exc), field_map=SIGNUP_FIELDS)
        return data

    def _new_errors(self, exc):
        """Each problem once: none for a field already in error, no domain error beside the address's,
        and none for an address made from a name that is itself missing."""
        errors = dict(exc.message_dict)
        if "slug" in errors or (getattr(self, "slug_derived", False) and "name" in self.errors):
            errors.pop("domain", None)
        if getattr(self, "slug_derived", False) and "name" in self.errors:
            errors.pop("slug", None)
        errors = {
            field: messages
            for field, messages in errors.items()
            if SIGNUP_FIELDS.get(field, field) not in self.errors and field not in self.errors
        }
        return ValidationError(errors or {})

    @property
    def is_bot(self):
        return bool(self.data.get(HONEYPOT))
