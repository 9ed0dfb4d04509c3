"""The feedback page is actionable: assign, tag, mark handled, write notes that email whom they mention.
PulseBack's own status never changes; client viewers see none of it."""

import pytest
from django.core import mail

from agency.team.models import AuditEvent, Role
from clients.workflow.models import FeedbackHandling, FeedbackNote
from tests.conftest import host_client, login_redirect


@pytest.fixture
def item(bistro):
    return bistro["items"][0]


def detail(web, item):
    return web.get(f"/feedback/{item.pk}/").content.decode()


def test_staff_assign_an_item_and_the_assignee_is_emailed(
    agency, team, item, eager_tasks, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=team["ben"])

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/feedback/{item.pk}/assign/", {"assignee": team["ana"].pk}, follow=True)

    assert "Assigned to Ana Staff." in response.content.decode()
    handling = FeedbackHandling.objects.get(pk=item.pk)
    assert handling.assignee == team["ana"] and handling.assigned_at is not None
    (email,) = mail.outbox
    assert email.to == ["ana@alpha.test"]
    assert email.subject == "ben@alpha.test assigned you a 1★ review of Bistro Verde"
    assert f"http://alpha.localhost/feedback/{item.pk}/" in email.body and "Cold soup, visit 0" in email.body
    page = detail(web, item)
    assert f'<option value="{team["ana"].pk}" selected>Ana Staff</option>' in page


def test_assigning_yourself_sends_no_email_and_nobody_unassigns(
    agency, team, item, eager_tasks, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=team["ana"])

    with django_capture_on_commit_callbacks(execute=True):
        web.post(f"/feedback/{item.pk}/assign/", {"assignee": team["ana"].pk})
        web.post(f"/feedback/{item.pk}/assign/", {"assignee": ""})

    assert mail.outbox == []
    assert FeedbackHandling.objects.get(pk=item.pk).assignee is None
    assert list(AuditEvent.objects.values_list("action", "details__assignee")) == [
        ("feedback.assigned", None),
        ("feedback.assigned", "ana@alpha.test"),
    ]


def test_a_client_viewer_cannot_be_assigned(agency, team, item, viewer_of):
    viewer = viewer_of(item.client)
    response = host_client(agency, user=team["ana"]).post(
        f"/feedback/{item.pk}/assign/", {"assignee": viewer.pk}, follow=True
    )

    assert "Choose a member of the team." in response.content.decode()
    assert not FeedbackHandling.objects.filter(assignee=viewer).exists()


def test_tags_are_added_cleaned_listed_and_removed(agency, team, item):
    web = host_client(agency, user=team["ana"])

    web.post(f"/feedback/{item.pk}/tags/", {"add": "  Refund   requested , callback"})
    web.post(f"/feedback/{item.pk}/tags/", {"add": "callback"})
    assert FeedbackHandling.objects.get(pk=item.pk).tags == ["refund requested", "callback"]
    assert 'aria-label="Remove the tag callback"' in detail(web, item)

    web.post(f"/feedback/{item.pk}/tags/", {"remove": "callback"})
    bad = web.post(f"/feedback/{item.pk}/tags/", {"add": "<script>"}, follow=True).content.decode()

    assert FeedbackHandling.objects.get(pk=item.pk).tags == ["refund requested"]
    assert "A tag is at most 40 letters" in bad and "<script>" not in bad


def test_mark_handled_keeps_who_and_when_and_reopen_clears_it(agency, team, item):
    web = host_client(agency, user=team["ben"])

    web.post(f"/feedback/{item.pk}/handled/", {"handled": "yes"})
    handling = FeedbackHandling.objects.get(pk=item.pk)
    page = detail(web, item)

    assert handling.handled_by == team["ben"] and handling.handled_at is not None
    assert "Handled by us" in page and "ben@alpha.test" in page and "Mark as not handled" in page
    item.refresh_from_db()
    assert item.status == "new"  # PulseBack's own status is never written

    web.post(f"/feedback/{item.pk}/handled/", {"handled": "no"})
    handling.refresh_from_db()
    assert (handling.handled_at, handling.handled_by) == (None, None)
    assert list(AuditEvent.objects.order_by("at").values_list("action", flat=True)) == [
        "feedback.handled",
        "feedback.reopened",
    ]


def test_a_note_with_a_mention_emails_that_member_with_the_note_and_a_link(
    agency, team, item, eager_tasks, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=team["owner"])
    body = "@ana please call <b>them</b> back; cc @ben@alpha.test. Not @nobody, not x@ana."

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/feedback/{item.pk}/notes/", {"body": body}, follow=True)

    note = FeedbackNote.objects.get()
    assert set(note.mentions.values_list("email", flat=True)) == {"ana@alpha.test", "ben@alpha.test"}
    assert "Emailed Ana Staff, ben@alpha.test." in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@alpha.test", "ben@alpha.test"]
    email = next(m for m in mail.outbox if m.to == ["ana@alpha.test"])
    assert email.subject == "owner@alpha.test mentioned you on a 1★ review of Bistro Verde"
    assert body in email.body and f"http://alpha.localhost/feedback/{item.pk}/" in email.body
    assert "&lt;b&gt;them&lt;/b&gt;" in email.alternatives[0][0]
    page = response.content.decode()
    assert '<strong class="mention">@ana</strong> please call &lt;b&gt;them&lt;/b&gt; back' in page
    assert '<strong class="mention">@ben@alpha.test</strong>.' in page and "Not @nobody" in page


def test_mentions_are_emailed_once_even_if_the_task_runs_again(agency, team, item):
    from clients.workflow.services import note_add, note_mentions_email

    note = note_add(actor=team["owner"], feedback=item, body="@ana look")

    assert note_mentions_email(note_id=note.pk) == 1
    assert note_mentions_email(note_id=note.pk) == 0
    assert len(mail.outbox) == 1


def test_an_empty_note_is_refused(agency, team, item):
    response = host_client(agency, user=team["ana"]).post(
        f"/feedback/{item.pk}/notes/", {"body": "  "}, follow=True
    )

    assert "Write a note." in response.content.decode() and not FeedbackNote.objects.exists()


def test_client_viewers_see_no_handling_and_cannot_act(agency, team, item, viewer_of):
    FeedbackNote.objects.create(feedback=item, author=team["ana"], author_label="Ana", body="Internal only")
    web = host_client(agency, user=viewer_of(item.client))

    page = detail(web, item)
    refused = [
        web.post(f"/feedback/{item.pk}/{action}/", data).status_code
        for action, data in [
            ("assign", {"assignee": team["ana"].pk}),
            ("tags", {"add": "x"}),
            ("handled", {"handled": "yes"}),
            ("notes", {"body": "hi"}),
        ]
    ]

    assert page.count("Internal only") == 0 and "Our handling" not in page
    assert refused == [403, 403, 403, 403]
    assert not FeedbackHandling.objects.exists()


def test_another_clients_item_is_not_found_and_strangers_log_in(agency, team, bistro, outsider, make_user):
    from tests.factories import FeedbackFactory, LocationFactory

    other = FeedbackFactory(location=LocationFactory())
    viewer_web = host_client(agency, user=make_user(Role.STAFF))

    assert viewer_web.post(f"/feedback/{other.pk + 1000}/handled/", {"handled": "yes"}).status_code == 404
    assert login_redirect(outsider.post(f"/feedback/{other.pk}/handled/", {"handled": "yes"}))
    assert login_redirect(host_client(agency).post(f"/feedback/{other.pk}/notes/", {"body": "x"}))
    assert not FeedbackHandling.objects.exists()
