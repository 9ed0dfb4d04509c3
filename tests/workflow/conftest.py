"""Workflow test data: a client with feedback, the team, and Celery tasks run at once (so the emails
queued after a commit are really sent to the test outbox)."""

import pytest

from agency.celery import app
from agency.team.models import Role, User
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def team(agency, owner, make_user):
    """The owner, Ana and Ben (staff), and a client viewer of another client."""
    ana = make_user(Role.STAFF, email="ana@alpha.test")
    ana.full_name = "Ana Staff"
    ana.save()
    return {"owner": owner, "ana": ana, "ben": make_user(Role.STAFF, email="ben@alpha.test")}


@pytest.fixture
def bistro(agency):
    location = LocationFactory(client=ClientFactory(name="Bistro Verde", timezone="UTC"), name="Main Street")
    items = [
        FeedbackFactory(location=location, rating=1, sentiment="negative", comment=f"Cold soup, visit {n}")
        for n in range(3)
    ]
    items.append(FeedbackFactory(location=location, rating=5, comment="Lovely"))
    return {"client": location.client, "location": location, "items": items}


def member(email):
    return User.objects.get(email=email)
