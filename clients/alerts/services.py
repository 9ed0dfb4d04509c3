"""Raising alerts, emailing them and posting them to chat channels. Each condition raises one alert
(a unique key), never a flood.

A spike is judged against the location's own usual rate: the negative items of
the last 24 hours are compared with its daily average of the 28 days before,
and count as a spike when so many would happen by chance less than 1% of the
time (Poisson), and at least ``min_spike`` of them.

A refused PulseBack login and syncs failing in a row are raised as they happen, by the receivers
of the sync's announcements (clients/alerts/receivers.py). Chat channels get each alert at once,
even when its emails go out as a daily digest.
"""

import logging
import math
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from agency.emails import email_send
from agency.team.audit import audit_record
from agency.team.models import MANAGER_ROLES, User
from clients.alerts import channels, messages
from clients.alerts.models import Alert, AlertChannel, AlertKind, AlertRule
from clients.models import (
    ConnectionState,
    Feedback,
    FeedbackDaily,
    Location,
    Sentiment,
    Status,
    SyncRun,
    SyncState,
)

logger = logging.getLogger(__name__)
SPIKE_P_VALUE = 0.01
BASELINE_DAYS = 28


def alert_rule_for(*, client, kind):
    """The rule in force: the client's own, else the agency's, else the defaults."""
    rules = {rule.client_id: rule for rule in AlertRule.objects.filter(kind=kind).filter(
        Q(client=client) | Q(client__isnull=True))}  # fmt: skip
    return rules.get(client.pk) or rules.get(None) or AlertRule(kind=kind)


@transaction.atomic
def alert_rule_save(*, rule, actor, chat_channels=None):
    """Save the rule (and, when given, the chat channels it posts to)."""
    rule.save()
    if chat_channels is not None:
        rule.channels.set(chat_channels)
    audit_record(actor=actor, action="alert_rule.saved", target=rule.client or "every client",
                 kind=rule.kind, muted=rule.muted,
                 channels=[str(channel) for channel in rule.channels.all()])  # fmt: skip
    return rule


def alert_mark_read(*, alert):
    Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())


def _raise(*, rule, client, location, key, message, feedback=None):
    if rule.muted:
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(kind=rule.kind, client=client, location=location, key=key,
                                         message=message, feedback=feedback)  # fmt: skip
    except IntegrityError:
        return None  # raised already
    from clients.alerts.tasks import alert_channel_task, alert_email_task

    if not rule.digest:
        transaction.on_commit(lambda: alert_email_task.delay(alert.pk))
    targets = list(rule.channels.values_list("pk", flat=True)) if rule.pk else []
    if targets:
        transaction.on_commit(lambda: [alert_channel_task.delay(alert.pk, pk) for pk in targets])
    return alert


CONNECTED_CLOCK_MARGIN = timedelta(minutes=5)


def _negative(rule):
    return Q(rating__lte=rule.max_rating) | Q(sentiment=Sentiment.NEGATIVE)


def alerts_after_sync(*, run):
    """Negative feedback that arrived with this sync (not old items found by a first backfill)."""
    location = Location.objects.select_related("client").get(pk=run.location_id)
    if location.connected_at is None:
        return None
    rule = alert_rule_for(client=location.client, kind=AlertKind.NEGATIVE)
    # PulseBack's times are whole seconds, and its clock is not ours: an item written just as the
    # location connected still counts as new.
    since = location.connected_at - CONNECTED_CLOCK_MARGIN
    new = Feedback.objects.filter(location=location, first_seen_at__gte=run.started_at,
                                  created_at__gte=since).filter(_negative(rule))  # fmt: skip
    count = new.count()
    if not count:
        return None
    worst = new.order_by("rating", "-created_at").first()
    message = f"{count} new negative review{'s' * (count > 1)} at {location} (lowest rating {worst.rating}★)."
    return _raise(rule=rule, client=location.client, location=location, key=f"negative:{run.pk}",
                  message=message, feedback=worst)  # fmt: skip


def alert_login_broken(*, location, now=None):
    """PulseBack refused the location's login (its state just became invalid credentials)."""
    now = now or timezone.now()
    rule = alert_rule_for(client=location.client, kind=AlertKind.LOGIN_BROKEN)
    message = (f"PulseBack refused the login of {location}: its feedback is not synced until "
               "someone enters the new password.")  # fmt: skip
    return _raise(rule=rule, client=location.client, location=location,
                  key=f"login:{location.pk}:{now:%Y%m%d%H%M%S%f}", message=message)  # fmt: skip


