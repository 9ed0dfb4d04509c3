"""Gauges read when Prometheus scrapes: sync lag per agency, queue lengths, heartbeats, agencies by
state, and those the upper layers register (``scrape_gauge``), such as the PulseBack sign-in budget.

They are read from the database and the broker at scrape time, not counted by a process, so every
web process answers the same figures.
"""

import logging

from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

_registered = []


def scrape_gauge(fn):
    """Register ``fn()`` -> iterable of metric families, read at every scrape (a decorator)."""
    _registered.append(fn)
    return fn


def queue_lengths():
    """{queue: messages waiting}, from the broker. Each queue is declared as the workers declare it
    (declaring is how AMQP and kombu's Redis transport count, key prefix included)."""
    from agency.celery import app, queue_names

    lengths = {}
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        for name in queue_names():
            with conn.channel() as channel:
                lengths[name] = app.amqp.queues[name](channel).queue_declare().message_count
    return lengths


class ScrapeCollector:
    def collect(self):
        with schema_context(get_public_schema_name()):
            yield from self._agencies()
            yield from self._heartbeats()
        yield from self._queues()
        for fn in _registered:
            try:
                yield from fn()
            except Exception:
                logger.exception("metrics: %s failed", getattr(fn, "__name__", fn))

    @staticmethod
    def _agencies():
        from agency.models import Agency, AgencyUsage

        now = timezone.now()
        lag = GaugeMetricFamily(
            "portal_sync_lag_seconds",
            "Per active agency: seconds since the last success of the location that has waited longest.",
            labels=["agency"],
        )
        usage = AgencyUsage.objects.filter(agency__suspended_at__isnull=True, oldest_success_at__isnull=False)
        for slug, oldest in usage.values_list("agency__slug", "oldest_success_at"):
            lag.add_metric([slug], max(0.0, (now - oldest).total_seconds()))
        yield lag
        agencies = Agency.objects.exclude(schema_name=get_public_schema_name())
        states = GaugeMetricFamily("portal_agencies", "Agencies, by state.", labels=["state"])
        states.add_metric(["active"], agencies.filter(suspended_at__isnull=True).count())
        states.add_metric(["suspended"], agencies.filter(suspended_at__isnull=False).count())
        yield states

    @staticmethod
    def _heartbeats():
        from agency.models import WorkerHeartbeat

        now = timezone.now()
        ages = GaugeMetricFamily(
            "portal_worker_heartbeat_age_seconds",
            "Seconds since a worker last ran the heartbeat beat sends through each queue.",
            labels=["queue"],
        )
        for queue, at in WorkerHeartbeat.objects.values_list("queue", "at"):
            ages.add_metric([queue], max(0.0, (now - at).total_seconds()))
        yield ages

    @staticmethod
    def _queues():
        family = GaugeMetricFamily("portal_queue_length", "Tasks waiting in each queue.", labels=["queue"])
        try:
            lengths = queue_lengths()
        except Exception:
            logger.exception("metrics: the broker could not be read")
            lengths = {}
        for name, length in lengths.items():
            family.add_metric([name], length)
        yield family
