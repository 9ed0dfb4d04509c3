"""Shared start-up for benchmark scripts: Django on the embedded (or given) services."""

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    # The development settings bring the embedded services, but measure like production:
    # with DEBUG on, Django keeps every SQL statement in memory.
    settings.DEBUG = False


def summary(label, seconds):
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label:<38} n={len(ordered):<3} median {statistics.median(ordered) * 1000:8.1f} ms"
        f"   p95 {p95 * 1000:8.1f} ms   max {ordered[-1] * 1000:8.1f} ms"
    )