def alert_sync_failing(*, location, error=""):
    """The location's syncs failed ``failures_in_row`` times in a row (one alert per such streak).
    A refused login has its own alert, so its failures raise nothing here."""
    state = Location.objects.filter(pk=location.pk).values_list("state", flat=True).first()
    if state in (None, ConnectionState.INVALID_CREDENTIALS):
        return None
    rule = alert_rule_for(client=location.client, kind=AlertKind.SYNC_FAILING)
    runs = SyncRun.objects.filter(location=location)
    last_ok = runs.filter(state=SyncState.SUCCEEDED).aggregate(at=Max("finished_at"))["at"]
    failed = runs.filter(state=SyncState.FAILED)
    if last_ok is not None:
        failed = failed.filter(finished_at__gt=last_ok)
    streak = failed.aggregate(count=Count("pk"), first=Min("pk"))
    if streak["count"] < rule.failures_in_row:
        return None
    last = f" (last: {error[:200]})" if error else ""
    message = f"The last {streak['count']} syncs of {location} failed{last}."
    return _raise(rule=rule, client=location.client, location=location,
                  key=f"sync_failing:{location.pk}:{streak['first']}", message=message)  # fmt: skip


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


def _with_messages(alerts):
    return [{"alert": alert, "message": messages.alert_message(alert)} for alert in alerts]


def alert_email(*, alert_id):
    alert = Alert.objects.select_related("client", "location", "feedback").get(pk=alert_id)
    if alert.emailed_at is not None:
        return
    rule = alert_rule_for(client=alert.client, kind=alert.kind)
    context = {"alerts": _with_messages([alert])}
    email_send(template="alert", to=_recipients(rule), agency=connection.tenant, context=context)
    Alert.objects.filter(pk=alert.pk).update(emailed_at=timezone.now())


def alerts_digest_send():
    """One email with every alert of digest rules not emailed yet."""
    pending = list(
        Alert.objects.filter(emailed_at__isnull=True).select_related("client", "location", "feedback")
    )
    if not pending:
        return 0
    rule = alert_rule_for(client=pending[0].client, kind=pending[0].kind)
    context = {"alerts": _with_messages(pending)}
    email_send(template="alert", to=_recipients(rule), agency=connection.tenant, context=context)
    Alert.objects.filter(pk__in=[a.pk for a in pending]).update(emailed_at=timezone.now())
    return len(pending)


# ------------------------------------------------------------------- chat channels
class ChannelRetry(Exception):
    """The service answered 429 or 5xx, or could not be reached: worth trying again later."""


@transaction.atomic
def alert_channel_create(*, actor, kind, name, url):
    """A Slack, Teams or Google Chat channel (its URL checked by the outbound address guard)."""
    try:
        url = channels.url_check(kind=kind, url=url)
    except channels.ChannelRefused as exc:
        raise ValidationError({"url": str(exc)}) from None
    host = urlsplit(url).hostname or ""
    channel = AlertChannel.objects.create(kind=kind, name=name, url=url, host=host, created_by=actor)
    audit_record(actor=actor, action="alert_channel.created", target=channel, host=host)
    return channel


@transaction.atomic
def alert_channel_remove(*, actor, channel):
    audit_record(actor=actor, action="alert_channel.removed", target=channel)
    AlertChannel.objects.filter(pk=channel.pk).delete()


def _post(channel, message):
    outcome = channels.post(kind=channel.kind, url=channel.url.reveal(), message=message)
    now = timezone.now()
    error = "" if outcome.ok else (outcome.error or f"HTTP {outcome.status_code}")[:500]
    AlertChannel.objects.filter(pk=channel.pk).update(
        last_attempt_at=now, last_status_code=outcome.status_code, last_error=error,
        **({"last_delivered_at": now} if outcome.ok else {}),
    )  # fmt: skip
    return outcome


def alert_channel_deliver(*, alert_id, channel_id):
    """Post one alert to one channel. Raises ChannelRetry when the service may accept it later;
    a refusal (another 4xx: a revoked or wrong URL) is recorded on the channel and not retried."""
    alert = Alert.objects.select_related("client", "location", "feedback").filter(pk=alert_id).first()
    channel = AlertChannel.objects.filter(pk=channel_id).first()
    if alert is None or channel is None:
        return None
    outcome = _post(channel, messages.alert_message(alert))
    if not outcome.ok:
        logger.warning(
            "alert %s to channel %s failed: %s", alert_id, channel_id, outcome.error or outcome.status_code
        )
        if outcome.status_code is None or outcome.status_code == 429 or outcome.status_code >= 500:
            raise ChannelRetry(outcome.error or f"HTTP {outcome.status_code}")
    return outcome


def alert_channel_test(*, channel, kind=None):
    """Post a test message (shaped like an alert of ``kind``) to ``channel`` now; its outcome."""
    return _post(channel, messages.sample_message(channel=channel, kind=kind))
