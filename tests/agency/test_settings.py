"""Production (DEBUG off) refuses to start without its secrets and services."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "s" * 50,
    "CREDENTIALS_KEYS": "ZGV2LW9ubHkta2V5LXBvcnRhbC1jcmVkZW50aWFscyE=",
    "DATABASE_URL": "postgres://portal@db.internal/portal",
    "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
}


def _load_settings(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("PORTAL_")}
    env.update({"DEBUG": "0", **PRODUCTION, **overrides})
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", "import agency.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_starts_with_every_secret_set():
    assert _load_settings().returncode == 0


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_refuses_to_start_without(missing):
    result = _load_settings(**{missing: None})

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
