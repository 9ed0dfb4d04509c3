"""The feedback inbox's filters (also used by the CSV export and the API), with the agency's own
handling (assignee, handled, tag: clients.workflow) beside PulseBack's fields."""

from django import forms

from clients.models import Sentiment, Status


class FeedbackFilterForm(forms.Form):
    client = forms.IntegerField(required=False, min_value=1)
    location = forms.IntegerField(required=False, min_value=1)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    sentiment = forms.ChoiceField(required=False, choices=[("", "Any sentiment"), *Sentiment.choices])
    rating = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any rating")] + [(n, f"{n}★") for n in range(1, 6)],
    )
    source = forms.CharField(required=False, max_length=200)
    theme = forms.CharField(required=False, max_length=200)
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    q = forms.CharField(required=False, max_length=200, label="Search")
    assignee = forms.CharField(
        required=False, max_length=20, help_text="“me”, “none” (unassigned), or a member's number."
    )
    handled = forms.ChoiceField(
        required=False,
        label="Handled by us",
        choices=[("", "Handled or not"), ("no", "Not handled yet"), ("yes", "Handled")],
    )
    tag = forms.CharField(required=False, max_length=40)

    def clean_assignee(self):
        value = self.cleaned_data["assignee"].strip().lower()
        if value not in ("", "me", "none") and not (value.isdigit() and 0 < int(value) < 2**63):
            raise forms.ValidationError("Choose a member, “me” or “none”.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data
