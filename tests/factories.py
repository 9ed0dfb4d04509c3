"""Factories for clients, locations and feedback (factory_boy), and their roll-ups."""

import itertools
from datetime import UTC, datetime

import factory

from clients.models import Client, Feedback, Location, Sentiment, Status
from clients.rollups import feedback_daily_rebuild

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
