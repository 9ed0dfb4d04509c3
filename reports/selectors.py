"""Everything a report shows, computed in SQL (over the roll-ups) and a little arithmetic.

Periods are whole local days of the client: [start, end] inclusive.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models.functions import Length
from django.shortcuts import get_object_or_404

from clients import stats
from clients.models import Feedback, Location, TagKind
from clients.periods import Period
from clients.selectors import clients_visible_to
from reports.models import Report, ReportSchedule, ReportState
from reports.significance import rating_change, share_change


def report_visible_or_404(*, user, pk):
    """A report of a client the user may see, else 404."""
    return get_object_or_404(Report.objects.select_related("client"), pk=pk,
                             client__in=clients_visible_to(user=user))  # fmt: skip


def reports_of(*, client, limit=50):
    """The client's latest reports, with their deliveries."""
    return Report.objects.filter(client=client).prefetch_related("deliveries")[:limit]


def schedule_of(*, client):
    """The client's report schedule, or a new unsaved one."""
    return ReportSchedule.objects.filter(client=client).first() or ReportSchedule(client=client)


def reports_awaiting_approval(*, user):
    return Report.objects.filter(
        state=ReportState.AWAITING_APPROVAL, client__in=clients_visible_to(user=user)
    ).select_related("client")


COMMENT_LIMIT = 280  # characters of a quoted comment before it is cut at a word boundary
MIN_THEME_COUNT = 3  # a theme needs this many mentions to be called best or worst


@dataclass(frozen=True)
class Scope:
    client: object
    location: object  # or None: all the client's locations

    @property
    def ids(self):
        return {"client_id": self.client.pk, "location_id": self.location.pk if self.location else None}


def _year_before(period):
    def back(day):
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return Period("custom", back(period.first_day), back(period.end_day))


def _kpis(scope, period):
    start, end = period.bounds(scope.client.timezone)
    return stats.period_stats(**scope.ids, start=start, end=end)


def _changes(now, before):
    """Each KPI's change against an earlier period, with its significance."""
    rated = lambda s: sum(s["sentiment"].values())  # noqa: E731
    return {
        "average_rating": rating_change(before["rating_distribution"], now["rating_distribution"]),
        "negative_share": share_change(
            part_before=before["sentiment"]["negative"], n_before=rated(before),
            part_after=now["sentiment"]["negative"], n_after=rated(now),
        ),
        "resolved_share": share_change(
            part_before=round((before["resolved_share"] or 0) * before["count"]), n_before=before["count"],
            part_after=round((now["resolved_share"] or 0) * now["count"]), n_after=now["count"],
        ),
        "count": now["count"] - before["count"],
    }  # fmt: skip


def _cut(text, limit=COMMENT_LIMIT):
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-") + "…"


def _notable_comments(scope, period, *, best):
    start, end = period.bounds(scope.client.timezone)
    rows = (
        Feedback.objects.filter(
            client_id=scope.client.pk, created_at__gte=start, created_at__lt=end, removed_at__isnull=True
        )
        .exclude(comment__isnull=True)
        .exclude(comment="")
    )
    if scope.location:
        rows = rows.filter(location_id=scope.location.pk)
    if best:
        rows = rows.filter(rating__gte=4).order_by("-rating", "-sentiment_score", "-created_at")
    else:
        rows = rows.filter(rating__lte=2).order_by("rating", "sentiment_score", "-created_at")
    rows = rows.annotate(length=Length("comment")).filter(length__gte=20)
    return [
        {"rating": r.rating, "comment": _cut(r.comment), "name": r.customer_name, "created_at": r.created_at}
        for r in rows.only("rating", "comment", "customer_name", "created_at")[:3]
    ]


def _average(row):
    return row["rating_sum"] / row["count"] if row["count"] else None


