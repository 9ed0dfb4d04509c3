"""API test data: two clients with feedback, and every role. (``Api`` and ``api_for`` are in
tests/conftest.py: other suites use them too.)"""

import pytest

from agency.team.models import Role
from clients.models import Client, Feedback, Location
from tests.factories import rollup


@pytest.fixture
def clients_two(agency):
    """Two clients of agency A, each with one location and a few feedback items (and their roll-ups)."""
    from django.utils import timezone

    made = []
    for index, name in enumerate(["Bistro Verde", "Café Rouge"]):
        client = Client.objects.create(name=name)
        location = Location.objects.create(
            client=client, name="Main", pulseback_email=f"l{index}@biz.test", pulseback_password="pw"
        )
        for n in range(3):
            Feedback.objects.create(
                location=location,
                client=client,
                pulseback_id=f"{name[:2]}-{n}",
                created_at=timezone.now() - timezone.timedelta(days=n),
                customer_name=f"Customer {n}",
                customer_email=f"c{n}@example.com",
                rating=n + 2,
                comment=f"comment {n} about {name}",
                sentiment=["negative", "neutral", "positive"][n],
                themes=["service"] if n else ["food quality"],
                status="new",
                source="widget" if n else "phone",
                raw={},
                content_hash="x",
            )
        made.append(client)
    rollup(*made)  # as the sync does with what it writes
    return made


ALL_ROLES = [Role.OWNER, Role.ADMIN, Role.STAFF, Role.CLIENT_VIEWER]
