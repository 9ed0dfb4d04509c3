"""Forms of the client-group pages."""

from django import forms

from clients.models import Client
from clients.portfolio.models import ClientGroup, GroupKind


class GroupForm(forms.Form):
    name = forms.CharField(max_length=80, label="Group name", help_text="For example “Sam Jones” or “North”.")
    kind = forms.ChoiceField(choices=GroupKind.choices, initial=GroupKind.TAG, label="Kind")


class GroupEditForm(GroupForm):
    clients = forms.ModelMultipleChoiceField(
        queryset=Client.objects.order_by("name", "pk"), required=False, widget=forms.CheckboxSelectMultiple,
        label="Clients in this group",
    )  # fmt: skip

    def __init__(self, *args, group: ClientGroup, **kwargs):
        kwargs.setdefault(
            "initial", {"name": group.name, "kind": group.kind, "clients": list(group.clients.all())}
        )
        super().__init__(*args, **kwargs)