def _contributions(now_rows, before_rows, *, key, now_total, before_total, before_mean):
    """Each group's part in the change of the average rating.

    contribution = share_now * (avg_now - overall_before) - share_before * (avg_before - overall_before)
    For groups that split the feedback (locations, sources) these add up to the change exactly.
    """
    before = {row[key]: row for row in before_rows}
    out = []
    for row in now_rows:
        prev = before.get(row[key], {"count": 0, "rating_sum": 0})
        part = 0.0
        if now_total and row["count"]:
            part += row["count"] / now_total * (_average(row) - before_mean)
        if before_total and prev["count"]:
            part -= prev["count"] / before_total * (_average(prev) - before_mean)
        if abs(part) >= 0.005:
            out.append({"name": row[key] or "Unknown", "contribution": part, "count": row["count"]})
    return sorted(out, key=lambda r: abs(r["contribution"]), reverse=True)


def _drivers(scope, period, previous, now, before):
    change = rating_change(before["rating_distribution"], now["rating_distribution"]).delta
    if change is None:
        return None
    totals = {
        "now_total": now["count"],
        "before_total": before["count"],
        "before_mean": before["average_rating"],
    }
    days = lambda p: {"first_day": p.first_day, "end_day": p.end_day}  # noqa: E731
    dims = {}
    for kind, label in ((TagKind.THEME, "themes"), (TagKind.SOURCE, "sources")):
        rows = [stats.tag_breakdown(**scope.ids, **days(p), kind=kind, limit=200) for p in (period, previous)]
        dims[label] = _contributions(*rows, key="value", **totals)[:3]
    if scope.location is None:
        rows = [stats.location_breakdown(client_id=scope.client.pk, **days(p)) for p in (period, previous)]
        dims["locations"] = _contributions(*rows, key="name", **totals)[:3]
    return {"change": change, **dims}


def _themes(scope, period, previous):
    now = stats.tag_breakdown(
        **scope.ids, first_day=period.first_day, end_day=period.end_day, kind=TagKind.THEME, limit=200
    )
    before = {
        r["value"]: r["count"]
        for r in stats.tag_breakdown(
            **scope.ids, first_day=previous.first_day, end_day=previous.end_day, kind=TagKind.THEME, limit=200
        )
    }
    for row in now:
        rated = row["positive"] + row["neutral"] + row["negative"]
        row["positive_share"] = row["positive"] / rated if rated else None
        row["change"] = row["count"] - before.get(row["value"], 0)
    ranked = [r for r in now if r["count"] >= MIN_THEME_COUNT and r["positive_share"] is not None]
    by_share = sorted(ranked, key=lambda r: (r["positive_share"], r["count"]))
    best = list(reversed(by_share[-3:]))
    return {
        "top": now[:8],
        "best": best,
        "worst": [row for row in by_share[:3] if row not in best],
        "rising": [r for r in sorted(now, key=lambda r: -r["change"]) if r["change"] > 0][:3],
        "falling": [r for r in sorted(now, key=lambda r: r["change"]) if r["change"] < 0][:3],
    }  # fmt: skip


def report_data(*, client, location=None, start: date, end: date, sections):
    """The report's content for the client (or one location) over [start, end] (local days)."""
    scope = Scope(client, location)
    period = Period("custom", start, end + timedelta(days=1))
    previous, last_year = period.previous(), _year_before(period)
    now, before, year_ago = (_kpis(scope, p) for p in (period, previous, last_year))
    days = {"first_day": period.first_day, "end_day": period.end_day}
    locations = Location.objects.filter(client=client, **({"pk": location.pk} if location else {}))
    data = {
        "client": client,
        "location": location,
        "period": period,
        "previous": previous,
        "last_year": last_year,
        "sections": sections,
        "now": now,
        "before": before,
        "year_ago": year_ago,
        "vs_previous": _changes(now, before),
        "vs_last_year": _changes(now, year_ago),
        "series": stats.daily_series(**scope.ids, **days, bucket=period.bucket),
        "sources": stats.tag_breakdown(**scope.ids, **days, kind=TagKind.SOURCE),
        "locations": stats.location_breakdown(client_id=client.pk, **days) if location is None else [],
        "data_as_of": list(locations.order_by("name").values("name", "last_synced_at")),
    }
    if "themes" in sections:
        data["themes"] = _themes(scope, period, previous)
    if "comments" in sections:
        data["best_comments"] = _notable_comments(scope, period, best=True)
        data["worst_comments"] = _notable_comments(scope, period, best=False)
    if "drivers" in sections:
        data["drivers"] = _drivers(scope, period, previous, now, before)
    return data
