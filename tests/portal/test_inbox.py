"""The feedback inbox: filters, pagination, and what each user may see."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.team.models import Role
from clients.templatetags.portal import time_tag
from clients.views.inbox import feedback_selection
from clients.workflow.models import FeedbackHandling
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup


@pytest.fixture
def items(agency):
    paris = ClientFactory(name="Bistro", timezone="Europe/Paris")
    main, pier = LocationFactory(client=paris), LocationFactory(client=paris)
    other = LocationFactory(client=ClientFactory(name="Garage"))
    made = {
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
    rollup(paris, other.client)
    return made


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


@pytest.mark.parametrize(
    ("params", "rollups"),
    [({}, True), ({"status": "new"}, True), ({"sentiment": "neutral"}, True), ("bistro-from-march-2", True),
     ("pier", True), ({"rating": "1"}, False), ({"status": "new", "sentiment": "negative"}, False)],
)  # fmt: skip
def test_the_count_is_exact_from_the_rollups_or_else_by_counting(items, agency, owner, params, rollups):
    if params == "bistro-from-march-2":
        params = {"client": items["angry"].client_id, "start": "2026-03-02"}
    elif params == "pier":
        params = {"location": items["happy"].location_id}

    with CaptureQueriesContext(connection) as context:
        response = host_client(agency, user=owner).get("/feedback/", params)

    assert response.context["page"].paginator.count == len(listed(response)) > 0
    counted = [
        q["sql"]
        for q in context.captured_queries
        if "COUNT(*)" in q["sql"] and "clients_feedback" in q["sql"]
    ]
    assert (not counted) == rollups
    assert f"Act on the {len(listed(response))} item" in response.content.decode()


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
    rollup(location.client)
    client = host_client(agency, user=owner)

    assert len(client.get("/feedback/").context["page"]) == 50
    assert len(client.get("/feedback/", {"page": 2}).context["page"]) == 5
    assert client.get("/feedback/", {"page": 7}).context["page"].number == 2  # past the end: the last
    assert client.get("/feedback/", {"page": "x"}).context["page"].number == 1
    assert client.get("/feedback/", {"page": "-1"}).context["page"].number == 2


def test_while_a_first_sync_is_under_way_the_rows_are_listed_before_the_rollups_count_them(agency, owner):
    """A walk builds its location's roll-ups at its end: until then the count they give is short."""
    counted, walking = LocationFactory(), LocationFactory()
    for _ in range(3):
        FeedbackFactory(location=counted)
    rollup(counted.client)
    for _ in range(60):
        FeedbackFactory(location=walking)
    client = host_client(agency, user=owner)

    first, second = client.get("/feedback/"), client.get("/feedback/", {"page": 2})

    assert len(listed(first)) == 50 and first.context["page"].has_next()
    assert first.context["page"].paginator.count == 51  # what the first page proves, not the 3 counted
    assert len(listed(second)) == 13 and not second.context["page"].has_next()
    assert second.context["page"].paginator.count == 63


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
    assert set(feedback_selection(user, {})[1]) == {items["garage"]}


def test_query_count_does_not_grow_with_items(agency, owner):
    """Nor with the agency's handling of them (assignee, tags) shown in each row."""
    client = host_client(agency, user=owner)

    def queries_with(items):
        for _ in range(items):
            item = FeedbackFactory(location=LocationFactory())
            FeedbackHandling.objects.create(feedback=item, assignee=owner, tags=["vip"])
            rollup(item.client)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/feedback/").status_code == 200
        return len(context.captured_queries)

    client.get("/feedback/")  # a session's first page does its one-time checks (two-factor, session)
    assert queries_with(3) == queries_with(40)


def test_the_client_and_location_choices_are_escaped_and_keep_the_chosen_one(agency, owner):
    location = LocationFactory(client=ClientFactory(name='<b>Bistro</b> & "Co"'), name="Pier <1>")

    page = host_client(agency, user=owner).get("/feedback/", {"location": location.pk}).content.decode()

    assert (
        f'<option value="{location.client_id}">&lt;b&gt;Bistro&lt;/b&gt; &amp; &quot;Co&quot;</option>'
        in page
    )
    assert (
        f'<option value="{location.pk}" selected>&lt;b&gt;Bistro' in page
        and "Pier &lt;1&gt;</option>" in page
    )
    assert "<b>Bistro</b>" not in page


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_an_items_time_reads_as_djangos_date_filters_write_it(zone):
    when = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    djangos = Template("<time datetime=\"{{ when|date:'c' }}\">{{ when|date:'M j, Y H:i' }}</time>")

    with timezone.override(zone):
        assert time_tag(when) == djangos.render(Context({"when": when}))


def test_each_row_shows_the_agencys_handling_escaped_and_long_comments_cut(agency, owner, make_user):
    location = LocationFactory(client=ClientFactory(name="<i>Bistro</i>"), name="Pier & <1>")
    long = FeedbackFactory(location=location, comment="<b>" + "x" * 300, customer_name="<em>Zoë</em>")
    handled = FeedbackFactory(location=location, comment="fine")
    untouched = FeedbackFactory(location=location, comment="ok")
    ana = make_user(Role.STAFF)
    ana.full_name = "Ana <Staff>"
    ana.save()
    FeedbackHandling.objects.create(feedback=long, assignee=ana, tags=["vip", "<x>"])
    FeedbackHandling.objects.create(feedback=handled, handled_at=timezone.now())
    rollup(location.client)

    rows = {
        row.split('href="/feedback/', 1)[1].split("/", 1)[0]: row
        for row in host_client(agency, user=owner).get("/feedback/").content.decode().split("<tr>")[2:]
    }

    customer = '<br><span class="help">&lt;em&gt;Zoë&lt;/em&gt;</span></td>'
    comment = '"Comment">&lt;b&gt;' + "x" * 156 + "…" + customer
    assert comment in rows[str(long.pk)]
    assert '<span class="assignee">Ana &lt;Staff&gt;</span>' in rows[str(long.pk)]
    assert '<span class="tag">vip</span><span class="tag">&lt;x&gt;</span>' in rows[str(long.pk)]
    assert '&lt;i&gt;Bistro&lt;/i&gt;<br><span class="help">Pier &amp; &lt;1&gt;' in rows[str(long.pk)]
    assert '<span class="badge positive">Handled</span></span>' in rows[str(handled.pk)]
    assert '<span class="help">Unassigned</span>' in rows[str(untouched.pk)]
    assert "Unassigned" not in rows[str(handled.pk)]


def test_a_client_viewer_sees_no_handling_column(items, agency, viewer_of):
    FeedbackHandling.objects.create(feedback=items["garage"], tags=["internal-only"])
    page = host_client(agency, user=viewer_of(items["garage"].client)).get("/feedback/").content.decode()

    assert "Our handling" not in page and "internal-only" not in page and "Unassigned" not in page
    assert 'data-label="Comment"' in page


def test_the_inbox_shows_each_items_time(items, agency, owner):
    content = host_client(agency, user=owner).get("/feedback/").content.decode()

    assert '<time datetime="2026-03-01T23:30:00+00:00">Mar 1, 2026 23:30</time>' in content
