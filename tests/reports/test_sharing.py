"""Share links: signed, expiring, revocable, opened without an account on the agency's own domain,
every view counted; and the agency's report template and a client's report settings."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from agency.team.models import AuditEvent, Role
from reports.models import ClientReportSettings, Report, ReportState, ReportTemplate, ShareLink
from reports.rendering import report_pdf
from reports.selectors import share_token
from tests.conftest import host_client
from tests.factories import LocationFactory

NOW = datetime(2026, 10, 5, 9, tzinfo=UTC)


@pytest.fixture
def report(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    report = Report.objects.create(client=location.client, start=date(2026, 9, 1), end=date(2026, 9, 30),
                                   state=ReportState.READY, page_count=1, language="fr")  # fmt: skip
    report.pdf.save("bistro.pdf", ContentFile(report_pdf("<p>Une page</p>")))
    return report


def share(agency, user, report, days=30):
    web = host_client(agency, user=user)
    response = web.post(f"/reports/{report.pk}/share/", {"days": str(days)})
    assert response.status_code == 302
    link = ShareLink.objects.latest("pk")
    return link, f"/r/{share_token(link)}/"


def test_a_share_link_opens_the_report_without_an_account_and_counts_views(agency, make_user, report):
    link, url = share(agency, make_user(Role.STAFF), report, days=7)
    stranger = host_client(agency)

    page = stranger.get(url)
    image = stranger.get(f"{url}pages/1.png")
    pdf = stranger.get(f"{url}report.pdf")
    stranger.get(url)

    assert page.status_code == 200
    assert b"Bistro Verde" in page.content and "Télécharger le PDF".encode() in page.content
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert image["Content-Type"] == "image/png"
    assert b"".join(pdf.streaming_content)[:4] == b"%PDF"
    link.refresh_from_db()
    assert (link.views, link.downloads) == (2, 1)
    assert link.expires_at - link.created_at == timedelta(days=7)
    assert AuditEvent.objects.filter(action="report.share_link_created").count() == 1


def test_the_link_names_the_agency_s_own_domain(agency, owner, report):
    host_client(agency, user=owner).post(f"/reports/{report.pk}/share/", {"days": "30"})

    page = host_client(agency, user=owner).get(f"/reports/{report.pk}/").content.decode()

    assert f"http://{agency.get_primary_domain().domain}/r/" in page


def test_a_revoked_link_is_refused(agency, owner, report):
    link, url = share(agency, owner, report)

    host_client(agency, user=owner).post(f"/reports/share/{link.pk}/revoke/")
    response = host_client(agency).get(url)

    assert response.status_code == 410
    assert "Ce lien a été retiré".encode() in response.content
    assert host_client(agency).get(f"{url}report.pdf").status_code == 410
    link.refresh_from_db()
    assert link.views == 0


def test_an_expired_link_is_refused(agency, owner, report):
    _link, url = share(agency, owner, report, days=7)

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = host_client(agency).get(url)

    assert response.status_code == 410
    assert "Ce lien a expiré".encode() in response.content


def test_a_forged_or_foreign_link_is_refused(agency, other_agency, owner, report):
    _link, url = share(agency, owner, report)
    token = url.split("/")[2]

    assert host_client(agency).get(f"/r/{token[:-2]}xx/").status_code == 404
    assert host_client(other_agency).get(url).status_code == 404  # another agency's domain


def test_a_replaced_report_s_link_opens_the_current_version(agency, owner, report):
    _link, url = share(agency, owner, report)
    Report.objects.filter(pk=report.pk).update(superseded_at=timezone.now())
    newer = Report.objects.create(client=report.client, start=report.start, end=report.end, page_count=1,
                                  state=ReportState.READY, language="en")  # fmt: skip
    Report.objects.filter(pk=report.pk).update(superseded_by=newer)
    newer.pdf.save("newer.pdf", ContentFile(report_pdf("<p>The corrected one</p>")))

    response = host_client(agency).get(url)

    assert response.status_code == 200 and b"Download the PDF" in response.content


def test_client_viewers_may_not_share(agency, viewer_of, report):
    response = host_client(agency, user=viewer_of(report.client)).post(f"/reports/{report.pk}/share/",
                                                                      {"days": "30"})  # fmt: skip

    assert response.status_code == 403
    assert not ShareLink.objects.exists()


def test_the_agency_template_orders_sections_and_holds_its_words(agency, owner, make_user):
    form = {"order_kpis": "1", "order_summary": "2", "order_comments": "3", "introduction": "Dear client,",
            "closing": "Thank you.", "approval_required": "on"}  # fmt: skip
    assert host_client(agency, user=make_user(Role.STAFF)).post("/reports/template/", form).status_code == 403

    response = host_client(agency, user=owner).post("/reports/template/", form)

    assert response.status_code == 302
    template = ReportTemplate.objects.get()
    assert (template.sections, template.introduction, template.approval_required) == (
        ["kpis", "summary", "comments"], "Dear client,", True)  # fmt: skip
    assert AuditEvent.objects.filter(action="report.template_saved").count() == 1


def test_a_client_gets_its_language_and_own_template(agency, owner, report):
    form = {"language": "de", "own_template": "on", "order_summary": "1", "order_drivers": "2",
            "introduction": "Liebes Team,"}  # fmt: skip

    response = host_client(agency, user=owner).post(f"/clients/{report.client_id}/reports/settings/", form)

    assert response.status_code == 302
    settings = ClientReportSettings.objects.get(client=report.client)
    assert (settings.language, settings.sections, settings.introduction) == (
        "de", ["summary", "drivers"], "Liebes Team,")  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        page = host_client(agency, user=owner).get(f"/clients/{report.client_id}/reports/")
    assert b"Written in Deutsch." in page.content
    assert page.context["form"]["sections"].initial == ["summary", "drivers"]
