"""Settings shared by every environment, from the environment (12-factor).

No secrets and no services here: ``production`` requires them, ``dev`` and ``test`` bring
their own. See .env.example for every variable.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",  # login attempts of the platform admin
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "agency.team",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",  # login attempts, per agency schema like its users
    "clients",
    "clients.alerts",
    "clients.integrations",
    "clients.portfolio",
    "clients.workflow",
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
# Spare agency schemas kept ready, so a sign-up renames one instead of building it (agency.provisioning).
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=5)
# Agency schemas `manage.py migrate` migrates at once, each in its own process (django-tenants' name).
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("TENANT_MULTIPROCESSING_MAX_PROCESSES", default=2)
# Send `SET search_path` once per tenant switch, not before every cursor (a round trip each: the
# sync's batches used four). django-tenants forgets the path it set on a rollback, a savepoint
# rollback and a new tenant, so a path PostgreSQL discarded is sent again; it needs a session of
# its own, so no transaction-pooling PgBouncer in front of PostgreSQL.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "agency.urls_public"
ROOT_URLCONF = "agency.urls"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
AUTH_USER_MODEL = "team.User"

MIDDLEWARE = [
    "agency.metrics.middleware.MetricsMiddleware",  # first: times every request; answers /metrics
    "agency.health.HealthCheckMiddleware",
    "agency.api.middleware.ApiErrorMiddleware",  # JSON errors on /api/, even with the database down
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "agency.operator.middleware.SuspensionMiddleware",  # a suspended agency's domain: the notice only
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "agency.team.middleware.SessionGuardMiddleware",  # idle timeout, two-factor before anything else
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
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
    config["ENGINE"] = "agency.db_backend"  # django-tenants' backend, its table list made fast
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    return config


def caches(redis_url):
    """The cache (Redis) holds throttles, counters and locks; its keys carry the schema so agencies
    never share one."""
    default = {
        "BACKEND": "agency.cache.RedisCache",
        "LOCATION": redis_url,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
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
# Redis brokers: a prefix on every key (queues included), so deployments or test runs sharing one Redis
# keep apart. Default: none for the default queue "celery", else that queue's name.
_BROKER_KEY_PREFIX = env.str(
    "CELERY_BROKER_KEY_PREFIX",
    default="" if CELERY_TASK_DEFAULT_QUEUE == "celery" else f"{CELERY_TASK_DEFAULT_QUEUE}:",
)
if _BROKER_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = _BROKER_KEY_PREFIX
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".local" / "celerybeat-schedule")
)
# Workers log through LOGGING below (plain or JSON, with the agency, location and run of each line).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One queue per kind of work, so a batch of 200 reports never delays a sync (README "Scale-out").
# A worker started without --queues consumes them all (agency.celery declares every queue routed here).
CELERY_TASK_ROUTES = {
    "clients.tasks.*": {"queue": "sync"},
    "reports.tasks.*": {"queue": "reports"},
    "agency.webhooks.tasks.*": {"queue": "messages"},
    "clients.integrations.tasks.*": {"queue": "messages"},
    "clients.alerts.tasks.alert_email_task": {"queue": "messages"},
    "clients.workflow.tasks.*": {"queue": "messages"},
}

# PulseBack: the deployment's addresses (each location may override them).
PULSEBACK_API_URL = env.str("PULSEBACK_API_URL", default="https://getpulseback-production.up.railway.app/api")
PULSEBACK_AUTH_URL = env.str("PULSEBACK_AUTH_URL", default="https://mkpxnprhwzrnxbfbdbts.supabase.co")
PULSEBACK_ANON_KEY = env.str("PULSEBACK_ANON_KEY", default="")
# Plain-http loopback addresses (the PulseBack sandbox): development only, never in production.
PULSEBACK_SANDBOX_ENABLED = False
# The sandbox's address and key, offered as the add-client form's defaults (development only).
PULSEBACK_SANDBOX_URL = ""
PULSEBACK_SANDBOX_ANON_KEY = ""
PULSEBACK_SANDBOX_EXAMPLE_LOGIN = None
# Sign-ins and refreshes share one per-IP budget at Supabase: spend at most this many a minute.
PULSEBACK_AUTH_PER_MINUTE = env.int("PULSEBACK_AUTH_PER_MINUTE", default=20)
# Retries of transient PulseBack failures: exponential backoff from this base, with jitter.
PULSEBACK_BACKOFF_SECONDS = env.float("PULSEBACK_BACKOFF_SECONDS", default=0.5)
# Seconds a sync run may spend waiting out PulseBack's named waits (Retry-After, rate-limit reset)
# and the sign-in budget; beyond that the run is deferred to the reset time, its progress kept.
PULSEBACK_WAIT_BUDGET_SECONDS = env.float("PULSEBACK_WAIT_BUDGET_SECONDS", default=900)
SYNC_INTERVAL_MINUTES = env.int("SYNC_INTERVAL_MINUTES", default=15)
# The scheduler's tick, and the staleness promised to every location, however quiet (clients.scheduling).
SYNC_TICK_MINUTES = env.int("SYNC_TICK_MINUTES", default=5)
SYNC_MAX_STALENESS_HOURS = env.int("SYNC_MAX_STALENESS_HOURS", default=6)
SYNC_INCREMENTAL_DAYS = env.int("SYNC_INCREMENTAL_DAYS", default=3)
SYNC_RECONCILE_HOUR = env.int("SYNC_RECONCILE_HOUR", default=3)
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=300)

CELERY_BEAT_SCHEDULE = {
    "sync-incremental": {
        "task": "clients.tasks.sync_due_locations",
        "schedule": SYNC_TICK_MINUTES * 60,
        "kwargs": {"kind": "incremental"},
    },
    "spares-refill": {"task": "agency.tasks.spares_refill", "schedule": 60},
    "reports-due": {"task": "reports.tasks.reports_due", "schedule": crontab(minute=5)},
    "alerts-check": {"task": "clients.alerts.tasks.alerts_check_all", "schedule": crontab(minute=15)},
    "alerts-digest": {
        "task": "clients.alerts.tasks.alerts_digest_all",
        "schedule": crontab(minute=0, hour=7),
    },
    # The operator's console and metrics: usage per agency, deletions due, a heartbeat through each queue.
    "usage-refresh": {"task": "agency.operator.tasks.usage_refresh_all", "schedule": 300},
    "agency-deletions": {"task": "agency.operator.tasks.deletions_due", "schedule": crontab(minute=30)},
    **{
        f"heartbeat-{queue}": {
            "task": "agency.operator.tasks.heartbeat",
            "schedule": 30,
            "kwargs": {"queue": queue},
            "options": {"queue": queue, "expires": 60},
        }
        for queue in (CELERY_TASK_DEFAULT_QUEUE, "sync", "reports", "messages")
    },
}

# The agency REST API (agency/api) at /api/v1/ on each agency's domains.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["agency.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["agency.api.permissions.TokenScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["agency.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["agency.api.parsers.JSONParser"],  # a too deep body is a 400
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
    # Feedback's status and sentiment appear as labelled choices and as plain filter values: one name
    # each, so `check --deploy` stays free of drf-spectacular's enum-collision warnings.
    "ENUM_NAME_OVERRIDES": {
        "FeedbackStatusEnum": "clients.models.Status",
        "FeedbackSentimentEnum": "clients.models.Sentiment",
    },
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

# Argon2id (Django's defaults: 100 MiB, 2 passes, 8 lanes; above OWASP's minimum of 19 MiB, 2 passes,
# 1 lane). Hashes of the other hashers still verify, and are rehashed with Argon2id at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
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

# The front door (agency/team, agency/signup.py): lockout, two-factor, sessions, abuse limits.
AUTHENTICATION_BACKENDS = [
    "agency.team.lockout.LockoutBackend",  # first: django-axes refuses a locked account or address
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of the portal that append to X-Forwarded-For (0: the peer is the client).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "agency.team.clientaddr.client_address"
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_HANDLER = "agency.team.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "agency.team.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "agency.team.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit log
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "csrfmiddlewaretoken"]  # never stored
AXES_VERBOSE = False
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=8 * 3600)
# Sensitive actions ask for the password (and code) again when the last one is older than this.
RECENT_AUTH_SECONDS = env.int("RECENT_AUTH_SECONDS", default=10 * 60)
TWO_FACTOR_REMEMBER_DAYS = 30
SIGNUP_PER_ADDRESS_PER_HOUR = env.int("SIGNUP_PER_ADDRESS_PER_HOUR", default=5)
SIGNUP_PER_HOUR = env.int("SIGNUP_PER_HOUR", default=60)
SIGNUP_LINK_HOURS = env.int("SIGNUP_LINK_HOURS", default=24)
PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = env.int("PASSWORD_RESET_PER_ACCOUNT_PER_HOUR", default=3)
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=10)
CONNECT_LINK_MAX_FAILURES = 5
CONNECT_ATTEMPTS_PER_ADDRESS_PER_HOUR = env.int("CONNECT_ATTEMPTS_PER_ADDRESS_PER_HOUR", default=20)
# Content-Security-Policy (django-csp): scripts and styles only from our own files (or with the
# page's nonce), no inline handlers, no style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "script-src-attr": [NONE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [NONE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Translations of the reports (and their emails): each client reads its report in its own language.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Reports name a driver or a theme change only with at least this many reviews on each side.
REPORTS_MIN_SAMPLE = env.int("REPORTS_MIN_SAMPLE", default=10)

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

# Operating the platform (agency/operator, agency/metrics; README "Operations").
# Bearer token Prometheus sends to /metrics; without one, /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Who agencies ask to raise a plan limit or lift a suspension (shown in those messages).
PLATFORM_CONTACT = env.str("PLATFORM_CONTACT", default="the platform operator")
# Days between an operator asking to delete an agency and its data being dropped.
AGENCY_DELETION_GRACE_DAYS = env.int("AGENCY_DELETION_GRACE_DAYS", default=30)
# A queue whose heartbeat (sent by beat every 30 s) is older than this is reported by /healthz.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env.int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", default=120)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "agency.logs.JsonFormatter"},
    },
    "filters": {"context": {"()": "agency.logs.ContextFilter"}},
    # LOG_FORMAT=json: one JSON object a line, with the agency, location, run and task of each.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain"),
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # every attempt is in the audit log; lockouts warn
    },
}
