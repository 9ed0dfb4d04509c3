"""Production refuses to start without its secrets and services, and no variable brings back the
published development secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "from agency.settings import production as s; print(s.DEBUG, s.SECRET_KEY)"
PRODUCTION = {
    "SECRET_KEY": "s" * 50,
    "CREDENTIALS_KEYS": "ZGV2LW9ubHkta2V5LXBvcnRhbC1jcmVkZW50aWFscyE=",
    "DATABASE_URL": "postgres://portal@db.internal/portal",
    "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
    "REDIS_URL": "redis://cache.internal:6379/1",
}


def _load_settings(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_SETTINGS_MODULE"}
    env.update({**PRODUCTION, **overrides})
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_starts_with_every_secret_set():
    assert _load_settings().returncode == 0


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_refuses_to_start_without(missing):
    result = _load_settings(**{missing: None})

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


@pytest.mark.parametrize("switch", ["DEBUG=1", "PORTAL_TESTING=1", "PULSEBACK_SANDBOX_ENABLED=1"])
def test_no_variable_restores_the_development_secrets(switch):
    name, value = switch.split("=")
    result = _load_settings(**{name: value, "SECRET_KEY": None})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
