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
