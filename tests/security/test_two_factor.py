"""Two-factor authentication: set up with a QR code drawn here, sign in with a code or a recovery
code, remember a browser for 30 days, the owner's rule for every member, and the platform admin."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency.team import twofactor
from agency.team.models import AuditEvent, Role, User
from tests.conftest import PASSWORD, host_client
from tests.security.conftest import app_code, sign_in


def test_set_up_shows_a_local_qr_code_and_gives_ten_recovery_codes(agency, owner):
    web = host_client(agency, user=owner)

    page = web.get("/settings/security/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    answer = web.post("/settings/security/two-factor/", {"code": app_code(device)})

    assert (
        '<svg width="' in page
        and "<path" in page
        and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    )
    assert twofactor.secret_text(device)[:8] in page.replace(" ", "")
    codes = answer.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in answer.content.decode() for code in codes)
    assert twofactor.is_enrolled(owner)
    assert AuditEvent.objects.filter(action="auth.two_factor_enabled", actor=owner).count() == 1
    assert web.get("/").status_code == 200  # this session passed the second factor while setting up


def test_a_wrong_code_does_not_turn_it_on(agency, owner):
    web = host_client(agency, user=owner)
    web.get("/settings/security/two-factor/")

    answer = web.post("/settings/security/two-factor/", {"code": "000000"})

    assert "That code did not match" in answer.content.decode()
    assert not twofactor.is_enrolled(owner)


def test_sign_in_asks_for_the_code_and_nothing_opens_before_it(web, owner, enrolled):
    device = enrolled(owner)

    first = sign_in(web, owner.email)
    blocked = web.get("/clients/new/")
    wrong = web.post("/login/code/", {"code": "123456"})
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # django-otp waits 1 s after a failure
        right = web.post("/login/code/", {"code": app_code(device)})

    assert first["Location"].startswith("/login/code/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/login/code/")
    assert "That code did not work" in wrong.content.decode()
    assert right.status_code == 302 and right["Location"] == "/"
    assert web.get("/clients/new/").status_code == 200
    event = AuditEvent.objects.get(action="auth.signed_in", actor=owner)
    assert event.details["method"] == "password and code"
    assert AuditEvent.objects.get(action="auth.sign_in_failed").details["reason"] == "wrong code"


def test_a_recovery_code_works_once(web, owner, enrolled):
    device = enrolled(owner)
    code = device.codes[0]

    sign_in(web, owner.email)
    first = web.post("/login/code/", {"code": code.upper()})
    web.post("/logout/")
    sign_in(web, owner.email)
    again = web.post("/login/code/", {"code": code}, follow=False)

    assert first.status_code == 302
    assert StaticToken.objects.filter(device__user=owner).count() == 9
    assert again.status_code == 200 and "That code did not work" in again.content.decode()


def test_wrong_codes_lock_the_account_like_wrong_passwords(web, owner, enrolled):
    enrolled(owner)
    sign_in(web, owner.email)
    start = timezone.now()
    for attempt in range(5):  # django-otp also slows each next try: 1, 2, 4, 8 s
        with time_machine.travel(start + timedelta(seconds=20 * attempt), tick=False):
            answer = web.post("/login/code/", {"code": "111111"})

    assert answer.status_code == 429
    assert "_auth_user_id" not in web.session  # the half-open session ended


def test_a_remembered_browser_skips_the_code_for_30_days(agency, owner, enrolled):
    device = enrolled(owner)
    web = host_client(agency)
    sign_in(web, owner.email)
    web.post("/login/code/", {"code": app_code(device), "remember": "on"})
    web.post("/logout/")

    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert sign_in(web, owner.email)["Location"] == "/"
        web.post("/logout/")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert sign_in(web, owner.email)["Location"].startswith("/login/code/")


def test_log_out_everywhere_forgets_remembered_browsers(agency, owner, enrolled):
    device = enrolled(owner)
    web = host_client(agency)
    sign_in(web, owner.email)
    web.post("/login/code/", {"code": app_code(device), "remember": "on"})

    web.post("/settings/security/logout-everywhere/")

    assert sign_in(web, owner.email)["Location"].startswith("/login/code/")


def test_the_owner_requires_two_factor_and_members_set_it_up_first(agency, owner, make_user):
    staff = make_user(Role.STAFF)
    member = host_client(agency, user=staff)
    assert member.get("/").status_code == 200

    host_client(agency, user=owner).post("/settings/security/rule/", {"require_two_factor": "on"})

    redirected = member.get("/")
    assert redirected.status_code == 302 and redirected["Location"].startswith(
        "/settings/security/two-factor/"
    )
    assert member.get("/settings/security/two-factor/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.two_factor_policy_changed", target="required").exists()


def test_only_an_owner_sets_the_rule(agency, make_user):
    admin = host_client(agency, user=make_user(Role.ADMIN))

    assert admin.post("/settings/security/rule/", {"require_two_factor": "on"}).status_code == 403
    assert not twofactor.is_required(User.objects.filter(role=Role.ADMIN).first())


def test_with_the_rule_on_a_member_may_not_turn_it_off(agency, owner, enrolled):
    enrolled(owner)
    twofactor.policy_set(require_two_factor=True, actor=owner)
    web = host_client(agency)
    sign_in(web, owner.email)
    web.post("/login/code/", {"code": app_code(TOTPDevice.objects.get(user=owner))})

    answer = web.post("/settings/security/two-factor/off/", follow=True)

    assert "requires two-factor authentication" in answer.content.decode()
    assert twofactor.is_enrolled(owner)


def test_an_owner_resets_the_two_factor_of_a_member_who_lost_their_phone(agency, owner, make_user, enrolled):
    staff = make_user(Role.STAFF)
    enrolled(staff)
    their_session = host_client(agency)
    sign_in(their_session, staff.email)

    host_client(agency, user=owner).post(f"/team/{staff.pk}/two-factor-reset/")

    assert not twofactor.is_enrolled(staff)
    assert their_session.get("/")["Location"].startswith("/login/")  # signed out everywhere
    assert AuditEvent.objects.filter(
        action="auth.two_factor_disabled", target=staff.email, actor=owner
    ).exists()


@pytest.fixture
def platform_staff(db):
    connection.set_schema_to_public()
    user = User.objects.create_superuser("root@platform.test", PASSWORD)
    yield user
    connection.set_schema_to_public()


def test_the_platform_admin_requires_two_factor(public_client, platform_staff):
    login_page = public_client.get("/admin/")
    signed_in = sign_in(public_client, platform_staff.email)
    admin = public_client.get("/admin/")

    assert login_page["Location"].startswith("/admin/login/")
    assert signed_in["Location"].startswith("/security/two-factor/")
    assert admin.status_code == 302 and admin["Location"].startswith("/security/two-factor/")
    assert public_client.get(admin["Location"]).status_code == 200
    device = TOTPDevice.objects.get(user=platform_staff, confirmed=False)
    public_client.post("/security/two-factor/", {"code": app_code(device)})
    assert public_client.get("/admin/").status_code == 200


def test_a_wrong_code_slows_the_app_but_leaves_the_recovery_codes(web, owner, enrolled):
    device = enrolled(owner)
    sign_in(web, owner.email)
    web.post("/login/code/", {"code": "123456"})

    hurried = web.post("/login/code/", {"code": app_code(device)})
    recovered = web.post("/login/code/", {"code": device.codes[1]})

    assert "Too many wrong codes: wait 1 second," in hurried.content.decode()
    assert recovered.status_code == 302
