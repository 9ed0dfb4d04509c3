"""Sessions end after 8 hours without activity; "Log out everywhere" ends every session of the user;
the security page lists the user's recent sign-ins."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from agency.team.models import AuditEvent
from tests.conftest import host_client
from tests.security.conftest import sign_in


def test_a_session_ends_after_eight_idle_hours(agency, owner):
    start = timezone.now()
    web = host_client(agency)
    with time_machine.travel(start, tick=False):
        sign_in(web, owner.email)
    with time_machine.travel(start + timedelta(hours=7), tick=False):
        assert web.get("/").status_code == 200  # activity: the clock starts again
    with time_machine.travel(start + timedelta(hours=14, minutes=30), tick=False):
        assert web.get("/").status_code == 200
    with time_machine.travel(start + timedelta(hours=22, minutes=31), tick=False):
        answer = web.get("/inbox/".replace("inbox", "feedback"), follow=True)

    assert answer.redirect_chain[0][0].startswith("/login/?next=/feedback/")
    assert "You were logged out after 8 hours without activity." in answer.content.decode()


def test_the_idle_timeout_is_a_setting(agency, owner, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    start = timezone.now()
    web = host_client(agency)
    with time_machine.travel(start, tick=False):
        sign_in(web, owner.email)
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert web.get("/")["Location"].startswith("/login/")


def test_log_out_everywhere_ends_every_session(agency, owner):
    laptop, phone = host_client(agency), host_client(agency)
    sign_in(laptop, owner.email, HTTP_USER_AGENT="Laptop browser")
    sign_in(phone, owner.email, HTTP_USER_AGENT="Phone browser")

    answer = phone.post("/settings/security/logout-everywhere/", follow=True)

    assert "You were logged out everywhere" in answer.content.decode()
    assert laptop.get("/")["Location"].startswith("/login/")
    assert phone.get("/")["Location"].startswith("/login/")
    assert AuditEvent.objects.filter(action="auth.logged_out_everywhere", actor=owner).count() == 1


def test_the_security_page_lists_recent_sign_ins_and_failures(agency, owner):
    web = host_client(agency)
    sign_in(web, owner.email, "wrong", address="198.51.100.4")
    sign_in(web, owner.email, HTTP_USER_AGENT="Firefox/140")

    page = web.get("/settings/security/").content.decode()

    assert "Your recent sign-ins" in page and "203.0.113.7" in page and "Firefox/140" in page
    assert "Failed attempts on your account" in page and "someone at 198.51.100.4" in page
    assert "Log out everywhere" in page


def test_browsers_are_named_as_people_know_them():
    from agency.team.templatetags.security_tags import browser_name

    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605 Version/18.0 Safari/604"

    assert browser_name(chrome) == "Chrome 140 on Linux"
    assert browser_name(iphone) == "Safari 18 on iOS"
    assert browser_name("curl/8.5") == "curl/8.5"
