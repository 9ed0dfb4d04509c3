"""Reads of the operator's console: agencies with their plan, usage and health, plans, exports,
deletions, the operator's audit log."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from agency.models import Agency, AgencyDeletion, AgencyExport, OperatorEvent, Plan
from agency.operator.plans import plan_of

STATES = ("active", "suspended", "deleting")


@dataclass(frozen=True)
class Health:
    level: str  # ok, warn, bad, unknown
    text: str


def agency_health(agency, *, now=None):
    """How the agency's syncs are doing, from its last measurement."""
    usage = getattr(agency, "usage", None)
    if agency.suspended_at is not None:
        return Health("warn", "suspended: nothing syncs")
    if usage is None:
        return Health("unknown", "not measured yet")
    if usage.locations_failing:
        return Health("bad", f"{usage.locations_failing} of {usage.locations} locations failing")
    if usage.oldest_success_at is not None:
        lag = (now or timezone.now()) - usage.oldest_success_at
        if lag > timedelta(minutes=3 * settings.SYNC_INTERVAL_MINUTES):
            return Health("warn", f"oldest sync {_duration(lag)} ago")
    if usage.sync_failures_24h:
        return Health("warn", f"{usage.sync_failures_24h} failed syncs in 24 h")
    return Health("ok", "syncing")


def _duration(delta):
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def agencies(*, query="", state=""):
    """Every agency (not the public site), with its plan, usage and pending deletion."""
    rows = (
        Agency.objects.exclude(schema_name=get_public_schema_name())
        .select_related("plan", "usage")
        .prefetch_related("domains")
        .annotate(
            deleting=Count("deletions", filter=Q(deletions__cancelled_at=None, deletions__deleted_at=None))
        )
        .order_by("name")
    )
    if query:
        rows = rows.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(domains__domain__icontains=query)
        )
    if state == "active":
        rows = rows.filter(suspended_at__isnull=True)
    elif state == "suspended":
        rows = rows.filter(suspended_at__isnull=False)
    elif state == "deleting":
        rows = rows.filter(deleting__gt=0)
    return rows.distinct()


def default_plan():
    return Plan.objects.filter(is_default=True).first()


def agency_plan(agency):
    return plan_of(agency)


def pending_deletion(agency):
    return AgencyDeletion.objects.filter(agency=agency, cancelled_at=None, deleted_at=None).first()


def agency_exports(agency):
    return AgencyExport.objects.filter(agency=agency)[:10]


def plans():
    return Plan.objects.annotate(agency_count=Count("agencies"))


def deletions():
    return AgencyDeletion.objects.all()


def operator_events(*, agency_slug=""):
    events = OperatorEvent.objects.all()
    return events.filter(agency_slug=agency_slug) if agency_slug else events
