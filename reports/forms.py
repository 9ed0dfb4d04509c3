import re

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.core.validators import validate_email

from reports.models import ClientReportSettings, Frequency, ReportSchedule, ReportTemplate, Section
from reports.services import SHARE_DAYS

MARKDOWN_HELP = "Plain text: a blank line between paragraphs, “- ” for a bulleted list, **bold**, *italics*."


class EmailListField(forms.CharField):
    """Addresses typed once, separated by commas, spaces or new lines."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value):
        return [part for part in re.split(r"[\s,;]+", super().to_python(value) or "") if part]

    def validate(self, value):
        super().validate(value)
        for address in value:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{address}” is not an email address.") from None


class ReportRequestForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Last day, included.")
    location = forms.ModelChoiceField(queryset=None, required=False, empty_label="All locations")
    sections = forms.MultipleChoiceField(
        choices=Section.choices, initial=list(Section.values), widget=forms.CheckboxSelectMultiple
    )
    commentary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What we did this period, what we recommend. " + MARKDOWN_HELP,
    )  # fmt: skip
    recipients = EmailListField(
        required=False, help_text="For “Generate and send”. Empty: the client's report recipients."
    )
    replace = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = client.locations.all()


class PreviewForm(ReportRequestForm):
    """The preview needs only the period, the scope and the sections."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("commentary", "recipients", "replace"):
            del self.fields[name]


class ScheduleForm(forms.ModelForm):
    recipients = SimpleArrayField(
        forms.EmailField(),
        required=False,
        help_text="Comma separated. Empty: the client's report recipients.",
    )
    sections = forms.MultipleChoiceField(
        choices=Section.choices, initial=list(Section.values), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ReportSchedule
        fields = ["frequency", "day", "recipients", "sections", "approval_required", "active"]

    def clean(self):
        data = super().clean()
        day = data.get("day")
        if day is not None:
            limit = 7 if data.get("frequency") == Frequency.WEEKLY else 28
            if not 1 <= day <= limit:
                what = "a weekday from 1 (Monday) to 7" if limit == 7 else "a day of the month from 1 to 28"
                self.add_error("day", f"Choose {what}.")
        return data


class SectionOrderMixin:
    """One number per section: the sections are printed in that order; a blank one is left out."""

    def add_order_fields(self, current):
        position = {key: i + 1 for i, key in enumerate(current)}
        for key, label in Section.choices:
            self.fields[f"order_{key}"] = forms.IntegerField(
                label=label, required=False, min_value=1, max_value=len(Section.choices),
                initial=position.get(key), widget=forms.NumberInput(attrs={"class": "order"}),
            )  # fmt: skip

    def ordered_sections(self):
        chosen = [(self.cleaned_data.get(f"order_{key}"), i, key) for i, key in enumerate(Section.values)]
        return [key for order, _i, key in sorted(c for c in chosen if c[0] is not None)]

    def section_order_fields(self):
        return [self[f"order_{key}"] for key in Section.values]

    def other_fields(self):
        return [field for field in self if not field.name.startswith("order_")]


class ReportTemplateForm(SectionOrderMixin, forms.ModelForm):
    class Meta:
        model = ReportTemplate
        fields = ["introduction", "closing", "approval_required"]
        widgets = {
            "introduction": forms.Textarea(attrs={"rows": 4}),
            "closing": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"introduction": "Opens every report. " + MARKDOWN_HELP, "closing": "Ends every report."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_order_fields(self.instance.sections or Section.values)

    def clean(self):
        data = super().clean()
        if not self.ordered_sections():
            raise forms.ValidationError("Give at least one section a number.")
        return data


class ClientReportSettingsForm(SectionOrderMixin, forms.ModelForm):
    class Meta:
        model = ClientReportSettings
        fields = ["language", "own_template", "introduction", "closing"]
        labels = {"own_template": "Use this client's own template below instead of the agency's"}
        widgets = {
            "introduction": forms.Textarea(attrs={"rows": 4}),
            "closing": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"language": "The report and the email carrying it are written in this language.",
                      "introduction": MARKDOWN_HELP}  # fmt: skip

    def __init__(self, *args, agency_sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_order_fields(self.instance.sections or agency_sections)

    def clean(self):
        data = super().clean()
        if data.get("own_template") and not self.ordered_sections():
            raise forms.ValidationError("Give at least one section a number.")
        return data


class CommentaryForm(forms.Form):
    commentary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What we did this period, what we recommend. " + MARKDOWN_HELP,
    )  # fmt: skip


class SendForm(forms.Form):
    recipients = EmailListField(required=False, help_text="Empty: the client's report recipients.")


class ShareForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Link valid for", coerce=int, initial=30, choices=[(d, f"{d} days") for d in SHARE_DAYS]
    )
