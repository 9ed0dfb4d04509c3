from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from agency.formerrors import form_errors_add
from agency.services import agency_default_domain, agency_validate

# The sign-up service names fields its own way; these are the form's names for them.
SIGNUP_FIELDS = {"owner_password": "password1", "domain": "slug"}


class SignupForm(forms.Form):
    name = forms.CharField(label="Agency name", max_length=120)
    slug = forms.CharField(
        label="Workspace address",
        max_length=40,
        help_text=f"Your portal will live at <address>.{settings.PORTAL_DOMAIN}",
    )
    owner_name = forms.CharField(label="Your name", max_length=150, required=False)
    owner_email = forms.EmailField(label="Your work email")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean_slug(self):
        return self.cleaned_data["slug"].strip().lower()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords do not match.")
            return data
        try:
            agency_validate(
                slug=data["slug"],
                name=data["name"],
                domain=agency_default_domain(slug=data["slug"]),
                owner_email=data["owner_email"],
                owner_password=data["password1"],
            )
        except ValidationError as exc:
            form_errors_add(self, exc, field_map=SIGNUP_FIELDS)
        return data
