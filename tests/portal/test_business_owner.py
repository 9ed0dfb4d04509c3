"""A client's business owner: the invitation names the business, and their first page is theirs
alone, in the agency's name."""

from django.core import mail

from agency.team.models import Role
from tests.conftest import host_client
from tests.factories import ClientFactory


def test_the_invitation_names_the_business_and_the_agency(agency, owner, django_capture_on_commit_callbacks):
    client = ClientFactory(name="Bistro Verde")

    with django_capture_on_commit_callbacks(execute=True):
        host_client(agency, user=owner).post(f"/clients/{client.pk}/viewers/", {"email": "ana@bistro.test"})

    (message,) = mail.outbox
    assert message.subject == "Bistro Verde's customer feedback, from Alpha Agency"
    assert "see what Bistro Verde's customers say" in message.body
    assert "read-only and shows Bistro Verde alone" in message.body
    assert "Choose your password: http://alpha.localhost/invite/" in message.body
    html = message.alternatives[0][0]
    assert "<strong>Bistro Verde</strong>" in html and "Client viewer" not in html


def test_a_teammates_invitation_is_unchanged(agency, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        host_client(agency, user=owner).post("/team/", {"email": "sam@alpha.example", "role": Role.STAFF})

    (message,) = mail.outbox
    assert message.subject == "owner@alpha.test invited you to join Alpha Agency"
    assert "as Staff" in message.body


def test_the_viewers_page_says_what_the_business_owner_sees(agency, owner):
    client = ClientFactory(name="Bistro Verde")

    page = host_client(agency, user=owner).get(f"/clients/{client.pk}/viewers/").content.decode()

    assert "Invite a business owner of Bistro Verde" in page
    assert "see Bistro Verde alone" in page and "never see your other clients" in page


def test_a_business_owners_first_page_is_their_business(agency, viewer_of):
    client = ClientFactory(name="Bistro Verde")
    agency.contact_line = "Call Mia on 555 0100"
    agency.save()
    web = host_client(agency, user=viewer_of(client))

    landing = web.get("/", follow=True)

    content = landing.content.decode()
    assert landing.redirect_chain == [(f"/clients/{client.pk}/", 302)]
    assert "here is what Bistro Verde's customers say, kept up to date by Alpha Agency" in content
    assert "Call Mia on 555 0100" in content
    for managers_only in ("Business owners", "Ask for a login", "Remove", "Locations", "Alerts"):
        assert f">{managers_only}<" not in content, managers_only


def test_the_team_does_not_get_the_welcome(agency, owner):
    client = ClientFactory(name="Bistro Verde")

    content = host_client(agency, user=owner).get(f"/clients/{client.pk}/").content.decode()

    assert "kept up to date by" not in content
