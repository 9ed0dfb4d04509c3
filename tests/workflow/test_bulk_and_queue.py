"""Bulk actions on the inbox's filtered selection (confirmed with their count first), My queue, and the
inbox filters on the agency's handling."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.core import mail

from agency.team.models import AuditEvent, Role
from clients.views.inbox import feedback_selection
from clients.workflow.models import FeedbackHandling
from tests.conftest import host_client
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup


@pytest.fixture
def inbox(agency):
    """20 one-star items of Bistro Verde, 5 five-star ones, and 3 of another client."""
    bistro = LocationFactory(client=ClientFactory(name="Bistro Verde"))
    ones = [FeedbackFactory(location=bistro, rating=1, sentiment="negative") for _ in range(20)]
    fives = [FeedbackFactory(location=bistro, rating=5) for _ in range(5)]
    garage = [
        FeedbackFactory(location=LocationFactory(client=ClientFactory(name="Garage"))) for _ in range(3)
    ]
    rollup(bistro.client, *(item.client for item in garage))
    return {"ones": ones, "fives": fives, "garage": garage, "client": bistro.client}


def listed(response):
    return {item.pk for item in response.context["page"]}


def pks(items):
    return {item.pk for item in items}


def test_bulk_asks_to_confirm_with_the_count_then_applies_to_exactly_the_selection(agency, team, inbox):
    web = host_client(agency, user=team["ana"])
    selection = {"rating": "1", "client": inbox["client"].pk}

    confirm = web.get("/feedback/bulk/", {**selection, "bulk_action": "handle"})

    page = confirm.content.decode()
    assert "This changes <strong>20 items</strong>" in page
    assert "Client: Bistro Verde; Rating: 1★" in page
    assert not FeedbackHandling.objects.exists()  # nothing before the confirmation

    done = web.post("/feedback/bulk/", {**selection, "bulk_action": "handle", "expected": "20"}, follow=True)

    handled = set(FeedbackHandling.objects.filter(handled_at__isnull=False).values_list("pk", flat=True))
    assert handled == pks(inbox["ones"])
    assert set(FeedbackHandling.objects.values_list("handled_by", flat=True)) == {team["ana"].pk}
    assert "Marked 20 items as handled by us." in done.content.decode()
    assert (
        done.redirect_chain[-1][0] == f"/feedback/?{urlencode({'client': inbox['client'].pk, 'rating': 1})}"
    )
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.target, event.details["changed"]) == (
        "feedback.bulk_changed",
        "20 feedback items",
        20,
    )


def test_a_selection_that_changed_meanwhile_is_confirmed_again(agency, team, inbox):
    web = host_client(agency, user=team["ana"])
    FeedbackFactory(location=inbox["ones"][0].location, rating=1)  # arrived with a sync meanwhile

    response = web.post("/feedback/bulk/", {"rating": "1", "bulk_action": "handle", "expected": "20"})

    assert "it now holds 21 items" in response.content.decode()
    assert not FeedbackHandling.objects.exists()


def test_bulk_assign_tag_untag_and_reopen(
    agency, team, inbox, eager_tasks, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=team["ben"])
    fives = {"rating": "5"}

    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            "/feedback/bulk/",
            {**fives, "bulk_action": "assign", "bulk_assignee": team["ana"].pk, "expected": "5"},
        )
    web.post("/feedback/bulk/", {**fives, "bulk_action": "tag", "bulk_tag": "Thank You", "expected": "5"})
    again = web.post(
        "/feedback/bulk/",
        {**fives, "bulk_action": "tag", "bulk_tag": "thank you", "expected": "5"},
        follow=True,
    )

    rows = FeedbackHandling.objects.filter(pk__in=pks(inbox["fives"]))
    assert {(row.assignee_id, tuple(row.tags)) for row in rows} == {(team["ana"].pk, ("thank you",))}
    assert "Tagged 0 items “thank you”. 5 already were." in again.content.decode()
    (email,) = mail.outbox
    assert email.to == ["ana@alpha.test"] and email.subject == "ben@alpha.test assigned you 5 feedback items"
    assert "http://alpha.localhost/my-queue/" in email.body

    web.post(
        "/feedback/bulk/",
        {"tag": "thank you", "bulk_action": "untag", "bulk_tag": "thank you", "expected": "5"},
    )
    assert list(rows.values_list("tags", flat=True)) == [[]] * 5


def test_bulk_refuses_a_missing_assignee_or_a_bad_tag(agency, team, inbox):
    web = host_client(agency, user=team["ana"])

    no_one = web.get("/feedback/bulk/", {"bulk_action": "assign"}, follow=True).content.decode()
    bad_tag = web.get(
        "/feedback/bulk/", {"bulk_action": "tag", "bulk_tag": "!!"}, follow=True
    ).content.decode()

    assert "Choose whom to assign the items to." in no_one
    assert "A tag is at most 40 letters" in bad_tag


def test_client_viewers_cannot_act_in_bulk(agency, inbox, viewer_of):
    web = host_client(agency, user=viewer_of(inbox["client"]))

    assert web.get("/feedback/bulk/", {"bulk_action": "handle"}).status_code == 403
    assert web.post("/feedback/bulk/", {"bulk_action": "handle", "expected": "25"}).status_code == 403
    assert not FeedbackHandling.objects.exists()


def test_my_queue_holds_my_open_items_only(agency, team, inbox):
    from clients.workflow.services import handling_assign, handling_mark

    mine, handled, theirs = inbox["ones"][0], inbox["ones"][1], inbox["ones"][2]
    for item in (mine, handled):
        handling_assign(actor=team["owner"], feedback=item, assignee=team["ana"])
    handling_assign(actor=team["owner"], feedback=theirs, assignee=team["ben"])
    handling_mark(actor=team["ana"], feedback=handled, handled=True)
    web = host_client(agency, user=team["ana"])

    queue = web.get("/my-queue/")
    with_handled = web.get("/my-queue/", {"handled": ""})

    assert listed(queue) == {mine.pk}
    assert "My queue" in queue.content.decode() and "1 open" in queue.content.decode()
    assert listed(with_handled) == {mine.pk, handled.pk}
    assert listed(web.get("/my-queue/", {"assignee": team["ben"].pk})) == {mine.pk}  # always the user's


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"assignee": "me"}, {"a0"}),
        ({"assignee": "ben"}, {"a1"}),
        ({"assignee": "none"}, {"rest"}),
        ({"handled": "yes"}, {"a1"}),
        ({"handled": "no"}, {"a0", "rest"}),
        ({"tag": " Refund "}, {"a0"}),
        ({"tag": "refund", "handled": "yes"}, set()),
        ({"rating": "5", "assignee": "none"}, {"fives"}),
    ],
)
def test_inbox_filters_on_the_agencys_handling(agency, team, inbox, params, expected):
    from clients.workflow.services import handling_assign, handling_mark, handling_tags_change

    a0, a1 = inbox["ones"][0], inbox["ones"][1]
    handling_assign(actor=team["owner"], feedback=a0, assignee=team["ana"])
    handling_tags_change(actor=team["owner"], feedback=a0, add=["refund"])
    handling_assign(actor=team["owner"], feedback=a1, assignee=team["ben"])
    handling_mark(actor=team["owner"], feedback=a1, handled=True)
    groups = {
        "a0": {a0.pk},
        "a1": {a1.pk},
        "fives": pks(inbox["fives"]),
        "rest": pks(inbox["ones"][2:] + inbox["fives"] + inbox["garage"]),
    }
    params = {**params, "assignee": team["ben"].pk} if params.get("assignee") == "ben" else params

    response = host_client(agency, user=team["ana"]).get("/feedback/", params)

    assert listed(response) == set().union(*(groups[name] for name in expected))


def test_inbox_shows_the_handling_and_client_viewers_neither_see_nor_filter_it(
    agency, team, inbox, viewer_of
):
    from clients.workflow.services import handling_assign, handling_tags_change

    item = inbox["ones"][0]
    handling_assign(actor=team["owner"], feedback=item, assignee=team["ana"])
    handling_tags_change(actor=team["owner"], feedback=item, add=["vip guest"])
    viewer = viewer_of(inbox["client"])

    staff_page = host_client(agency, user=team["ben"]).get("/feedback/").content.decode()
    viewer_page = host_client(agency, user=viewer).get("/feedback/", {"tag": "vip guest"})

    assert '<span class="tag">vip guest</span>' in staff_page and "Act on the 28 items" in staff_page
    assert len(listed(viewer_page)) == 25  # the filter is ignored: the handling is internal
    assert (
        "vip guest" not in viewer_page.content.decode() and "Act on the" not in viewer_page.content.decode()
    )
    assert set(feedback_selection(viewer, {"assignee": "none"})[1]) == set(inbox["ones"] + inbox["fives"])


def test_export_has_the_handling_columns_for_the_team_only(agency, team, inbox, viewer_of):
    from clients.workflow.services import handling_tags_change

    handling_tags_change(actor=team["owner"], feedback=inbox["ones"][0], add=["refund", "callback"])

    def rows(user):
        body = b"".join(host_client(agency, user=user).get("/feedback/export.csv").streaming_content)
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))

    team_rows, viewer_rows = rows(team["ana"]), rows(viewer_of(inbox["client"]))
    assert list(team_rows[0])[-4:] == ["Assigned to", "Tags", "Handled (UTC)", "Handled by"]
    assert [row["Tags"] for row in team_rows if row["Tags"]] == ["refund, callback"]
    assert "Tags" not in viewer_rows[0] and len(viewer_rows) == 25


def test_staff_may_not_assign_to_someone_outside_the_team(agency, team, inbox, make_user):
    admin = make_user(Role.ADMIN)
    admin.is_active = False
    admin.save()
    web = host_client(agency, user=team["ana"])

    response = web.get("/feedback/bulk/", {"bulk_action": "assign", "bulk_assignee": admin.pk}, follow=True)

    assert "Choose a member of the team." in response.content.decode()
