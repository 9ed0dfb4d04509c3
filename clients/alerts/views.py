"""Alerts in the portal, and their rules (owners and admins tune or mute them)."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.team.access import manager_required, member_required
from clients.access import visible_client_or_404
from clients.alerts import selectors, services
from clients.alerts.models import AlertKind, AlertRule
from clients.selectors import clients_visible_to


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "muted",
            "max_rating",
            "min_spike",
            "silence_days",
            "unresolved_hours",
            "digest",
            "recipients",
        ]

    def clean_max_rating(self):
        value = self.cleaned_data["max_rating"]
        if not 1 <= value <= 4:
            raise forms.ValidationError("Choose a rating from 1 to 4.")
        return value


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


@manager_required
def alert_rules(request):
    """The rules of all clients, or with ``?client=ID`` that client's own (which override them)."""
    client_id = request.GET.get("client")
    if client_id and not client_id.isdigit():
        return HttpResponseBadRequest("The client must be given by its number.")
    client = visible_client_or_404(user=request.user, pk=client_id) if client_id else None
    posted_kind = request.POST.get("kind") if request.method == "POST" else None
    rules = []
    for kind, label in AlertKind.choices:
        data = request.POST if kind == posted_kind else None
        rule = selectors.alert_rule_editable(client=client, kind=kind, fields=AlertRuleForm.Meta.fields)
        form = AlertRuleForm(data, instance=rule, prefix=kind)
        if form.is_bound and form.is_valid():
            services.alert_rule_save(rule=form.save(commit=False), actor=request.user)
            messages.success(request, f"The rule “{label}” was saved.")
            return redirect(request.get_full_path())
        rules.append((kind, label, form))
    context = {"rules": rules, "client": client, "clients": clients_visible_to(user=request.user)}
    return render(request, "alerts/rules.html", context)
