"""CSV export of the filtered feedback: streamed, and safe to open in a spreadsheet."""

import csv
import io

import pytest

from agency.spreadsheet import csv_cell
from agency.team.models import Role
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory


def rows(response):
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body.startswith('\ufeff"Created (UTC)","Client",')  # every field quoted
    body = body[1:]
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def items(agency):
    bistro = LocationFactory(client=ClientFactory(name="Bistro"))
    return [
        FeedbackFactory(location=bistro, comment="=1+2", customer_name="@SUM(A1)", rating=1),
        FeedbackFactory(location=bistro, comment="-3 stars\nbad", customer_name="\tTab", themes=["a", "b"]),
        FeedbackFactory(location=bistro, comment="Fine, really", customer_name="+Plus", rating=5),
        FeedbackFactory(location=LocationFactory(client=ClientFactory(name="Garage")), comment="other"),
    ]


def test_export_streams_the_filtered_set_with_formulas_defused(items, agency, owner):
    response = host_client(agency, user=owner).get("/feedback/export.csv", {"client": items[0].client_id})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="feedback-')
    exported = rows(response)
    assert {row["Comment"] for row in exported} == {"'=1+2", "'-3 stars\nbad", "Fine, really"}
    assert {row["Customer"] for row in exported} == {"'@SUM(A1)", "'\tTab", "'+Plus"}
    assert {row["Themes"] for row in exported} == {"service", "a, b"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=cmd", "'=cmd"), ("\rx", "'\rx"), ("plain", "plain"), (None, ""), (-1, "'-1"), (["x"], "x")],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_invalid_filters_are_refused(agency, owner):
    assert host_client(agency, user=owner).get("/feedback/export.csv", {"rating": "x"}).status_code == 404


def test_staff_exports_everything(items, agency, make_user):
    assert len(rows(host_client(agency, user=make_user(Role.STAFF)).get("/feedback/export.csv"))) == 4


def test_outsider_gets_nothing(items, outsider):
    assert login_redirect(outsider.get("/feedback/export.csv"))


def test_client_viewer_exports_only_their_client(items, agency, viewer_of):
    garage = items[3].client

    exported = rows(host_client(agency, user=viewer_of(garage)).get("/feedback/export.csv"))

    assert [row["Comment"] for row in exported] == ["other"]
