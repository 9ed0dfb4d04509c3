"""Forms of the operator's console."""

from django import forms

from agency.models import Plan


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "name",
            "max_clients",
            "max_locations",
            "max_members",
            "api_requests_per_minute",
            "is_default",
        ]
        help_texts = {
            "max_clients": "Blank: no limit.",
            "max_locations": "Blank: no limit.",
            "max_members": "Owners, admins and staff; client viewers do not count. Blank: no limit.",
            "api_requests_per_minute": "All of an agency's tokens together. Blank: only the per-token limit.",
        }


class AgencyPlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(), required=False, empty_label="The default plan", label="Plan"
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, help_text="For the audit log and the team.")


class DeletionForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)
    confirm = forms.CharField(
        max_length=40, help_text="Type the agency's address name (its slug) to confirm."
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.agency.slug:
            raise forms.ValidationError(f"Type “{self.agency.slug}” to confirm.")
        return value
