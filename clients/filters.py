"""The feedback inbox's filters (also used by the CSV export and the API)."""

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

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data
