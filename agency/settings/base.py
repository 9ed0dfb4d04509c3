"""Settings shared by every environment, from the environment (12-factor).

No secrets and no services here: ``production`` requires them, ``dev`` and ``test`` bring
their own. See .env.example for every variable.
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = False

# Hosts: agencies live on subdomains of PORTAL_DOMAIN and on custom domains.
PORTAL_DOMAIN = env.str("PORTAL_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PORTAL_DOMAIN, f".{PORTAL_DOMAIN}"])
PORTAL_SCHEME = env.str("PORTAL_SCHEME", default="https")
# Port shown in links to agency domains (blank: the scheme's default).
PORTAL_PORT = env.str("PORTAL_PORT", default="")

SHARED_APPS = [
    "agency",  # first: its ``migrate`` command wraps django-tenants' one
    "django_tenants",
    "agency.team",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "agency.team",
    "django.contrib.auth",
    "django.contrib.sessions",
    "clients",
    "clients.alerts",
    "clients.integrations",
    "reports",
    "agency.api",
    "agency.webhooks",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "agency.Agency"
TENANT_DOMAIN_MODEL = "agency.Domain"
# New agencies are cloned from this migrated template schema (fast sign-up).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "agency.urls_public"
ROOT_URLCONF = "agency.urls"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
AUTH_USER_MODEL = "team.User"

MIDDLEWARE = [
    "agency.health.HealthCheckMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agency.context_processors.agency",
            ],
        },
    },
]

WSGI_APPLICATION = "agency.wsgi.application"


def database(config):
    """A database (as parsed from a DATABASE_URL), on django-tenants' backend."""
    config = dict(config)
    config["HOST"] = unquote(config["HOST"])  # a Unix socket folder is written %2F-encoded
    config["ENGINE"] = "django_tenants.postgresql_backend"
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    return config


def caches(redis_url):
    """The cache holds throttles and locks; its keys carry the schema so agencies never share one."""
    default = (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
        if redis_url
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}
    )
    default["KEY_FUNCTION"] = "django_tenants.cache.make_key"
    default["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"
    return {"default": default}


DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Deployments (or test runs) that share a broker keep their tasks apart by queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".local" / "celerybeat-schedule")

# PulseBack: the deployment's addresses (each location may override them).
PULSEBACK_API_URL = env.str("PULSEBACK_API_URL", default="https://getpulseback-production.up.railway.app/api")
PULSEBACK_AUTH_URL = env.str("PULSEBACK_AUTH_URL", default="https://mkpxnprhwzrnxbfbdbts.supabase.co")
PULSEBACK_ANON_KEY = env.str("PULSEBACK_ANON_KEY", default="")
# Plain-http loopback addresses (the PulseBack sandbox): development only, never in production.
PULSEBACK_SANDBOX_ENABLED = False
# Sign-ins and refreshes share one per-IP budget at Supabase: spend at most this many a minute.
PULSEBACK_AUTH_PER_MINUTE = env.int("PULSEBACK_AUTH_PER_MINUTE", default=20)
# Retries of transient PulseBack failures: exponential backoff from this base, with jitter.
PULSEBACK_BACKOFF_SECONDS = env.float("PULSEBACK_BACKOFF_SECONDS", default=0.5)
SYNC_INTERVAL_MINUTES = env.int("SYNC_INTERVAL_MINUTES", default=15)
SYNC_INCREMENTAL_DAYS = env.int("SYNC_INCREMENTAL_DAYS", default=3)
SYNC_RECONCILE_HOUR = env.int("SYNC_RECONCILE_HOUR", default=3)
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=300)

CELERY_BEAT_SCHEDULE = {
    "sync-incremental": {
        "task": "clients.tasks.sync_due_locations",
        "schedule": SYNC_INTERVAL_MINUTES * 60,
        "kwargs": {"kind": "incremental"},
    },
    "reports-due": {"task": "reports.tasks.reports_due", "schedule": crontab(minute=5)},
    "alerts-check": {"task": "clients.alerts.tasks.alerts_check_all", "schedule": crontab(minute=15)},
    "alerts-digest": {
        "task": "clients.alerts.tasks.alerts_digest_all",
        "schedule": crontab(minute=0, hour=7),
    },
    "sync-reconcile": {
        "task": "clients.tasks.sync_due_locations",
        "schedule": crontab(minute=0, hour=SYNC_RECONCILE_HOUR),
        "kwargs": {"kind": "reconcile"},
    },
}

# The agency REST API (agency/api) at /api/v1/ on each agency's domains.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["agency.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["agency.api.permissions.TokenScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["agency.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "agency.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agency portal API",
    "DESCRIPTION": "Clients, synced PulseBack feedback, syncs, webhooks and point-of-sale feedback requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agency.api.schema.api_conventions",
    ],
}
# Requests per token (or, without a token, per client address) per window.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_LIMIT_WINDOW_SECONDS = env.int("API_RATE_LIMIT_WINDOW_SECONDS", default=60)

# Outbound webhooks (agency/webhooks). Every non-public target is refused (agency.netguard);
# loopback targets are let through in development and tests only.
WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_BACKOFF_SECONDS = env.float("WEBHOOKS_BACKOFF_SECONDS", default=30.0)
# An endpoint is disabled (and the agency's managers emailed) after this many failed attempts in a row.
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=20)
# Point-of-sale trigger: largest accepted body, retries of PulseBack creation.
POS_MAX_BODY_BYTES = env.int("POS_MAX_BODY_BYTES", default=16384)
POS_MAX_ATTEMPTS = env.int("POS_MAX_ATTEMPTS", default=6)
POS_BACKOFF_SECONDS = env.float("POS_BACKOFF_SECONDS", default=60.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded and generated files: django-tenants' storage puts each agency's under its own folder.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".local" / "media")
MEDIA_URL = "/media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}
