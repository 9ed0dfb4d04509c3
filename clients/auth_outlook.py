"""How close the platform is to its PulseBack sign-in budget, for the operator console.

Each agency's tick records what its locations need (clients.scheduling.auth_demand_record); this
adds them up against the budget of one egress address (``PULSEBACK_AUTH_PER_MINUTE`` an hour).
Beat does the same before each tick, to tell the calendar the platform's floor.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from clients.auth_calendar import auth_booked, auth_floor_set, plan_per_minute
from clients.scheduling import demand_key


@dataclass(frozen=True)
class AuthBudgetOutlook:
    budget_per_hour: int  # sign-ins and refreshes one egress address may make an hour
    plannable_per_hour: int  # of which the scheduler plans (the rest: sign-ups, manual syncs)
    demand_per_hour: float  # what the locations need at their own intervals
    floor_per_hour: float  # the least they need: busy ones hourly, the others at their promise
    booked_last_hour: int  # what the scheduler booked over the last 60 minutes
    locations: int
    busy_locations: int
    agencies: int
    agencies_reporting: int  # agencies whose latest tick is recorded (the others count as none)

    @property
    def utilisation(self):
        """The floor as a share of what may be planned: above 1, promises are broken."""
        return self.floor_per_hour / self.plannable_per_hour if self.plannable_per_hour else float("inf")

    @property
    def spare_locations(self):
        """How many more locations, of today's mix, fit before another egress address is needed
        (negative: that many too many); None without locations to judge the mix by."""
        if not self.locations or not self.floor_per_hour:
            return None
        per_location = self.floor_per_hour / self.locations
        return int((self.plannable_per_hour - self.floor_per_hour) // per_location)

    @property
    def needs_another_address(self):
        return self.floor_per_hour > self.plannable_per_hour


def auth_budget_outlook(*, now=None, schemas=None):
    """The platform's sign-in budget against what its locations need (AuthBudgetOutlook), over
    every agency (or the agency ``schemas`` given)."""
    now = timezone.now() if now is None else now
    if schemas is None:
        schemas = (
            get_tenant_model()
            .objects.exclude(schema_name=get_public_schema_name())
            .values_list("schema_name", flat=True)
        )
    schemas = list(schemas)
    with schema_context(get_public_schema_name()):
        recorded = cache.get_many([demand_key(schema) for schema in schemas])
    locations = busy = 0
    demand = floor = 0.0
    for count, busy_count, needed, least in recorded.values():
        locations, busy = locations + count, busy + busy_count
        demand, floor = demand + needed, floor + least
    return AuthBudgetOutlook(
        budget_per_hour=settings.PULSEBACK_AUTH_PER_MINUTE * 60,
        plannable_per_hour=plan_per_minute() * 60,
        demand_per_hour=round(demand, 1),
        floor_per_hour=round(floor, 1),
        booked_last_hour=auth_booked(minutes=60, now=now),
        locations=locations,
        busy_locations=busy,
        agencies=len(schemas),
        agencies_reporting=len(recorded),
    )


def auth_floor_refresh(*, schemas=None, now=None):
    """Beat, before each tick's fan-out: tell the calendar what keeping every promise costs now."""
    outlook = auth_budget_outlook(schemas=schemas, now=now)
    auth_floor_set(per_hour=outlook.floor_per_hour)
    return outlook
