"""Alerts in the portal, and their rules (owners and admins tune or mute them)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from agency.portal.access import member_required, visible_client_or_404
from agency.team.access import manager_required
from clients.alerts.models import Alert, AlertKind, AlertRule
from clients.alerts.services import alert_rule_for
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
    alerts = Alert.objects.filter(client__in=clients_visible_to(user=request.user)).select_related("client")
    return render(request, "alerts/list.html", {"alerts": alerts[:200]})


@member_required
@require_POST
def alert_read(request, pk):
    alert = get_object_or_404(Alert, pk=pk, client__in=clients_visible_to(user=request.user))
    Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("alert_list")


def _editable_rule(*, client, kind):
    """The stored rule, or a new one that starts from what applies now."""
    stored = AlertRule.objects.filter(client=client, kind=kind).first()
    if stored is not None:
        return stored
    applies = alert_rule_for(client=client, kind=kind) if client else AlertRule(kind=kind)
    fields = {name: getattr(applies, name) for name in AlertRuleForm.Meta.fields}
    return AlertRule(client=client, kind=kind, **fields)


@manager_required
def alert_rules(request):
    """The rules of all clients, or with ``?client=ID`` that client's own (which override them)."""
    client_id = request.GET.get("client")
    client = visible_client_or_404(user=request.user, pk=client_id) if client_id else None
    posted_kind = request.POST.get("kind") if request.method == "POST" else None
    rules = []
    for kind, label in AlertKind.choices:
        data = request.POST if kind == posted_kind else None
        form = AlertRuleForm(data, instance=_editable_rule(client=client, kind=kind), prefix=kind)
        if form.is_bound and form.is_valid():
            form.save()
            messages.success(request, f"The rule “{label}” was saved.")
            return redirect(request.get_full_path())
        rules.append((kind, label, form))
    context = {"rules": rules, "client": client, "clients": clients_visible_to(user=request.user)}
    return render(request, "alerts/rules.html", context)
