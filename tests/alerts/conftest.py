"""A chat service's incoming webhook over real HTTP on loopback (it can fail on purpose), and Celery
tasks run at once so that what an alert queues after a commit is really posted."""

import pytest

from tests.webhooks.conftest import Receiver
from tests.workflow.conftest import eager_tasks  # noqa: F401  (shared fixture)


@pytest.fixture
def chat():
    with Receiver() as receiver:
        yield receiver
