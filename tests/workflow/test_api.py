"""The agency's handling of feedback in the API, role by role as in the portal: members list,
filtered list, an item's handling and notes, bulk actions with an expected count."""

import pytest
from django.core import mail

from agency.team.models import AuditEvent, Role
from clients.models import Feedback
from clients.workflow.models import FeedbackHandling, FeedbackNote
from tests.api.conftest import clients_two  # noqa: F401  (shared fixture)


def item_url(item, what="workflow"):
    return f"/api/v1/locations/{item.location_id}/feedback/{item.pulseback_id}/{what}"


@pytest.fixture
def item(clients_two):  # noqa: F811
    return Feedback.objects.filter(client=clients_two[0]).order_by("pulseback_id").first()


def test_members_are_listed_with_their_mention_handle(api_for, team):
    members = api_for(Role.STAFF).get("/api/v1/workflow/members").json()

    ana = next(member for member in members if member["email"] == "ana@alpha.test")
    assert ana == {"id": team["ana"].pk, "email": "ana@alpha.test", "name": "Ana Staff", "handle": "ana"}


def test_staff_patch_an_items_handling_all_at_once(
    api_for, team, item, eager_tasks, django_capture_on_commit_callbacks
):
    api = api_for(Role.STAFF)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            item_url(item), {"assignee": team["ana"].pk, "tags": ["Refund", "callback"], "handled": True}
        )

    body = response.json()
    assert response.status_code == 200, body
    assert body["assignee"]["email"] == "ana@alpha.test" and body["tags"] == ["refund", "callback"]
    assert body["handled"] is True and body["handled_by"]["email"].startswith("staff-")
    assert (body["id"], body["client"], body["location"]) == (
        item.pulseback_id,
        item.client_id,
        item.location_id,
    )
    assert sorted(
        AuditEvent.objects.filter(action__startswith="feedback.").values_list("action", flat=True)
    ) == [
        "feedback.assigned",
        "feedback.handled",
        "feedback.tagged",
    ]
    assert [m.to for m in mail.outbox] == [["ana@alpha.test"]]


def test_a_bad_patch_changes_nothing(api_for, team, item):
    api = api_for(Role.STAFF)

    bad_tag = api.patch(item_url(item), {"assignee": team["ana"].pk, "tags": ["ok", "<no>"]})
    nobody = api.patch(item_url(item), {"assignee": 987654})
    unknown = api.patch(item_url(item), {"priority": "high"})

    assert bad_tag.status_code == 400 and "tags" in bad_tag.json()["fields"]
    assert nobody.status_code == 404
    assert unknown.status_code == 400 and "priority" in unknown.json()["fields"]
    assert not FeedbackHandling.objects.exists()


