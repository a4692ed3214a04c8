"""Settings for teamsite, read from the environment.

Every value has an embedded default that suits a laptop (SQLite, local media,
console email, local-memory cache); production sets the variables listed in the
README. Nothing here depends on where the process is started from.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def env_list(name, default=()):
    value = env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

# On by default so that a fresh checkout runs with `make run`; production sets DEBUG=0.
DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-teamsite-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_NAME = env("SITE_NAME", "teamsite")
# A running run without a heartbeat for this long is shown, then stored, as crashed.
RUN_CRASH_AFTER_SECONDS = int(env("RUN_CRASH_AFTER_SECONDS", "600"))
# The address people reach the site at, for links in emails sent outside a request.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# Invite-only sites turn open sign-up off; invitations still work.
OPEN_SIGNUP = env_bool("OPEN_SIGNUP", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "guardian",
    "django_htmx",
    "template_partials",
    "ninja",
    "csp",
    "core",
    "teamsite",  # before django_tasks_db: its db_worker adds the schedule (teamsite/management/commands/db_worker.py)
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "teams",
    "experiments",
    "reports",
    "registry",
    "profiles",
    "transfer",
    "mlflow_compat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.guard.GuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "teams.policy.access.RequestCache",
    "core.auth.SignInFirstMiddleware",
    "teamsite.api.ApiAnswersJson",
]

ROOT_URLCONF = "teamsite.urls"
WSGI_APPLICATION = "teamsite.wsgi.application"

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
                "core.context_processors.site",
                "teams.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers continue while a run's history is written; IMMEDIATE
        # takes the write lock at BEGIN so concurrent writers wait instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", False):
    # psycopg's own pool in each process (docs/deploy.md): a web worker borrows a
    # connection per request instead of opening one; or put pgbouncer in front.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DB_POOL_MIN", "2")),
        "max_size": int(env("DB_POOL_MAX", "10")),
        "timeout": 10,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also holds allauth's rate limits) --------------------------------

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # sessions read from Redis, written through to the database: any web process serves any person
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work (the Tasks API, django-tasks backport) -------------------

# The embedded default keeps tasks in the database (`manage.py db_worker` runs them);
# with REDIS_URL set, RQ serves instead, for several web and worker machines.
TASKS_BACKEND = env("TASKS_BACKEND", "rq" if REDIS_URL else "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",  # tests: a task runs at once, in the caller
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND is one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600}}
# How often the worker's schedule runs the periodic jobs (crash detection, retries, cleanup).
SCHEDULE_SECONDS = float(env("SCHEDULE_SECONDS", "15"))
# /health/ready: the worker counts as stopped after this long without a beat; more waiting tasks than this is "not ready".
WORKER_BEAT_STALE_SECONDS = float(env("WORKER_BEAT_STALE_SECONDS", "60"))
QUEUE_DEPTH_LIMIT = int(env("QUEUE_DEPTH_LIMIT", "1000"))
# A task RUNNING longer than this lost its worker (killed mid-task): it is handed out again, once.
TASK_STALE_SECONDS = float(env("TASK_STALE_SECONDS", "900"))
# Webhook deliveries: retries start after this many seconds and triple (10 s: 7 attempts span an hour).
WEBHOOK_RETRY_BASE_SECONDS = float(env("WEBHOOK_RETRY_BASE_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(env("WEBHOOK_MAX_ATTEMPTS", "7"))
# Single-machine sites and tests may send webhooks to loopback or private addresses.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
# Finished exports are kept this many days.
EXPORT_KEEP_DAYS = int(env("EXPORT_KEEP_DAYS", "7"))

# --- Accounts ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "teams.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USERNAME_BLACKLIST = ["admin", "api", "root", "system", "support", "teamsite"]

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# --- Email ------------------------------------------------------------------

# Every email is written to an outbox row in the sender's transaction and sent by the
# worker after the commit, with retries (core/mail.py); EMAIL_BACKEND is what the worker sends through.
EMAIL_DELIVERY_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_BACKEND = "core.mail.OutboxBackend"
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
EMAIL_RETRY_BASE_SECONDS = float(env("EMAIL_RETRY_BASE_SECONDS", "30"))
EMAIL_MAX_ATTEMPTS = int(env("EMAIL_MAX_ATTEMPTS", "12"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files ------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", BASE_DIR / "media"))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    # Credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables.
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME")
    AWS_QUERYSTRING_AUTH = True
    AWS_DEFAULT_ACL = None
    default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded files are hashed while they stream in (core/uploads.py); larger ones go to disk, never to memory.
FILE_UPLOAD_HANDLERS = ["core.uploads.HashingMemoryFileUploadHandler", "core.uploads.HashingTemporaryFileUploadHandler"]
# The largest file an artifact (or a run) may hold; larger ones are refused with 413.
UPLOAD_MAX_FILE_SIZE = int(env("UPLOAD_MAX_FILE_SIZE", str(5 * 1024**3)))
# Where parts of resumable artifact uploads wait until their file is whole (default: MEDIA_ROOT/.staging).
ARTIFACT_STAGING_DIR = env("ARTIFACT_STAGING_DIR")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Abuse limits (core/guard.py): requests per window, "COUNT/SECONDS"; 0 turns one off.
# Counted per API key (a training job batches its points: about one request a second)
# and, for requests without a key, per address.
RATE_LIMIT_PER_KEY = env("RATE_LIMIT_PER_KEY", "6000/60")
RATE_LIMIT_PER_IP = env("RATE_LIMIT_PER_IP", "1200/60")
# Behind nginx: "/protected/" lets nginx send local files once the policy allowed them (docs/deploy.md).
X_ACCEL_REDIRECT_PREFIX = env("X_ACCEL_REDIRECT_PREFIX", "")
API_MAX_JSON_BYTES = int(env("API_MAX_JSON_BYTES", str(DATA_UPLOAD_MAX_MEMORY_SIZE)))

# --- Security ---------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP: a database that is down must reach them as 503, not as a 301.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^health/ready$"]
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script anywhere: every behaviour lives in static/ files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:", "http:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- I18n -------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # a refused request (401, 403, 404, 405) is one line in the log, never a traceback
    "filters": {"refusals_in_one_line": {"()": "core.logs.RefusalsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals_in_one_line"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False, "filters": ["refusals_in_one_line"]},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

FORM_RENDERER = "core.forms.FormRenderer"
