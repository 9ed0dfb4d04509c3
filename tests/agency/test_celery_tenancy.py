"""Tasks run in the schema of the agency that queued them, on a real worker over the real broker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from agency.celery import app as celery_app
from agency.team.models import User


@celery_app.task(name="tests.schema_probe")
def schema_probe():
    return [connection.schema_name, list(User.objects.values_list("email", flat=True))]


@pytest.fixture
def worker(db):
    # The app keeps the backend it first made (tests that run tasks eagerly make a disabled one).
    celery_app.conf.result_backend = settings.CELERY_BROKER_URL
    vars(celery_app._local).pop("backend", None)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.result_backend = None
        vars(celery_app._local).pop("backend", None)


def test_task_runs_in_the_schema_of_the_agency_that_queued_it(agency, other_agency, worker):
    from_alpha = schema_probe.delay()
    connection.set_tenant(other_agency)
    from_beta = schema_probe.delay()

    assert from_alpha.get(timeout=20) == ["agency_alpha", ["owner@alpha.test"]]
    assert from_beta.get(timeout=20) == ["agency_beta", ["owner@beta.test"]]


def test_task_of_an_unknown_agency_fails_instead_of_running_in_public(db, worker):
    result = schema_probe.apply_async(headers={"_schema_name": "agency_ghost"})

    with pytest.raises(Exception, match="agency_ghost"):
        result.get(timeout=20)
    assert result.state == "FAILURE"
