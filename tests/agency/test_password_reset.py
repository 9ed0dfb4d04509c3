import re

from django.core import mail

from tests.conftest import host_client


def test_password_reset_by_email_in_the_agency_name(agency, owner):
    client = host_client(agency)

    client.post("/password-reset/", {"email": owner.email})

    message = mail.outbox[-1]
    assert message.subject == "Reset your Alpha Agency password"
    assert message.from_email.startswith("Alpha Agency <")
    link = re.search(r"http://alpha\.localhost(/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-secret-77", "new_password2": "Brand-new-secret-77"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Brand-new-secret-77")


def test_unknown_email_gets_the_same_answer_and_no_mail(agency):
    response = host_client(agency).post("/password-reset/", {"email": "nobody@alpha.test"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_the_link_is_on_the_agency_domain_whatever_the_host_header(agency, owner):
    client = host_client("alpha.localhost:31337")

    client.post("/password-reset/", {"email": owner.email})

    body = mail.outbox[-1].body
    assert "http://alpha.localhost/password-reset/" in body
    assert "31337" not in body


def test_three_reset_mails_an_hour_per_account(agency, owner):
    answers = [
        host_client(agency).post("/password-reset/", {"email": owner.email}, REMOTE_ADDR=f"198.51.100.{n}")
        for n in range(5)
    ]

    assert len(mail.outbox) == 3
    assert [answer.status_code for answer in answers] == [302] * 5  # the same answer: nothing is revealed


def test_ten_reset_requests_an_hour_per_address(agency, make_user):
    client = host_client(agency)
    emails = [make_user().email for _ in range(11)]

    answers = [
        client.post("/password-reset/", {"email": email}, REMOTE_ADDR="198.51.100.50") for email in emails
    ]

    assert [answer.status_code for answer in answers] == [302] * 10 + [429]
    assert "Too many reset requests from your network" in answers[-1].content.decode()
    assert len(mail.outbox) == 10
