from django import forms
from django.contrib.postgres.forms import SimpleArrayField

from reports.models import Frequency, ReportSchedule, Section


class ReportRequestForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Last day, included.")
    location = forms.ModelChoiceField(queryset=None, required=False, empty_label="All locations")
    sections = forms.MultipleChoiceField(
        choices=Section.choices, initial=list(Section.values), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = client.locations.all()


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
