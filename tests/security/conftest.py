"""Helpers of the front-door tests: signing in as a browser would, from a given address."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, host_client


def sign_in(web, email, password=PASSWORD, address="203.0.113.7", **extra):
    return web.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def app_code(device, offset=0):
    """The code an authenticator app shows now (``offset`` steps later)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def enrolled(agency):
    """Give ``user`` a confirmed authenticator app (and recovery codes); returns the device."""
    from agency.team import twofactor

    def enrol(user):
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        codes = twofactor.enrolment_confirm(user=user, device=device, code=app_code(device))
        device.refresh_from_db()
        device.codes = codes
        # The code just used may not be used again: later sign-ins use the next step's code.
        device.last_t = -1
        device.save(update_fields=["last_t"])
        user.refresh_from_db()
        return device

    return enrol


@pytest.fixture
def web(agency):
    return host_client(agency)
