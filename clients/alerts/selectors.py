"""Reads for alerts and their rules."""

from clients.alerts.models import Alert, AlertRule
from clients.alerts.services import alert_rule_for
from clients.selectors import clients_visible_to


def alerts_visible_to(*, user):
    return Alert.objects.filter(client__in=clients_visible_to(user=user)).select_related("client", "location")


def alert_rule_editable(*, client, kind, fields):
    """The stored rule of ``client`` (None: the agency's), or a new one that starts from the rule
    in force now, so a form shows what applies."""
    stored = AlertRule.objects.filter(client=client, kind=kind).first()
    if stored is not None:
        return stored
    applies = alert_rule_for(client=client, kind=kind) if client else AlertRule(kind=kind)
    return AlertRule(client=client, kind=kind, **{name: getattr(applies, name) for name in fields})


def alert_rule_channels(*, client, kind):
    """The chat channels of the rule in force for ``client`` (None: the agency's rule)."""
    if client is not None:
        rule = alert_rule_for(client=client, kind=kind)
    else:
        rule = AlertRule.objects.filter(client__isnull=True, kind=kind).first()
    return list(rule.channels.all()) if rule is not None and rule.pk else []
