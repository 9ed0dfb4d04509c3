"""One feedback item with its status history."""

from datetime import UTC, datetime

import pytest

from agency.team.models import Role
from clients.models import FeedbackStatusChange
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory


@pytest.fixture
def item(agency):
    item = FeedbackFactory(comment="<script>alert(1)</script>\nsecond line", status="resolved")
    for old, new, day in [("new", "reviewed", 2), ("reviewed", "resolved", 5)]:
        FeedbackStatusChange.objects.create(
            feedback=item, old_status=old, new_status=new, seen_at=datetime(2026, 3, day, tzinfo=UTC)
        )
    return item


def test_detail_shows_the_comment_as_text_and_the_status_history(item, agency, owner):
    response = host_client(agency, user=owner).get(f"/feedback/{item.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in content
    assert "<script>alert" not in content
    assert "New → Reviewed" in content and "Reviewed → Resolved" in content
    assert [c.new_status for c in response.context["changes"]] == ["reviewed", "resolved"]


@pytest.mark.parametrize(("code", "shown"), [("qr_code", "QR code"), ("loyalty_app", "Loyalty app")])
def test_the_source_is_named_as_a_reader_would(agency, owner, code, shown):
    item = FeedbackFactory(source=code)

    content = host_client(agency, user=owner).get(f"/feedback/{item.pk}/").content.decode()

    assert f"<dd>{shown}</dd>" in content and code not in content


def test_staff_sees_the_item(item, agency, make_user):
    assert host_client(agency, user=make_user(Role.STAFF)).get(f"/feedback/{item.pk}/").status_code == 200


def test_unknown_item_is_not_found(agency, owner):
    assert host_client(agency, user=owner).get("/feedback/999999/").status_code == 404


def test_outsider_sees_nothing(item, outsider):
    assert login_redirect(outsider.get(f"/feedback/{item.pk}/"))


def test_client_viewer_sees_only_items_of_their_client(item, agency, viewer_of):
    other = FeedbackFactory(location=LocationFactory(client=ClientFactory()))
    client = host_client(agency, user=viewer_of(item.client))

    assert client.get(f"/feedback/{item.pk}/").status_code == 200
    assert client.get(f"/feedback/{other.pk}/").status_code == 404
