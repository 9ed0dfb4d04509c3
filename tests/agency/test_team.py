from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from agency.team.models import Invitation, Role, User
from tests.conftest import PASSWORD, host_client


def _invite(client, email="new@alpha.test", role=Role.STAFF):
    return client.post("/team/", {"email": email, "role": role})


def _link_from_last_email():
    body = mail.outbox[-1].body
    return next(word for word in body.split() if "/invite/" in word)


def test_owner_invites_a_teammate_by_email(agency, owner, django_capture_on_commit_callbacks):
    client = host_client(agency, user=owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client)

    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["new@alpha.test"]
    assert "Alpha Agency" in message.subject
    assert message.from_email.startswith("Alpha Agency <")
    assert "http://alpha.localhost/invite/" in message.body
    assert Invitation.objects.pending().filter(email="new@alpha.test").exists()


def test_invitation_link_creates_member_once(agency, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(host_client(agency, user=owner), role=Role.ADMIN)
    path = _link_from_last_email().split("alpha.localhost", 1)[1]
    visitor = host_client(agency)

    response = visitor.post(path, {"full_name": "Nia New", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    member = User.objects.get(email="new@alpha.test")
    assert (member.full_name, member.role) == ("Nia New", Role.ADMIN)
    again = host_client(agency).get(path)
    assert again.status_code == 404
    assert b"does not work" in again.content


def test_expired_invitation_is_refused(agency, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(host_client(agency, user=owner))
    path = _link_from_last_email().split("alpha.localhost", 1)[1]

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = host_client(agency).post(
            path, {"full_name": "Late", "password1": PASSWORD, "password2": PASSWORD}
        )

    assert response.status_code == 404
    assert not User.objects.filter(email="new@alpha.test").exists()


def test_accepting_with_a_weak_password_says_why(agency, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(host_client(agency, user=owner))
    path = _link_from_last_email().split("alpha.localhost", 1)[1]

    response = host_client(agency).post(
        path, {"full_name": "Weak", "password1": "12345", "password2": "12345"}
    )

    assert response.status_code == 200
    assert "too short" in " ".join(response.context["form"].errors["password1"])
    assert not User.objects.filter(email="new@alpha.test").exists()


def test_inviting_an_existing_member_is_refused(agency, owner, make_user):
    staff = make_user(Role.STAFF)

    response = _invite(host_client(agency, user=owner), email=staff.email)

    assert response.status_code == 200
    assert "already has an account" in " ".join(response.context["form"].errors["email"])


def test_admin_changes_a_role_and_removes_a_member(agency, make_user):
    admin = make_user(Role.ADMIN)
    staff = make_user(Role.STAFF)
    client = host_client(agency, user=admin)

    client.post(f"/team/{staff.pk}/role/", {"role": Role.ADMIN})
    staff.refresh_from_db()
    assert staff.role == Role.ADMIN

    client.post(f"/team/{staff.pk}/remove/")
    assert not User.objects.filter(pk=staff.pk).exists()


def test_last_owner_cannot_be_demoted(agency, owner):
    response = host_client(agency, user=owner).post(
        f"/team/{owner.pk}/role/", {"role": Role.STAFF}, follow=True
    )

    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    assert b"at least one owner" in response.content


def test_admin_cannot_touch_an_owner(agency, owner, make_user):
    admin = make_user(Role.ADMIN)

    host_client(agency, user=admin).post(f"/team/{owner.pk}/remove/")

    assert User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("path", ["/team/", "/team/1/role/", "/team/1/remove/"])
def test_staff_is_refused_team_management(agency, make_user, path):
    staff = make_user(Role.STAFF)

    response = host_client(agency, user=staff).post(path, {"email": "x@alpha.test", "role": Role.OWNER})

    assert response.status_code == 403


def test_member_of_another_agency_cannot_be_removed(agency, owner, other_agency):
    from django_tenants.utils import schema_context

    with schema_context(other_agency.schema_name):
        stranger = User.objects.get(email="owner@beta.test")

    response = host_client(agency, user=owner).post(f"/team/{stranger.pk}/remove/")

    assert response.status_code in (302, 404)
    with schema_context(other_agency.schema_name):
        assert User.objects.filter(email="owner@beta.test").exists()
