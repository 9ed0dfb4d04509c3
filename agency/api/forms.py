from django import forms

from agency.api.models import Scope


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “Zapier” or “Looker Studio”.")
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ)
