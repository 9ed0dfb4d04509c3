"""Raising alerts and emailing them. Each condition raises one alert (a unique key), never a flood.

A spike is judged against the location's own usual rate: the negative items of
the last 24 hours are compared with its daily average of the 28 days before,
and count as a spike when so many would happen by chance less than 1% of the
time (Poisson), and at least ``min_spike`` of them.
"""

import logging
import math
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from agency.emails import email_send
from agency.team.audit import audit_record
from agency.team.models import MANAGER_ROLES, User
from clients.alerts.models import Alert, AlertKind, AlertRule
from clients.models import ConnectionState, Feedback, FeedbackDaily, Location, Sentiment, Status

logger = logging.getLogger(__name__)
SPIKE_P_VALUE = 0.01
BASELINE_DAYS = 28


def alert_rule_for(*, client, kind):
    """The rule in force: the client's own, else the agency's, else the defaults."""
    rules = {rule.client_id: rule for rule in AlertRule.objects.filter(kind=kind).filter(
        Q(client=client) | Q(client__isnull=True))}  # fmt: skip
    return rules.get(client.pk) or rules.get(None) or AlertRule(kind=kind)


@transaction.atomic
def alert_rule_save(*, rule, actor):
    rule.save()
    audit_record(actor=actor, action="alert_rule.saved", target=rule.client or "every client",
                 kind=rule.kind, muted=rule.muted)  # fmt: skip
    return rule


def alert_mark_read(*, alert):
    Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())


def _raise(*, rule, client, location, key, message):
    if rule.muted:
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=rule.kind, client=client, location=location, key=key, message=message
            )
    except IntegrityError:
        return None  # raised already
    if not rule.digest:
        from clients.alerts.tasks import alert_email_task

        transaction.on_commit(lambda: alert_email_task.delay(alert.pk))
    return alert


def _negative(rule):
    return Q(rating__lte=rule.max_rating) | Q(sentiment=Sentiment.NEGATIVE)


def alerts_after_sync(*, run):
    """Negative feedback that arrived with this sync (not old items found by a first backfill)."""
    location = Location.objects.select_related("client").get(pk=run.location_id)
    if location.connected_at is None:
        return None
    rule = alert_rule_for(client=location.client, kind=AlertKind.NEGATIVE)
    new = Feedback.objects.filter(location=location, first_seen_at__gte=run.started_at,
                                  created_at__gte=location.connected_at).filter(_negative(rule))  # fmt: skip
    count = new.count()
    if not count:
        return None
    worst = new.order_by("rating").values_list("rating", flat=True).first()
    message = f"{count} new negative review{'s' * (count > 1)} at {location} (lowest rating {worst}★)."
    return _raise(
        rule=rule, client=location.client, location=location, key=f"negative:{run.pk}", message=message
    )


def _poisson_tail(k, mean):
    """P(X >= k) for X ~ Poisson(mean)."""
    if mean <= 0:
        return 0.0 if k > 0 else 1.0
    term, below = math.exp(-mean), 0.0
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)


def _check_spike(location, now):
    rule = alert_rule_for(client=location.client, kind=AlertKind.SPIKE)
    live = Feedback.objects.filter(location=location, removed_at__isnull=True)
    recent = live.filter(created_at__gte=now - timedelta(hours=24)).filter(_negative(rule)).count()
    if recent < rule.min_spike:
        return None
    today = now.date()
    past = FeedbackDaily.objects.filter(location=location, day__lt=today - timedelta(days=1),
                                        day__gte=today - timedelta(days=BASELINE_DAYS + 1))  # fmt: skip
    usual = (past.aggregate(n=Sum("negative"))["n"] or 0) / BASELINE_DAYS
    if _poisson_tail(recent, usual) >= SPIKE_P_VALUE:
        return None
    message = f"{recent} negative reviews at {location} in 24 hours; usually {usual:.1f} a day."
    return _raise(rule=rule, client=location.client, location=location,
                  key=f"spike:{location.pk}:{today}", message=message)  # fmt: skip


def _check_silence(location, now):
    rule = alert_rule_for(client=location.client, kind=AlertKind.SILENCE)
    if location.connected_at is None or location.connected_at > now - timedelta(days=rule.silence_days):
        return None
    last = (
        Feedback.objects.filter(location=location)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    last = last.first()
    if last is not None and last > now - timedelta(days=rule.silence_days):
        return None
    since = f"since {last:%b %-d}" if last else "ever"
    message = (f"No new feedback at {location} {since}: check its PulseBack widget and login "
               f"(last sync: {location.get_state_display().lower()}).")  # fmt: skip
    return _raise(rule=rule, client=location.client, location=location,
                  key=f"silence:{location.pk}:{last:%Y%m%d}" if last else f"silence:{location.pk}:never",
                  message=message)  # fmt: skip


def _check_unresolved(client, now):
    rule = alert_rule_for(client=client, kind=AlertKind.UNRESOLVED)
    waiting = Feedback.objects.filter(client=client, status=Status.NEW, removed_at__isnull=True)
    count = waiting.filter(created_at__lt=now - timedelta(hours=rule.unresolved_hours)).count()
    if not count:
        return None
    message = f"{count} item{'s' * (count > 1)} of {client} still new after {rule.unresolved_hours} hours."
    return _raise(rule=rule, client=client, location=None, key=f"unresolved:{client.pk}:{now.date()}",
                  message=message)  # fmt: skip


def alerts_check(*, now=None):
    """The periodic checks of the current agency: spikes, silence, unresolved backlog."""
    now = now or timezone.now()
    raised = []
    locations = Location.objects.select_related("client").exclude(state=ConnectionState.PAUSED)
    for location in locations:
        raised += [_check_spike(location, now), _check_silence(location, now)]
    for client in {location.client for location in locations}:
        raised.append(_check_unresolved(client, now))
    return [alert for alert in raised if alert is not None]


def _recipients(rule):
    if rule.recipients:
        return rule.recipients
    return list(User.objects.filter(role__in=MANAGER_ROLES, is_active=True).values_list("email", flat=True))


def alert_email(*, alert_id):
    alert = Alert.objects.select_related("client").get(pk=alert_id)
    if alert.emailed_at is not None:
        return
    rule = alert_rule_for(client=alert.client, kind=alert.kind)
    email_send(template="alert", to=_recipients(rule), agency=connection.tenant, context={"alerts": [alert]})
    Alert.objects.filter(pk=alert.pk).update(emailed_at=timezone.now())


def alerts_digest_send():
    """One email with every alert of digest rules not emailed yet."""
    pending = list(Alert.objects.filter(emailed_at__isnull=True).select_related("client"))
    if not pending:
        return 0
    rule = alert_rule_for(client=pending[0].client, kind=pending[0].kind)
    email_send(template="alert", to=_recipients(rule), agency=connection.tenant, context={"alerts": pending})
    Alert.objects.filter(pk__in=[a.pk for a in pending]).update(emailed_at=timezone.now())
    return len(pending)
