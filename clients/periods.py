"""Report periods in whole local days of a client: presets, custom ranges and the previous period."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PRESETS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}
PERIOD_CHOICES = [
    *PRESETS.items(),
    ("month", "This month"),
    ("last_month", "Last month"),
    ("custom", "Custom"),
]
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """[first_day, end_day) in local days."""

    key: str
    first_day: date
    end_day: date

    @property
    def days(self):
        return (self.end_day - self.first_day).days

    @property
    def last_day(self):
        return self.end_day - timedelta(days=1)

    def previous(self):
        """The period of the same length just before this one."""
        return Period(self.key, self.first_day - timedelta(days=self.days), self.first_day)

    def bounds(self, tz_name):
        """Aware datetimes [start, end) of the period in the given time zone."""
        tz = ZoneInfo(tz_name)
        return datetime.combine(self.first_day, time(), tz), datetime.combine(self.end_day, time(), tz)

    @property
    def bucket(self):
        return "day" if self.days <= 92 else "week" if self.days <= 400 else "month"


def _parse(value):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def period_from_params(params, *, today):
    """The period asked for in query parameters (``period``, ``start``, ``end``: ISO dates, end
    inclusive), ``today`` being the client's local date. Unknown or invalid input: 30 days."""
    key = params.get("period") or "30d"
    end_day = today + timedelta(days=1)
    if key in PRESETS:
        return Period(key, end_day - timedelta(days=int(key[:-1])), end_day)
    if key == "month":
        return Period(key, today.replace(day=1), end_day)
    if key == "last_month":
        first_this = today.replace(day=1)
        return Period(key, (first_this - timedelta(days=1)).replace(day=1), first_this)
    if key == "custom":
        start, end = _parse(params.get("start")), _parse(params.get("end"))
        if start and end and start <= end and (end - start).days < MAX_DAYS:
            return Period(key, start, end + timedelta(days=1))
    return Period("30d", end_day - timedelta(days=30), end_day)
