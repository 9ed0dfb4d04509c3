"""Platform staff on the public domain, with and without a verified second factor, and plans."""

import pytest
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from agency.models import Plan
from agency.team.models import User
from tests.conftest import PASSWORD, host_client


def public_user(email, *, staff=True):
    """A user of the public schema (platform staff unless ``staff`` is False)."""
    connection.set_schema_to_public()
    return User.objects.create_user(email, PASSWORD, is_staff=staff)


def console_client(user, *, verified):
    """A browser on the public domain signed in as ``user``; ``verified``: its session passed the
    second factor (an authenticator app's code), as django-otp records it."""
    connection.set_schema_to_public()
    web = host_client("localhost", user=user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        session = web.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return web


@pytest.fixture
def operator(db):
    """Verified platform staff: (user, browser on the public domain)."""
    user = public_user("ops@platform.test")
    return user, console_client(user, verified=True)


@pytest.fixture
def console(operator):
    return operator[1]


@pytest.fixture
def make_plan(db):
    def make(name="Starter", **limits):
        connection.set_schema_to_public()
        return Plan.objects.create(name=name, **limits)

    return make
