"""The feedback inbox: filters, pagination, and what each user may see."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.team.models import Role
from clients.selectors import feedback_filtered
from clients.workflow.models import FeedbackHandling
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory


@pytest.fixture
def items(agency):
    paris = ClientFactory(name="Bistro", timezone="Europe/Paris")
    main, pier = LocationFactory(client=paris), LocationFactory(client=paris)
    other = LocationFactory(client=ClientFactory(name="Garage"))
    return {
        "angry": FeedbackFactory(
            location=main, rating=1, sentiment="negative", comment="=HYPERLINK(\"x\") <b>cold</b> soup",
            themes=["food"], source="google", created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        ),
        "happy": FeedbackFactory(
            location=pier, rating=5, status="resolved", customer_name="Zoë Happy",
            created_at=datetime(2026, 3, 3, 9, tzinfo=UTC),
        ),
        "removed": FeedbackFactory(location=main, removed_at=datetime(2026, 3, 4, tzinfo=UTC)),
        "garage": FeedbackFactory(location=other, rating=3, sentiment="neutral"),
    }  # fmt: skip


def listed(response):
    return {item.pk for item in response.context["page"]}


def test_inbox_lists_live_feedback_newest_first_with_comments_as_text(items, agency, owner):
    response = host_client(agency, user=owner).get("/feedback/")

    assert response.status_code == 200
    assert listed(response) == {items[k].pk for k in ("angry", "happy", "garage")}
    content = response.content.decode()
    assert "&lt;b&gt;cold&lt;/b&gt;" in content and "<b>cold</b>" not in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rating": "1"}, {"angry"}),
        ({"status": "resolved"}, {"happy"}),
        ({"sentiment": "neutral"}, {"garage"}),
        ({"theme": "food"}, {"angry"}),
        ({"source": "google"}, {"angry"}),
        ({"q": "SOUP"}, {"angry"}),
        ({"q": "zoë"}, {"happy"}),
        # 23:30 UTC on March 1 is March 2 in Paris: dates follow the chosen client's time zone.
        ("client", {"angry", "happy"}),
        ("paris-march-2", {"angry"}),
    ],
)
def test_filters(items, agency, owner, params, expected):
    bistro = items["angry"].client
    if params == "client":
        params = {"client": bistro.pk}
    elif params == "paris-march-2":
        params = {"client": bistro.pk, "start": "2026-03-02", "end": "2026-03-02"}

    response = host_client(agency, user=owner).get("/feedback/", params)

    assert listed(response) == {items[k].pk for k in expected}


def test_location_filter_and_invalid_input(items, agency, owner):
    client = host_client(agency, user=owner)

    by_location = client.get("/feedback/", {"location": items["happy"].location_id})
    invalid = client.get("/feedback/", {"rating": "9", "start": "2026-03-05", "end": "2026-03-01"})

    assert listed(by_location) == {items["happy"].pk}
    assert invalid.status_code == 200 and listed(invalid) == set()
    assert invalid.context["form"].errors


def test_pagination(agency, owner):
    location = LocationFactory()
    for _ in range(55):
        FeedbackFactory(location=location)
    client = host_client(agency, user=owner)

    assert len(client.get("/feedback/").context["page"]) == 50
    assert len(client.get("/feedback/", {"page": 2}).context["page"]) == 5


def test_staff_sees_every_client(items, agency, make_user):
    response = host_client(agency, user=make_user(Role.STAFF)).get("/feedback/")

    assert len(listed(response)) == 3


def test_outsider_sees_nothing(items, outsider):
    assert login_redirect(outsider.get("/feedback/"))


def test_client_viewer_sees_only_their_client(items, agency, viewer_of):
    garage = items["garage"].client
    user = viewer_of(garage)
    client = host_client(agency, user=user)

    assert listed(client.get("/feedback/")) == {items["garage"].pk}
    assert listed(client.get("/feedback/", {"client": items["angry"].client_id})) == set()
    assert set(feedback_filtered(user=user, params={})) == {items["garage"]}


def test_query_count_does_not_grow_with_items(agency, owner):
    """Nor with the agency's handling of them (assignee, tags) shown in each row."""
    client = host_client(agency, user=owner)

    def queries_with(items):
        for _ in range(items):
            item = FeedbackFactory(location=LocationFactory())
            FeedbackHandling.objects.create(feedback=item, assignee=owner, tags=["vip"])
        with CaptureQueriesContext(connection) as context:
            assert client.get("/feedback/").status_code == 200
        return len(context.captured_queries)

    client.get("/feedback/")  # a session's first page does its one-time checks (two-factor, session)
    assert queries_with(3) == queries_with(40)
