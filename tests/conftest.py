"""Shared fixtures: one migrated test database with two agencies, created once per run.

Agencies are cloned from the template schema (as in production sign-up), so
setting them up costs a fraction of a second. Each test runs in a transaction
that is rolled back, so tests never see each other's rows.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from agency.models import Agency
from agency.services import agency_create
from agency.team.models import Role, User

PASSWORD = "a-Strong-passw0rd!"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        agency_create(
            slug="alpha", name="Alpha Agency", owner_email="owner@alpha.test", owner_password=PASSWORD
        )
        agency_create(slug="beta", name="Beta Agency", owner_email="owner@beta.test", owner_password=PASSWORD)
        connection.set_schema_to_public()


@pytest.fixture
def agency(db):
    """Agency A ("alpha"); the database connection is inside its schema for the test."""
    tenant = Agency.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    yield tenant
    connection.set_schema_to_public()


@pytest.fixture
def other_agency(db):
    """Agency B ("beta"): to check that nothing crosses from A to B."""
    return Agency.objects.get(slug="beta")


@pytest.fixture
def owner(agency):
    return User.objects.get(email="owner@alpha.test")


@pytest.fixture
def make_user(agency):
    def make(role=Role.STAFF, email=None):
        email = email or f"{role}-{User.objects.count()}@alpha.test"
        return User.objects.create_user(email, PASSWORD, role=role)

    return make


def host_client(agency_or_host, user=None):
    """A test client whose requests go to an agency's domain (or any host), optionally logged in."""
    host = agency_or_host if isinstance(agency_or_host, str) else agency_or_host.get_primary_domain().domain
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def public_client(db):
    return Client(HTTP_HOST="localhost")


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """The cache (throttles, auth budget) lives in Redis: start every test without this run's keys."""
    redis = cache._cache.get_client(None, write=True)
    for key in redis.scan_iter(f"*:{settings.CACHES['default']['KEY_PREFIX']}:*"):
        redis.delete(key)
