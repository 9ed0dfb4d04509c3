"""The test suite: development settings (embedded services unless DATABASE_URL is set), with fast
password hashing, the locmem outbox, and a database, queue, cache prefix and media folder of this
run's own, so runs started side by side never touch each other's."""

import atexit
import os
import shutil
import tempfile

from agency.settings.dev import *  # noqa: F403
from agency.settings.dev import CACHES, CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",  # fast, for the tests' own users
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # for users a real server (browser tests) checks
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PORTAL_SCHEME = "http"
PORTAL_PORT = ""
PULSEBACK_SANDBOX_ENABLED = True
PULSEBACK_BACKOFF_SECONDS = 0.001
DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}
CELERY_TASK_DEFAULT_QUEUE = f"test-{os.getpid()}"
# Every broker key of this run's own (the queues of each kind of work included).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": f"{CELERY_TASK_DEFAULT_QUEUE}:",
}
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
WEBHOOKS_ALLOW_LOOPBACK_TARGETS = True  # the receiver tests listen on loopback
MEDIA_ROOT = tempfile.mkdtemp(prefix="portal-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
