"""Settings for the test suite: the production settings, in test mode, with fast password hashing."""

import os

os.environ["PORTAL_TESTING"] = "1"

from agency.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
PORTAL_SCHEME = "http"
PORTAL_PORT = ""
PULSEBACK_SANDBOX_ENABLED = True
PULSEBACK_BACKOFF_SECONDS = 0.001
