"""A business owner is invited to see their own client, read-only."""

from django.core import mail

from agency.team.models import Invitation, Role, User
from clients.models import ViewerAccess
from tests.conftest import PASSWORD, host_client
from tests.factories import ClientFactory


def test_invited_business_owner_sees_only_their_client(agency, owner, django_capture_on_commit_callbacks):
    mine, other = ClientFactory(name="Mine Café"), ClientFactory(name="Other Salon")
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(agency, user=owner).post(
            f"/clients/{mine.pk}/viewers/", {"email": "ana@mine.example"}
        )
    assert response.status_code == 302
    link = next(word for word in mail.outbox[-1].body.split() if "/invite/" in word)

    host_client(agency).post(link.split("alpha.localhost", 1)[1],
                             {"full_name": "Ana", "password1": PASSWORD, "password2": PASSWORD})  # fmt: skip

    viewer = User.objects.get(email="ana@mine.example")
    assert viewer.role == Role.CLIENT_VIEWER
    assert ViewerAccess.objects.get(user=viewer).client == mine
    web = host_client(agency, user=viewer)
    assert web.get(f"/clients/{mine.pk}/").status_code == 200
    assert web.get(f"/clients/{other.pk}/").status_code == 404


def test_an_existing_account_cannot_be_invited_again(agency, owner):
    client = ClientFactory()

    response = host_client(agency, user=owner).post(f"/clients/{client.pk}/viewers/", {"email": owner.email})

    assert response.status_code == 200
    assert "already has an account" in str(response.context["form"].errors)
    assert not Invitation.objects.exists()


def test_only_owners_and_admins_invite_business_owners(agency, make_user):
    client = ClientFactory()
    for role in (Role.STAFF, Role.CLIENT_VIEWER):
        web = host_client(agency, user=make_user(role))
        assert web.post(f"/clients/{client.pk}/viewers/", {"email": "x@y.example"}).status_code == 403
    assert not Invitation.objects.exists()
