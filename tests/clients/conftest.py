"""Fixtures of the sync's tests; those shared with other folders (the sandbox) live in
tests/conftest.py."""

import pytest

from clients import sync_passes
from tests.conftest import SANDBOX_PASSWORD

__all__ = ["SANDBOX_PASSWORD"]


@pytest.fixture
def small_batches(monkeypatch):
    """Sync batches of 1,000 items (and as many pages fetched ahead), a fifth of the real size:
    a list of a few thousand items then takes several batches."""
    monkeypatch.setattr(sync_passes, "BATCH_ITEMS", 1000)
    monkeypatch.setattr(sync_passes, "AHEAD_PAGES", 10)
