"""Settings for the test suite: the production settings, in test mode, with fast password hashing."""

import atexit
import os
import shutil
import tempfile

os.environ["PORTAL_TESTING"] = "1"

from agency.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",  # fast, for the tests' own users
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # for users a real server (browser tests) checks
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
PORTAL_SCHEME = "http"
PORTAL_PORT = ""
PULSEBACK_SANDBOX_ENABLED = True
PULSEBACK_BACKOFF_SECONDS = 0.001
# A test database of this run's own: runs started side by side never drop each other's.
DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}  # noqa: F405
# ... and a Celery queue of its own, for the same reason.
CELERY_TASK_DEFAULT_QUEUE = f"test-{os.getpid()}"
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver tests listen on loopback
# Uploaded and generated files of this run go to a folder of its own.
MEDIA_ROOT = tempfile.mkdtemp(prefix="portal-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