def test_notes_are_written_and_read_with_their_mentions(
    api_for, team, item, eager_tasks, django_capture_on_commit_callbacks
):
    api = api_for(Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(item_url(item, "notes"), {"body": "@ana can you call back?"})
    listed = api.get(item_url(item, "notes")).json()
    state = api.get(item_url(item)).json()

    assert created.status_code == 201
    assert created.json()["mentions"] == [
        {"id": team["ana"].pk, "email": "ana@alpha.test", "name": "Ana Staff"}
    ]
    assert [note["body"] for note in listed] == ["@ana can you call back?"]
    assert state["notes"][0]["author"]["email"] == "owner@alpha.test" and state["handled"] is False
    assert [m.to for m in mail.outbox] == [["ana@alpha.test"]]


def test_the_list_filters_on_pulseback_fields_and_on_the_handling(api_for, team, clients_two):  # noqa: F811
    from clients.workflow.services import handling_assign, handling_tags_change

    api = api_for(Role.STAFF)
    first = Feedback.objects.filter(client=clients_two[0]).order_by("pulseback_id")
    handling_assign(actor=team["owner"], feedback=first[0], assignee=team["ana"])
    handling_tags_change(actor=team["owner"], feedback=first[1], add=["vip"])

    def ids(**params):
        answer = api.get("/api/v1/workflow/feedback", params).json()
        return {(row["location"], row["id"]) for row in answer["feedback"]}, answer

    assigned, answer = ids(assignee=team["ana"].pk)
    assert assigned == {(first[0].location_id, first[0].pulseback_id)}
    assert answer["total"] == 1 and answer["feedback"][0]["handling"]["assignee"]["name"] == "Ana Staff"
    assert ids(tag="VIP")[0] == {(first[1].location_id, first[1].pulseback_id)}
    assert len(ids(assignee="none", client=clients_two[0].pk)[0]) == 2
    assert len(ids(handled="false", sentiment="negative")[0]) == 2
    assert api.get("/api/v1/workflow/feedback", {"assignee": "someone"}).status_code == 400
    untouched = ids(client=clients_two[1].pk)[1]["feedback"][0]["handling"]
    assert untouched == {
        "assignee": None,
        "assigned_at": None,
        "tags": [],
        "handled": False,
        "handled_at": None,
        "handled_by": None,
    }


def test_bulk_changes_with_the_expected_count_or_409(api_for, team, clients_two):  # noqa: F811
    api = api_for(Role.STAFF)
    filters = {"client": clients_two[0].pk}

    mismatch = api.post("/api/v1/workflow/bulk", {"filters": filters, "handled": True, "expected_count": 2})
    counted = api.post("/api/v1/workflow/bulk", {})  # no change: how many the filters select
    done = api.post(
        "/api/v1/workflow/bulk",
        {
            "filters": filters,
            "handled": True,
            "assignee": team["ana"].pk,
            "add_tag": "Done",
            "expected_count": 3,
        },
    )
    again = api.post("/api/v1/workflow/bulk", {"filters": {"handled": True}, "add_tag": "done"})
    nobody = api.post("/api/v1/workflow/bulk", {"assignee": 987654})

    assert mismatch.status_code == 409 and "select 3 items, not 2" in mismatch.json()["message"]
    assert counted.json() == {"matched": 6, "changed": 0}
    assert done.json() == {"matched": 3, "changed": 3}
    assert again.json() == {"matched": 3, "changed": 0}
    assert nobody.status_code == 404
    rows = FeedbackHandling.objects.filter(handled_at__isnull=False, tags=["done"], assignee=team["ana"])
    assert rows.count() == 3
    (event,) = AuditEvent.objects.filter(action="feedback.bulk_changed", details__changed=3)
    assert event.details["changes"] == {"handled": True, "assignee": "ana@alpha.test", "add_tag": "done"}


@pytest.mark.parametrize("role", [Role.CLIENT_VIEWER])
def test_client_viewers_tokens_get_403_everywhere(api_for, role, item, clients_two):  # noqa: F811
    api = api_for(role, client=clients_two[0])

    answers = [
        api.get("/api/v1/workflow/members").status_code,
        api.get("/api/v1/workflow/feedback").status_code,
        api.get(item_url(item)).status_code,
        api.get(item_url(item, "notes")).status_code,
        api.patch(item_url(item), {"handled": True}).status_code,
        api.post(item_url(item, "notes"), {"body": "hi"}).status_code,
        api.post("/api/v1/workflow/bulk", {"handled": True}).status_code,
    ]

    assert answers == [403] * 7
    assert not FeedbackHandling.objects.exists() and not FeedbackNote.objects.exists()


def test_read_tokens_read_and_cannot_write(api_for, item):
    api = api_for(Role.STAFF, scope="read")

    assert api.get(item_url(item)).status_code == 200
    assert api.patch(item_url(item), {"handled": True}).status_code == 403
    assert api.post("/api/v1/workflow/bulk", {"handled": True}).status_code == 403


def test_an_item_of_another_agency_or_unknown_is_404(api_for, item):
    api = api_for(Role.OWNER)

    assert api.get(f"/api/v1/locations/{item.location_id}/feedback/nope/workflow").status_code == 404
    assert api.get(f"/api/v1/locations/999999/feedback/{item.pulseback_id}/notes").status_code == 404
