"""Leadterra Ops settings: one file, every knob from the environment.

Every variable is documented in .env.example and in the README's configuration table.
Safe by default: DEBUG is off unless set, and then SECRET_KEY is required.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ

from .broker import choose_broker

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment wins

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY")  # required: raises ImproperlyConfigured when missing

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
APP_VERSION = "0.1.0"

# --- Sandbox: the embedded Leadterra simulator (on by default only in DEBUG) ---
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
# The simulator is a demo door: outside DEBUG it never becomes the default API (the deploy
# check in campaigns/checks.py refuses SANDBOX_ENABLED without DEBUG as an error).
SANDBOX_IS_DEFAULT_API = SANDBOX_ENABLED and DEBUG
SANDBOX_API_KEY = env("SANDBOX_API_KEY", default="sk_test_sandbox")
SANDBOX_CONTROL_TOKEN = env("SANDBOX_CONTROL_TOKEN", default="sandbox-control" if DEBUG else "")
SANDBOX_SECONDS_PER_DAY = env.float("SANDBOX_SECONDS_PER_DAY", default=60.0)
SANDBOX_RATE_LIMIT_RPS = env.float("SANDBOX_RATE_LIMIT_RPS", default=50.0)
SANDBOX_WEBHOOK_SECRET = env("SANDBOX_WEBHOOK_SECRET", default="whsec_sandbox" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "campaigns",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless it is marked @login_not_required
    # (login, healthz, the wall, the webhook receiver, the sandbox API).
    "leadterra_ui.login_required.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "leadterra_ui.outage.OutageBannerMiddleware",  # live partials bring the outage banner along
    "leadterra_ui.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadterra_ui.urls"
WSGI_APPLICATION = "leadterra_ui.wsgi.application"

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
                "campaigns.context_processors.ui",
                "campaigns.context_processors.leadterra_status",
            ],
        },
    },
]


# runserver answers every request on a new thread, and a connection belongs to its thread:
# one kept open after a request is never used again and only piles up (64-75 idle PostgreSQL
# connections from one dev process). Under runserver connections close after each request,
# whatever CONN_MAX_AGE says; with DEBUG they do so unless CONN_MAX_AGE is set.
RUNSERVER = len(sys.argv) > 1 and sys.argv[1] == "runserver"


def conn_max_age(*, debug: bool, runserver: bool) -> int:
    """Seconds a connection is kept between requests (0: closed at the end of each)."""
    if runserver:
        return 0
    return env.int("CONN_MAX_AGE", default=0 if debug else 60)


def _database(url: str, *, debug: bool = DEBUG, runserver: bool = RUNSERVER) -> dict:
    config = env.db_url_config(url)
    # A kept connection the server dropped (a restart, a cut) is replaced before it is used.
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker, beat and sandbox share SQLite files under `make run`:
        # WAL plus immediate transactions keep them from tripping over each other.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file (not memory) so that a worker subprocess in a test can see it.
        config["TEST"] = {"NAME": str(BASE_DIR / f".test-{Path(config['NAME']).stem}.sqlite3")}
    else:
        config["CONN_MAX_AGE"] = conn_max_age(debug=debug, runserver=runserver)
    return config


DATABASES = {
    "default": _database(env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")),
    "sandbox": _database(env("SANDBOX_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'sandbox.sqlite3'}")),
}
DATABASE_ROUTERS = ["sandbox.router.SandboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes checks every login for a lockout before the password is tried.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # SDRs land on the desk, managers on the campaign list
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security: strict unless DEBUG ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Login throttling (django-axes, attempts kept in the database) ---
# Locked when one username, or one client address, has this many failures within the cool-off.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "leadterra_ui.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "leadterra_ui.throttle.client_ip"
AXES_VERBOSE = False  # our audit trail records failures (campaigns/login_audit.py)
AXES_ENABLE_ADMIN = True

# --- Leadterra ---
LEADTERRA_API_BASE = env(
    "LEADTERRA_API_BASE",
    default="http://127.0.0.1:8001/sandbox" if SANDBOX_IS_DEFAULT_API else "https://app.leadterra.co",
).rstrip("/")
LEADTERRA_API_KEY = env("LEADTERRA_API_KEY", default=SANDBOX_API_KEY if SANDBOX_IS_DEFAULT_API else "")
LEADTERRA_CONNECT_TIMEOUT = env.float("LEADTERRA_CONNECT_TIMEOUT", default=3.05)
LEADTERRA_READ_TIMEOUT = env.float("LEADTERRA_READ_TIMEOUT", default=10.0)
LEADTERRA_MAX_RPS = env.float("LEADTERRA_MAX_RPS", default=10.0)
LEADTERRA_WEBHOOK_SECRET = env(
    "LEADTERRA_WEBHOOK_SECRET", default=SANDBOX_WEBHOOK_SECRET if SANDBOX_IS_DEFAULT_API else ""
)
CALL_LOG_RETENTION_HOURS = env.int("CALL_LOG_RETENTION_HOURS", default=48)
# Encrypts each SDR's personal Leadterra key at rest (campaigns/services/sdr_keys.py). Required
# outside DEBUG (a deploy check says so); in DEBUG an unset one is derived from SECRET_KEY.
# Changing it makes the stored keys unreadable: managers then save them again.
SDR_KEY_ENCRYPTION_KEY = env("SDR_KEY_ENCRYPTION_KEY", default="")
# The outbox (campaigns/services/operations.py): backoff, give-up point, dead-worker detection.
OPERATION_RETRY_BASE_SECONDS = env.float("OPERATION_RETRY_BASE_SECONDS", default=2.0)
OPERATION_RETRY_MAX_SECONDS = env.float("OPERATION_RETRY_MAX_SECONDS", default=300.0)
OPERATION_MAX_FAILURE_STREAK = env.int("OPERATION_MAX_FAILURE_STREAK", default=10)
# Liveness (services/operation_liveness.py): a worker stamps the rows it holds every few
# seconds; a row silent for the stale limit is reclaimed by the next sweep.
OPERATION_HEARTBEAT_SECONDS = env.float("OPERATION_HEARTBEAT_SECONDS", default=2.0)
# On SQLite a heartbeat can wait out the 20 s lock timeout behind another writer: a live worker
# must not look dead for that, so the limit there is above it (still well under a minute).
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
OPERATION_HEARTBEAT_STALE_SECONDS = env.float("OPERATION_HEARTBEAT_STALE_SECONDS", default=30.0 if _SQLITE else 8.0)
OPERATION_MAX_CLAIM_SECONDS = env.float("OPERATION_MAX_CLAIM_SECONDS", default=330.0)  # a stuck handler
OPERATIONS_SWEEP_SECONDS = env.float("OPERATIONS_SWEEP_SECONDS", default=5.0)
OPERATIONS_SWEEP_GRACE_SECONDS = env.float("OPERATIONS_SWEEP_GRACE_SECONDS", default=30.0)  # before a re-send

# --- Product behaviour ---
# 1 s: a webhook's change reaches an open page within ~1 s; an unchanged poll is a 304 after one small query.
LIVE_REFRESH_SECONDS = env.int("LIVE_REFRESH_SECONDS", default=1)
STATS_POLL_SECONDS = env.int("STATS_POLL_SECONDS", default=15)
# The stats poll (campaigns/services/stats.py): the shortest interval above; it stretches so the
# fleet fits in STATS_BUDGET_SHARE of LEADTERRA_MAX_RPS. Beat sends up to STATS_POLL_FANOUT batch
# tasks (about the worker threads) of STATS_POLL_BATCH campaigns each.
STATS_BUDGET_SHARE = env.float("STATS_BUDGET_SHARE", default=0.8)
STATS_POLL_FANOUT = env.int("STATS_POLL_FANOUT", default=8)
STATS_POLL_BATCH = env.int("STATS_POLL_BATCH", default=10)
# Calls in flight per worker process while its threads store the answers (0: each batch task
# calls in turn on its own thread).
STATS_POLL_HTTP_THREADS = env.int("STATS_POLL_HTTP_THREADS", default=8)
POOLS_REFRESH_SECONDS = env.int("POOLS_REFRESH_SECONDS", default=60)
REPLIES_POLL_SECONDS = env.int("REPLIES_POLL_SECONDS", default=30)
INBOX_STALE_SECONDS = env.int("INBOX_STALE_SECONDS", default=30)  # an SDR inbox older than this is fetched again
REPLY_SLA_MINUTES = env.int("REPLY_SLA_MINUTES", default=15)  # the desk: an interested reply answered within
CAPACITY_MODEL = env("CAPACITY_MODEL", default="daily_reset")  # or "rolling_24h"
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Import recovery: the holder proves it is alive with every batch it checkpoints; one silent for STALE s is
# resumed from its checkpoint by the sweeper (every SWEEP s); a queued import whose message
# never ran (Redis wiped) is re-sent after GRACE s.
IMPORT_BATCH_ROWS = env.int("IMPORT_BATCH_ROWS", default=5000)  # rows per staging transaction and checkpoint
IMPORT_STALE_SECONDS = env.float("IMPORT_STALE_SECONDS", default=20.0)
IMPORT_SWEEP_SECONDS = env.float("IMPORT_SWEEP_SECONDS", default=10.0)
IMPORT_QUEUED_GRACE_SECONDS = env.float("IMPORT_QUEUED_GRACE_SECONDS", default=20.0)
BOUNCE_GUARD_RATE = env.float("BOUNCE_GUARD_RATE", default=0.05)
BOUNCE_GUARD_MIN_DELIVERED = env.int("BOUNCE_GUARD_MIN_DELIVERED", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Celery ---
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL, _fallback_options = choose_broker(
    REDIS_URL, env("BROKER_FALLBACK", default="0").lower(), BASE_DIR / ".run" / "broker"
)
CELERY_BROKER_FALLBACK = bool(_fallback_options)
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_TRANSPORT_OPTIONS = _fallback_options or {
    # Well above the longest task (hard limit 300 s), far below Redis's 1 h default,
    # so a task lost with its worker is redelivered within minutes.
    "visibility_timeout": 600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# Tasks outside campaigns/tasks/ (found by autodiscovery): the demo launch of `make run`.
CELERY_IMPORTS = ["campaigns.management.demo"]
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "campaigns.tasks.heartbeat", "schedule": timedelta(seconds=30)},
    "sweep-operations": {
        "task": "campaigns.tasks.sweep_operations",
        "schedule": timedelta(seconds=OPERATIONS_SWEEP_SECONDS),
    },
    "sweep-imports": {"task": "campaigns.tasks.sweep_imports", "schedule": timedelta(seconds=IMPORT_SWEEP_SECONDS)},
    "refresh-pools": {"task": "campaigns.tasks.refresh_pools", "schedule": timedelta(seconds=POOLS_REFRESH_SECONDS)},
    "poll-stats": {"task": "campaigns.tasks.poll_stats", "schedule": timedelta(seconds=STATS_POLL_SECONDS)},
    "poll-replies": {"task": "campaigns.tasks.poll_replies", "schedule": timedelta(seconds=REPLIES_POLL_SECONDS)},
    "prune-call-log": {"task": "campaigns.tasks.prune_call_log", "schedule": timedelta(hours=1)},
}

# --- Logging: plain text to stderr; never the API key (the client never logs it). ---
# Expected refusals (403, 404) are one line, not a traceback; wall tokens never reach a log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals": {"()": "leadterra_ui.logfilters.OneLineRefusals"},
        "wall_tokens": {"()": "leadterra_ui.logfilters.RedactWallTokens"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["wall_tokens"]},
        "requests": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals", "wall_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"handlers": ["requests"], "propagate": False},
        "django.server": {"handlers": ["console"], "propagate": False},
    },
}
