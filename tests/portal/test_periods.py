"""Report periods: presets, months, custom ranges and the previous period."""

from datetime import date

import pytest

from clients.periods import Period, period_from_params

TODAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("params", "first", "last"),
    [
        ({}, date(2025, 12, 17), date(2026, 1, 15)),
        ({"period": "7d"}, date(2026, 1, 9), date(2026, 1, 15)),
        ({"period": "month"}, date(2026, 1, 1), date(2026, 1, 15)),
        ({"period": "last_month"}, date(2025, 12, 1), date(2025, 12, 31)),
        (
            {"period": "custom", "start": "2025-02-01", "end": "2025-02-28"},
            date(2025, 2, 1),
            date(2025, 2, 28),
        ),
        (
            {"period": "custom", "start": "2025-03-01", "end": "2025-02-01"},
            date(2025, 12, 17),
            date(2026, 1, 15),
        ),
        (
            {"period": "custom", "start": "2010-01-01", "end": "2026-01-01"},
            date(2025, 12, 17),
            date(2026, 1, 15),
        ),
        ({"period": "bogus"}, date(2025, 12, 17), date(2026, 1, 15)),
    ],
)
def test_period_from_params(params, first, last):
    period = period_from_params(params, today=TODAY)

    assert (period.first_day, period.last_day) == (first, last)


def test_previous_period_has_the_same_length_just_before():
    period = Period("7d", date(2026, 1, 9), date(2026, 1, 16))

    assert period.previous() == Period("7d", date(2026, 1, 2), date(2026, 1, 9))


def test_bounds_are_local_midnights():
    start, end = Period("custom", date(2026, 3, 29), date(2026, 3, 30)).bounds("Europe/Paris")

    assert (start.isoformat(), end.isoformat()) == ("2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00")
    assert Period("custom", date(2026, 1, 1), date(2026, 12, 31)).bucket == "week"
