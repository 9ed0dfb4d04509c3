"""Reads for reports: which reports a person sees, the templates in force, and a report's content.

Periods are whole local days of the client: [start, end] inclusive. The content is computed in
SQL over the roll-ups (clients.stats), with the rules of reports.figures.
"""

from datetime import date, timedelta

from django.core import signing
from django.db import connection
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse

from agency.urlbuilders import agency_base_url
from clients import stats
from clients.models import Location, TagKind
from clients.periods import Period
from clients.selectors import clients_visible_to
from reports import figures
from reports.models import (
    ALL_SECTIONS,
    ClientReportSettings,
    Language,
    Report,
    ReportSchedule,
    ReportState,
    ReportTemplate,
    Section,
    ShareLink,
)

SHARE_SALT = "reports.share-link"
DEFAULT_SECTIONS = list(ALL_SECTIONS)


def _sees_archive(user):
    """Owners and admins keep the replaced versions of reports; others see the current ones."""
    return bool(getattr(user, "is_manager", False))


def report_visible_or_404(*, user, pk):
    """A report of a client the user may see, else 404; a replaced one only for owners and admins."""
    reports = Report.objects.select_related("client", "location")
    if not _sees_archive(user):
        reports = reports.filter(superseded_at__isnull=True)
    return get_object_or_404(reports, pk=pk, client__in=clients_visible_to(user=user))


def reports_of(*, client, user=None, limit=50):
    """The client's latest reports with their deliveries and share links; the archive for managers."""
    reports = Report.objects.filter(client=client).select_related("location", "requested_by")
    if user is None or not _sees_archive(user):
        reports = reports.filter(superseded_at__isnull=True)
    return reports.prefetch_related("deliveries", Prefetch("share_links"))[:limit]


def current_report_for(*, client, location, start, end):
    """The current report of exactly this scope and period, if there is one."""
    return Report.objects.filter(client=client, location=location, start=start, end=end,
                                 superseded_at__isnull=True).first()  # fmt: skip


def schedule_of(*, client):
    """The client's report schedule, or a new unsaved one."""
    return ReportSchedule.objects.filter(client=client).first() or ReportSchedule(client=client)


def reports_awaiting_approval(*, user):
    return Report.objects.filter(
        state=ReportState.AWAITING_APPROVAL, client__in=clients_visible_to(user=user)
    ).select_related("client", "location", "requested_by")


def agency_template():
    """The agency's report template (its defaults until someone saves it)."""
    return ReportTemplate.objects.order_by("pk").first() or ReportTemplate(sections=DEFAULT_SECTIONS)


def client_settings(*, client):
    """The client's report settings, or unsaved defaults (English, the agency's template)."""
    found = ClientReportSettings.objects.filter(client=client).first()
    return found or ClientReportSettings(client=client, language=Language.ENGLISH)


def effective_template(*, client):
    """Sections (in order), introduction and closing for a client: its own, or the agency's."""
    agency = agency_template()
    own = client_settings(client=client)
    source = own if own.own_template else agency
    return {
        "sections": list(source.sections or DEFAULT_SECTIONS),
        "introduction": source.introduction,
        "closing": source.closing,
        "approval_required": agency.approval_required,
        "language": own.language,
    }


def ordered_sections(*, chosen, order):
    """The chosen sections in the template's order (any not in it after, in the usual order)."""
    chosen = set(chosen or ALL_SECTIONS)
    ranked = [s for s in order if s in chosen] + [s for s in ALL_SECTIONS if s in chosen and s not in order]
    return [s for s in ranked if s in Section.values]


def share_token(link):
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=SHARE_SALT, compress=True)


def share_link_from_token(token):
    """The share link a token names (signature checked), or None; expiry is the caller's to check."""
    try:
        data = signing.loads(token, salt=SHARE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    link = ShareLink.objects.select_related("report__client", "report__location").filter(
        pk=data.get("l"), nonce=data.get("n")
    )
    return link.first()


def share_url(link):
    """The link's address on the agency's own (primary) domain."""
    return agency_base_url(connection.tenant) + reverse("shared_report", args=[share_token(link)])


def versions_of(report):
    """Every version of the report's scope and period, newest first: the archive."""
    versions = Report.objects.filter(client=report.client, location=report.location, start=report.start,
                                     end=report.end)  # fmt: skip
    return versions.select_related("requested_by").order_by("-created_at")


def current_version(report):
    """The version that replaced ``report`` (and so on), i.e. what its readers should see now."""
    seen = {report.pk}
    while report.superseded_by_id and report.superseded_by_id not in seen:
        seen.add(report.superseded_by_id)
        report = Report.objects.select_related("client", "location").get(pk=report.superseded_by_id)
    return report


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


def report_data(*, client, location=None, start: date, end: date, sections):
    """The report's content for the client (or one location) over [start, end] (local days)."""
    scope = figures.Scope(client, location)
    period = Period("custom", start, end + timedelta(days=1))
    previous, last_year = period.previous(), _year_before(period)
    now, before, year_ago = (_kpis(scope, p) for p in (period, previous, last_year))
    days = {"first_day": period.first_day, "end_day": period.end_day}
    locations = Location.objects.filter(client=client, **({"pk": location.pk} if location else {}))
    several = location is None and locations.count() > 1
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
        "vs_previous": figures.changes(now, before),
        "vs_last_year": figures.changes(now, year_ago),
        "series": figures.continuous_series(scope, period),
        "sources": stats.tag_breakdown(**scope.ids, **days, kind=TagKind.SOURCE),
        "locations": stats.location_breakdown(client_id=client.pk, **days) if several else [],
        "data_as_of": list(locations.order_by("name").values("name", "last_synced_at")),
        "min_sample": figures.min_sample(),
    }
    if "themes" in sections:
        data["themes"] = figures.themes(scope, period, previous)
    if "comments" in sections:
        for key, positive in (("best_comments", True), ("worst_comments", False)):
            data[key] = figures.notable_comments(scope, period, positive=positive, several_locations=several)
    if "drivers" in sections or "summary" in sections:
        data["drivers"] = figures.drivers(scope, period, previous, now, before, several_locations=several)
    return data
