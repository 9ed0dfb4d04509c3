"""Alerts in the portal, their rules and their chat channels (owners and admins tune or mute them,
and add Slack, Microsoft Teams or Google Chat channels)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agency.team.access import manager_required, member_required
from clients.access import visible_client_or_404
from clients.alerts import channels, selectors, services
from clients.alerts.models import AlertChannel, AlertKind, AlertRule, ChannelKind
from clients.selectors import clients_visible_to

# Each kind's own settings: a form shows these and none of the others.
KIND_FIELDS = {
    AlertKind.NEGATIVE: ["max_rating"],
    AlertKind.SPIKE: ["max_rating", "min_spike"],
    AlertKind.SILENCE: ["silence_days"],
    AlertKind.UNRESOLVED: ["unresolved_hours"],
    AlertKind.LOGIN_BROKEN: [],
    AlertKind.SYNC_FAILING: ["failures_in_row"],
}
COMMON_FIELDS = ["muted", "digest", "recipients", "channels"]
KIND_HELP = {
    AlertKind.NEGATIVE: "New negative reviews that arrive with a sync.",
    AlertKind.SPIKE: "More negative reviews in 24 hours than the location's usual rate explains.",
    AlertKind.SILENCE: "A location that has received no feedback for a while.",
    AlertKind.UNRESOLVED: "Items still new in PulseBack after some time.",
    AlertKind.LOGIN_BROKEN: "PulseBack refuses a location's login: its sync stops until it is replaced.",
    AlertKind.SYNC_FAILING: "A location's syncs keep failing (PulseBack unreachable or limiting).",
}


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [*dict.fromkeys(name for names in KIND_FIELDS.values() for name in names), *COMMON_FIELDS]
        labels = {
            "max_rating": "Negative means a rating of at most",
            "min_spike": "At least this many negative reviews in 24 hours",
            "silence_days": "Days without new feedback",
            "unresolved_hours": "Hours an item may stay new",
            "failures_in_row": "Failed syncs in a row",
            "muted": "Muted (raise nothing)",
            "digest": "Email these once a day, not at once",
            "recipients": "Email to",
            "channels": "Also post at once to",
        }
        help_texts = {
            "max_rating": "1 to 4 stars; negative sentiment counts too.",
            "min_spike": "And more than the location's usual rate explains (less than 1% by chance).",
            "failures_in_row": "A refused login has its own alert.",
            "recipients": "Addresses separated by commas; empty: the agency's owners and admins.",
            "channels": "Chat channels get every alert as it is raised, even with the daily email.",
        }
        widgets = {"channels": forms.CheckboxSelectMultiple}

    def clean_max_rating(self):
        value = self.cleaned_data["max_rating"]
        if not 1 <= value <= 4:
            raise forms.ValidationError("Choose a rating from 1 to 4.")
        return value


def rule_form_class(kind):
    return modelform_factory(AlertRule, form=AlertRuleForm, fields=[*KIND_FIELDS[kind], *COMMON_FIELDS])


class AlertChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=ChannelKind.choices, label="Service")
    name = forms.CharField(max_length=100, help_text="For you, e.g. “#reviews”.")
    url = forms.CharField(
        max_length=2000, label="Incoming-webhook URL", widget=forms.URLInput,
        help_text="From the channel's settings: a Slack incoming webhook, a Teams Workflows (or "
        "connector) webhook, or a Google Chat space webhook.",
    )  # fmt: skip


@member_required
def alert_list(request):
    return render(
        request, "alerts/list.html", {"alerts": selectors.alerts_visible_to(user=request.user)[:200]}
    )


@member_required
@require_POST
def alert_read(request, pk):
    alert = get_object_or_404(selectors.alerts_visible_to(user=request.user), pk=pk)
    services.alert_mark_read(alert=alert)
    return redirect("alert_list")


def _client_of(request, source):
    client_id = source.get("client")
    if client_id and not client_id.isdigit():
        return None, HttpResponseBadRequest("The client must be given by its number.")
    return (visible_client_or_404(user=request.user, pk=client_id) if client_id else None), None


@manager_required
def alert_rules(request):
    """The rules of all clients, or with ``?client=ID`` that client's own (which override them)."""
    client, refused = _client_of(request, request.GET)
    if refused:
        return refused
    posted_kind = request.POST.get("kind") if request.method == "POST" else None
    rules = []
    for kind, label in AlertKind.choices:
        form_class = rule_form_class(kind)
        fields = [name for name in form_class.base_fields if name != "channels"]
        rule = selectors.alert_rule_editable(client=client, kind=kind, fields=fields)
        in_force = selectors.alert_rule_channels(client=client, kind=kind)
        initial = None if rule.pk else {"channels": in_force}
        data = request.POST if kind == posted_kind else None
        form = form_class(data, instance=rule, prefix=kind, initial=initial)
        if form.is_bound and form.is_valid():
            services.alert_rule_save(
                rule=form.save(commit=False), actor=request.user, chat_channels=form.cleaned_data["channels"]
            )
            messages.success(request, f"The rule “{label}” was saved.")
            return redirect(request.get_full_path())
        rules.append({"kind": kind, "label": label, "help": KIND_HELP[kind], "form": form,
                      "channels": in_force})  # fmt: skip
    context = {"rules": rules, "client": client, "clients": clients_visible_to(user=request.user),
               "has_channels": AlertChannel.objects.exists()}  # fmt: skip
    return render(request, "alerts/rules.html", context)


def _outcome_message(request, channel, outcome):
    if outcome.ok:
        messages.success(request, f"Test posted to {channel.name} (HTTP {outcome.status_code}).")
    else:
        why = f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error
        messages.error(request, f"The test to {channel.name} failed: {why}.")


@manager_required
@require_POST
def alert_rule_test(request):
    """Post a test shaped like the rule's alerts to each chat channel of the rule in force."""
    client, refused = _client_of(request, request.POST)
    if refused:
        return refused
    kind = request.POST.get("kind")
    if kind not in AlertKind.values:
        return HttpResponseBadRequest("Unknown kind of alert.")
    targets = selectors.alert_rule_channels(client=client, kind=kind)
    if not targets:
        messages.error(request, "This rule posts to no chat channel: tick one and save the rule first.")
    for channel in targets:
        _outcome_message(request, channel, services.alert_channel_test(channel=channel, kind=kind))
    url = reverse("alert_rules") + (f"?client={client.pk}" if client else "")
    return redirect(f"{url}#rule-{kind}")


@manager_required
def alert_channels(request):
    form = AlertChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.alert_channel_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("url", exc.message_dict["url"])
        else:
            messages.success(request, f"{channel.name} was added: tick it in the alert rules it should get.")
            return redirect("alert_channels")
    context = {"form": form, "channels": AlertChannel.objects.prefetch_related("rules__client"),
               "examples": channels.EXAMPLES}  # fmt: skip
    return render(request, "alerts/channels.html", context)


@manager_required
@require_POST
def alert_channel_test(request, pk):
    channel = get_object_or_404(AlertChannel, pk=pk)
    _outcome_message(request, channel, services.alert_channel_test(channel=channel))
    return redirect("alert_channels")


@manager_required
@require_POST
def alert_channel_remove(request, pk):
    channel = get_object_or_404(AlertChannel, pk=pk)
    services.alert_channel_remove(actor=request.user, channel=channel)
    messages.success(request, f"{channel.name} was removed.")
    return redirect("alert_channels")
