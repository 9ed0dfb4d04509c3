"""Factories for clients, locations and feedback, and the users who look at them."""

import itertools
import uuid
from datetime import UTC, datetime

import factory
import pytest
from django.db import connection

from agency.team.models import Role, User
from clients.models import Client, Feedback, Location, Sentiment, Status, ViewerAccess
from clients.rollups import feedback_daily_rebuild
from tests.conftest import SANDBOX_PASSWORD, host_client

_ids = itertools.count(1)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n:03d}")
    timezone = "Europe/Paris"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Location {n}")
    pulseback_email = factory.Sequence(lambda n: f"biz{n}@pulseback.test")
    pulseback_password = "secret-password"


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    location = factory.SubFactory(LocationFactory)
    client = factory.LazyAttribute(lambda item: item.location.client)
    pulseback_id = factory.LazyFunction(lambda: f"fb-{next(_ids)}")
    created_at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    customer_name = "Ana Customer"
    rating = 4
    comment = "Lovely place"
    sentiment = Sentiment.POSITIVE
    status = Status.NEW
    source = "qr"
    themes = factory.LazyFunction(lambda: ["service"])
    raw = factory.LazyFunction(dict)
    content_hash = "0" * 32


def rollup(*clients):
    """Build the daily roll-ups of these clients (as the sync does after writing)."""
    for client in clients:
        feedback_daily_rebuild(client=client)


@pytest.fixture
def viewer_of(make_user):
    """A client-viewer user who may see only ``client``."""

    def make(client):
        user = make_user(Role.CLIENT_VIEWER)
        ViewerAccess.objects.create(user=user, client=client)
        return user

    return make


@pytest.fixture
def outsider(agency, other_agency):
    """A test client logged in as the owner of agency "beta", sending requests to agency "alpha"."""
    connection.set_tenant(other_agency)
    beta_owner = User.objects.get(email="owner@beta.test")
    client = host_client(other_agency, user=beta_owner)
    connection.set_tenant(agency)
    client.defaults["HTTP_HOST"] = agency.get_primary_domain().domain
    return client


@pytest.fixture
def beta_owner_client(agency, other_agency):
    """The owner of agency "beta" on beta's own domain."""
    connection.set_tenant(other_agency)
    client = host_client(other_agency, user=User.objects.get(email="owner@beta.test"))
    connection.set_tenant(agency)
    return client


def login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.fixture
def sandbox_login(sandbox_server):
    """Credentials and addresses of a fresh sandbox PulseBack account with ``items`` items."""

    def make(items=42):
        email = f"biz-{uuid.uuid4().hex[:10]}@sandbox.pulseback.test"
        sandbox_server.sandbox.add_account(email, SANDBOX_PASSWORD, name="Test Business", items=items)
        return {
            "pulseback_email": email,
            "pulseback_password": SANDBOX_PASSWORD,
            "api_url": sandbox_server.api_url,
            "auth_url": sandbox_server.auth_url,
            "anon_key": sandbox_server.anon_key,
        }

    return make
