"""Login throttling: an account is locked after 5 wrong passwords, an address after 20, for 15
minutes; the right password does not get in meanwhile; a password reset unlocks; everything is in
the audit log."""

from datetime import timedelta

import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agency.team.clientaddr import client_address
from agency.team.models import AuditEvent, Role
from tests.conftest import PASSWORD, host_client
from tests.security.conftest import sign_in


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(web, owner):
    answers = [sign_in(web, owner.email, "wrong-guess").status_code for _ in range(5)]

    locked = sign_in(web, owner.email, PASSWORD)

    assert answers == [200, 200, 200, 200, 429]  # the 5th failure already answers with the lockout
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in paused for 15 minutes" in page and "/password-reset/" in page
    assert "_auth_user_id" not in web.session


def test_the_lock_ends_after_the_cool_off(web, owner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(web, owner.email, "wrong-guess")
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sign_in(web, owner.email, PASSWORD).status_code == 302


def test_the_email_is_one_account_in_any_letter_case(web, owner):
    for _ in range(5):
        sign_in(web, owner.email.upper(), "wrong-guess")

    assert sign_in(web, owner.email, PASSWORD).status_code == 429


def test_an_address_is_locked_after_twenty_failures_on_any_accounts(agency, make_user):
    web = host_client(agency)
    victims = [make_user(Role.STAFF) for _ in range(5)]
    for victim in victims:
        for _ in range(4):  # below each account's own limit
            sign_in(web, victim.email, "wrong-guess", address="198.51.100.9")
    fresh = make_user(Role.STAFF)

    assert sign_in(web, fresh.email, PASSWORD, address="198.51.100.9").status_code == 429
    assert sign_in(host_client(agency), fresh.email, PASSWORD, address="198.51.100.10").status_code == 302


def test_a_password_reset_unlocks_the_account(web, owner):
    for _ in range(5):
        sign_in(web, owner.email, "wrong-guess")
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    form = web.get(f"/password-reset/{uid}/{default_token_generator.make_token(owner)}/", follow=True)
    web.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Fresh-secret-2027", "new_password2": "Fresh-secret-2027"},
    )

    assert sign_in(web, owner.email, "Fresh-secret-2027").status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_reset", target=owner.email).count() == 1


def test_failures_and_the_lockout_are_audited_once_each(web, owner):
    for _ in range(12):
        sign_in(web, owner.email, "wrong-guess")

    failures = AuditEvent.objects.filter(action="auth.sign_in_failed", target=owner.email)
    assert failures.count() == 5  # attempts during the lockout are not logged one by one
    assert failures.first().actor_label == "someone at 203.0.113.7"
    assert failures.first().details["reason"] == "wrong password"
    assert AuditEvent.objects.filter(action="auth.locked_out", target=owner.email).count() == 1


def test_a_successful_sign_in_is_audited_with_its_address_and_method(web, owner):
    sign_in(web, owner.email, PASSWORD, HTTP_USER_AGENT="Firefox/140")

    event = AuditEvent.objects.get(action="auth.signed_in", actor=owner)
    assert event.target == "203.0.113.7"
    assert event.details == {"method": "password", "browser": "Firefox/140"}


def test_a_lockout_in_one_agency_does_not_lock_another(web, owner, other_agency):
    for _ in range(5):
        sign_in(web, owner.email, "wrong-guess")

    beta = host_client(other_agency)
    assert sign_in(beta, "owner@beta.test", PASSWORD).status_code == 302


class _Request:
    def __init__(self, meta):
        self.META = meta


def test_the_client_address_ignores_forwarded_headers_unless_proxies_are_trusted(settings):
    spoofed = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_Request(spoofed)) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = (
        1  # our proxy appended the address it saw; the first one is the client's own
    )
    assert client_address(_Request(spoofed)) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: not believed
    assert client_address(_Request(spoofed)) == "10.0.0.2"
