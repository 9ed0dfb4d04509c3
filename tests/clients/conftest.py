"""Fixtures for these tests live in tests/conftest.py (the sandbox is shared with other folders)."""

from tests.conftest import SANDBOX_PASSWORD

__all__ = ["SANDBOX_PASSWORD"]
