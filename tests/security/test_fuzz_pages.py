"""Every portal page opened with random query strings (Hypothesis): a bad parameter is a 400 or is
ignored, never a 500."""

from datetime import date
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import Report, ReportState
from tests.access import areas
from tests.conftest import host_client
from tests.factories import FeedbackFactory, LocationFactory

PAGES = {name: kwargs for area in areas() for name, (_access, kwargs) in area.PAGES.items()}
NOT_PAGES = {"favicon", "brand_logo", "brand_stylesheet"}  # files, not pages with parameters
# Names the pages read, so that the fuzzing reaches their parsing, and some they never read.
KNOWN = [
    "page", "client", "location", "group", "period", "start", "end", "sort", "order", "status", "sentiment",
    "rating", "source", "q", "search", "assignee", "tag", "handled", "theme", "next", "sections", "first",
    "kind", "lang", "format", "welcome", "per_page", "days", "compare", "x",
]  # fmt: skip
NASTY = st.sampled_from(["", "-1", "0", "1", "99999999999999999999", "١٢", "2026-02-30", "9999-12-31",
                         "nan", "inf", "1e999", "%", "\x00", "' OR 1=1 --", "<script>", "a" * 3000,
                         "2026-13-01", "..", "/", "1,2", "true", "null", "[]", "{}"])  # fmt: skip
VALUES = st.one_of(NASTY, st.text(max_size=40), st.integers().map(str))
QUERIES = st.lists(st.tuples(st.sampled_from(KNOWN) | st.text(max_size=12), VALUES), max_size=5)


@pytest.fixture
def made(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    report = Report.objects.create(client=location.client, start=date(2026, 9, 1), end=date(2026, 9, 30),
                                   state=ReportState.READY)  # fmt: skip
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7"))
    made = {"client": location.client.pk, "location": location.pk, "report": report.pk,
            "feedback": FeedbackFactory(location=location).pk}  # fmt: skip
    for area in areas():
        if hasattr(area, "objects"):
            area.objects(made)
    return made


@pytest.fixture
def web(agency, owner):
    return host_client(agency, user=owner)  # an owner opens every page


@pytest.mark.parametrize("name", sorted(set(PAGES) - NOT_PAGES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_no_query_string_makes_a_page_fail(name, query, web, made):
    url = reverse(name, kwargs={key: made[value] for key, value in PAGES[name].items()})

    response = web.get(f"{url}?{urlencode(query)}")

    assert response.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/settings/alerts/?client=abc",
        "/settings/alerts/?client=99999999999999999999",
        "/feedback/?page=abc&rating=x&start=2026-02-30",
        "/feedback/export.csv?client=%00",
        "/login/?next=-1",
        "/settings/security/confirm/?next=https://evil.example/",
    ],
)
def test_known_bad_parameters_are_answered_without_a_server_error(web, path):
    response = web.get(path)

    assert response.status_code < 500
    assert "evil.example" not in response.get("Location", "")
