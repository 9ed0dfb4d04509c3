"""Plan limits, enforced by the services that add what they limit (clients, locations, members) and
by the API throttle, so the portal, the API, the bulk import and the commands all obey them with
the same message: which limit, and how to raise it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import get_public_schema_name

from agency.models import Agency, Plan

LIMITS = {  # limit: (Plan field, one, many)
    "clients": ("max_clients", "client", "clients"),
    "locations": ("max_locations", "location", "locations"),
    "members": ("max_members", "team member", "team members"),
}


class PlanLimitReached(ValidationError):
    """Adding this would go over the agency's plan. ``message_dict``: ``{"plan": [message]}``."""

    def __init__(self, message):
        super().__init__({"plan": [message]})


def plan_of(agency):
    """The agency's plan, or the default plan (None: no plan, no limits)."""
    if agency.plan_id is not None:
        return Plan.objects.get(pk=agency.plan_id)
    return Plan.objects.filter(is_default=True).first()


def _raise_hint(agency):
    return f"ask {settings.PLATFORM_CONTACT} to move {agency.name} to a larger plan"


def limit_message(*, agency, plan, limit, cap, used):
    _field, one, many = LIMITS[limit]
    return (
        f"The {plan.name} plan allows {cap} {one if cap == 1 else many}, and {agency.name} has {used}. "
        f"To add more, {_raise_hint(agency)}."
    )


def plan_limit_check(*, limit, count, adding=1):
    """Raise PlanLimitReached if the current agency's plan leaves no room for ``adding`` more of
    ``limit`` (clients, locations or members). ``count()`` gives how many there are; inside a
    transaction it is called under a lock of the agency's row, so two requests racing for the
    last place cannot both take it."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or connection.schema_name == get_public_schema_name():
        return
    agencies = Agency.objects.filter(pk=tenant.pk)
    if connection.in_atomic_block:
        agencies = agencies.select_for_update()
    agency = agencies.only("pk", "name", "plan_id").first()
    plan = plan_of(agency) if agency is not None else None
    cap = getattr(plan, LIMITS[limit][0], None)
    if cap is None:
        return
    used = count()
    if used + adding > cap:
        raise PlanLimitReached(limit_message(agency=agency, plan=plan, limit=limit, cap=cap, used=used))


def api_rate_of(agency):
    """(plan, requests a minute for all of the agency's tokens), or None without such a limit."""
    plan = plan_of(agency)
    if plan is None or plan.api_requests_per_minute is None:
        return None
    return plan, plan.api_requests_per_minute


def api_rate_message(*, agency, plan, cap, wait):
    return (
        f"The {plan.name} plan allows {cap} API requests a minute (all of {agency.name}'s tokens together). "
        f"Try again in {wait} seconds, or {_raise_hint(agency)}."
    )
