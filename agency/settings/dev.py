"""Development (``make demo``): DEBUG on, fixed public secrets, and the embedded PostgreSQL and
Redis unless DATABASE_URL / CELERY_BROKER_URL name others. Never for production: its secrets are
published in this file."""

from agency import embedded
from agency.settings.base import *  # noqa: F403
from agency.settings.base import BASE_DIR, caches, database, env

DEBUG = True
SECRET_KEY = "dev-only-secret-key-not-for-production"  # noqa: S105 - public on purpose
CREDENTIALS_KEYS = ["ZGV2LW9ubHkta2V5LXBvcnRhbC1jcmVkZW50aWFscyE="]

PORTAL_SCHEME = env.str("PORTAL_SCHEME", default="http")
PORTAL_PORT = env.str("PORTAL_PORT", default="8000")  # the dev server's
PULSEBACK_SANDBOX_ENABLED = env.bool("PULSEBACK_SANDBOX_ENABLED", default=True)
# Where `make demo` runs the PulseBack sandbox; the add-client form starts from its addresses.
PULSEBACK_SANDBOX_URL = env.str("PULSEBACK_SANDBOX_URL", default="http://127.0.0.1:8765")
PULSEBACK_SANDBOX_ANON_KEY = "sandbox-anon-key"  # clients.pulseback.sandbox.ANON_KEY (a test checks)
# One of the sandbox's demo logins (clients/pulseback/sandbox/data.py), shown on the form.
PULSEBACK_SANDBOX_EXAMPLE_LOGIN = ("hotel@sandbox.pulseback.test", "sandbox-hotel")
WEBHOOKS_ALLOW_LOOPBACK_TARGETS = env.bool("WEBHOOKS_ALLOW_LOOPBACK_TARGETS", default=False)

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": database(env.db_url_config(env.str("DATABASE_URL")))}
else:
    DATABASES = {"default": database(embedded.postgres_settings())}

if env.str("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
else:
    CELERY_BROKER_URL = f"redis+socket://{embedded.redis_socket()}"
if env.str("REDIS_URL", default=""):
    CACHES = caches(env.str("REDIS_URL"))
else:
    CACHES = caches(f"unix://{embedded.redis_socket()}?db=1")  # the cache apart from the broker

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / ".local" / "mail")
