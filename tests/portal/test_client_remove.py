"""Removing a client, after a confirmation page."""

import pytest

from agency.team.models import Role
from clients.models import Client, Feedback, FeedbackDaily, FeedbackStatusChange
from clients.workflow.models import FeedbackHandling, FeedbackNote
from tests.conftest import host_client, login_redirect
from tests.factories import FeedbackFactory, rollup


@pytest.fixture
def item(agency, owner):
    item = FeedbackFactory()
    FeedbackStatusChange.objects.create(feedback=item, old_status="new", new_status="reviewed")
    FeedbackHandling.objects.create(feedback=item, assignee=owner)
    note = FeedbackNote.objects.create(feedback=item, author=owner, author_label="Owner", body="Call back")
    note.mentions.add(owner)
    rollup(item.client)
    return item


def test_confirmation_then_removal_of_everything(item, agency, owner):
    browser = host_client(agency, user=owner)

    confirm = browser.get(f"/clients/{item.client_id}/remove/")
    removed = browser.post(f"/clients/{item.client_id}/remove/")

    assert confirm.status_code == 200 and b"cannot be undone" in confirm.content
    assert removed.status_code == 302 and removed["Location"] == "/"
    assert not Client.objects.exists() and not Feedback.objects.exists()
    assert not FeedbackDaily.objects.exists() and not FeedbackStatusChange.objects.exists()
    assert not FeedbackHandling.objects.exists() and not FeedbackNote.objects.exists()
    assert not FeedbackNote.mentions.through.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_viewers_may_not_remove(item, agency, make_user, role):
    assert (
        host_client(agency, user=make_user(role)).post(f"/clients/{item.client_id}/remove/").status_code
        == 403
    )
    assert Client.objects.exists()


def test_outsider_may_not_remove(item, outsider):
    assert login_redirect(outsider.post(f"/clients/{item.client_id}/remove/"))
    assert Client.objects.exists()
