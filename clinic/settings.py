"""Settings for the clinic app, read from the environment (django-environ).

The defaults give a working app with nothing installed: SQLite, console email and an embedded
Celery broker (kombu's ``filesystem://`` transport). ``DEBUG=false`` switches to production
mode, which refuses to start unless the secrets and services it needs are configured.
Every variable is listed, with a comment, in ``.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# Where the zero-setup defaults keep their files (SQLite database, embedded broker queue).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
for _sub in ("broker/queue", "broker/processed", "broker/control", "staticfiles"):
    (VAR_DIR / _sub).mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
TESTING = env.bool("TESTING", default=False)

# --- Production mode refuses to start half-configured -------------------------------------
if not DEBUG:
    _missing = [
        name
        for name in (
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "EMAIL_URL",
            "DEFAULT_FROM_EMAIL",
        )
        if not env.str(name, default="").strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            "Production mode (DEBUG=false) needs these environment variables: "
            + ", ".join(_missing)
            + ". See .env.example."
        )
    if not env.str("DATABASE_URL").startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured("Production mode needs a PostgreSQL DATABASE_URL.")
    if env.str("CELERY_BROKER_URL").startswith(("filesystem://", "memory://")):
        raise ImproperlyConfigured(
            "Production mode needs a real broker in CELERY_BROKER_URL (redis:// or amqp://)."
        )
    if not env.str("EMAIL_URL").startswith(("smtp://", "smtp+tls://", "smtp+ssl://")):
        raise ImproperlyConfigured("Production mode needs an SMTP EMAIL_URL (smtp+tls://…).")
    if len(env.str("SECRET_KEY")) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")

SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-never-use-in-production-0123456789abcdef"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Clinic facts shown to patients ---------------------------------------------------------
CLINIC_NAME = env.str("CLINIC_NAME", default="Dry Hands Clinic")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="+1 415 555 0100")
CLINIC_ADDRESS = env.str("CLINIC_ADDRESS", default="450 Sutter Street, Suite 1200, San Francisco")
# Absolute base URL used in emails rendered outside a request (by the Celery worker).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "pgtrigger",
    "pghistory",
    "clinic.accounts",
    "clinic.audit",
    "clinic.notify",
    "patients",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinic.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "clinic.language.LanguageCookieMiddleware",  # the saved language, switched on at login
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "clinic.accounts.sessions.SessionTimeoutMiddleware",
    "clinic.accounts.middleware.TwoFactorRequiredMiddleware",
    "clinic.headers.NoStoreForSignedInMiddleware",
    "clinic.accounts.security_log.ProbeLogMiddleware",
    "clinic.audit.middleware.HistoryContextMiddleware",
    # axes must be last: it turns a locked-out request into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections (4x the throughput) with a health check so a database restart
    # costs no 500s; every statement bounded in time (R7).
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault(
        "options", f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}"
    )
    _db["OPTIONS"].setdefault("connect_timeout", 5)
    _db.setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default=None)
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front: with a re-check inside the
    # transaction this is how the no-overlap rule holds on SQLite.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    _db["OPTIONS"].setdefault("timeout", 20)
    _db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Accounts, passwords, lockout, two-factor ----------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: a locked-out account is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "clinic.accounts.backends.ClinicBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # reset links expire within an hour (S10)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

ACCOUNT_ADAPTER = "patients.adapter.PatientAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_HMAC = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a mail scanner opening the link must not confirm (S5)
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # the user stays in; other sessions end (S10)
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CLINIC_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# One lockout policy, the documented one (S6): django-axes. allauth's own limit is off.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
ACCOUNT_FORMS = {"signup": "clinic.accounts.forms.SignupForm"}

SILENCED_SYSTEM_CHECKS = [
    # The lockout is per account by policy (S6: 10 failures per account per 15 minutes), so
    # rotating IPs cannot buy an attacker more guesses at one account.
    "axes.W006",
    # Email is unique through a case-insensitive functional constraint (user_email_ci_unique).
    "auth.W004",
]

AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "clinic.accounts.lockout.attempted_account"
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it: the lock ends 15 minutes after the 10th failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0 if DEBUG else 1)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = CLINIC_NAME
MFA_RECOVERY_CODE_COUNT = 10

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switcher's choice lasts a year (Django's default is the browser session).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # storage; pages show the clinic's or the patient's own zone
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/Los_Angeles")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------
_email = env.email("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
    if _email.get(_key) not in (None, ""):
        globals()[_key] = _email[_key]
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # a hung SMTP server never hangs a worker
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{CLINIC_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain of every outbox Message-ID: <outbox-uuid@MESSAGE_ID_DOMAIN>
MESSAGE_ID_DOMAIN = env.str("MESSAGE_ID_DOMAIN", default="clinic.localhost")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this time is delivered again (acks_late); it must
        # exceed the longest task (time limits below).
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# When the broker connection drops, let running sends finish rather than cancel them
# mid-SMTP (that could only add duplicates); their ack is lost and the task comes back, which
# the outbox's atomic claim turns into a no-op. Explicit: Celery 6 flips the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down: the caller logs it and the periodic
# sweep delivers the row later (R8). Never make a committed request wait or fail.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Every minute: re-dispatch outbox messages left pending (broker was down at enqueue)
    # or stuck in "sending" (a worker died mid-send).
    "outbox-sweep": {
        "task": "clinic.notify.tasks.outbox_sweep",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Every minute: the ONE reminder dispatcher hands due reminder rows to the outbox (R5: no
    # eta/countdown; reminders are rows with a due time). A run that waited longer than a
    # minute in the queue is dropped; the next one does its work.
    "reminders-dispatch": {
        "task": "clinic.notify.tasks.reminders_dispatch",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
}

# Outbox retry policy (R6): transient failures wait backoff * 2**(attempt-1), capped.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BACKOFF_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_SECONDS", default=30)
NOTIFY_RETRY_BACKOFF_MAX_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_MAX_SECONDS", default=900)
# A message "sending" for longer than this is presumed lost with its worker.
NOTIFY_STUCK_AFTER_SECONDS = env.int("NOTIFY_STUCK_AFTER_SECONDS", default=300)

# --- Reminders and SMS (clinic.notify) ------------------------------------------------------
# The sweep re-enqueues a pending message untouched for this long (its task was lost, or the
# broker was down when it was queued); shorter than a minute, longer than a normal queue wait.
NOTIFY_SWEEP_PENDING_AFTER_SECONDS = env.int("NOTIFY_SWEEP_PENDING_AFTER_SECONDS", default=20)
# Staff see a pending message as overdue (on the deliveries page) after this long.
NOTIFY_OVERDUE_AFTER_SECONDS = env.int("NOTIFY_OVERDUE_AFTER_SECONDS", default=900)
# The dispatcher claims due reminders in batches, and stops after this many seconds (well
# inside the task time limit); the rest goes out in the next minute's run.
NOTIFY_DISPATCH_BATCH = env.int("NOTIFY_DISPATCH_BATCH", default=200)
NOTIFY_DISPATCH_BUDGET_SECONDS = env.int("NOTIFY_DISPATCH_BUDGET_SECONDS", default=40)
# The dispatcher hands its messages to the workers this many per task: one email connection
# per batch (each message still claimed, sent and recorded on its own).
NOTIFY_SEND_BATCH = env.int("NOTIFY_SEND_BATCH", default=20)
# A reminder whose time had passed by more than this when it was scheduled (booked late) is
# skipped rather than sent late.
NOTIFY_REMINDER_LATE_GRACE_SECONDS = env.int("NOTIFY_REMINDER_LATE_GRACE_SECONDS", default=900)
# SMS: console (dev), file, or an HTTP provider (URL, bearer token, timeout in seconds).
SMS_BACKEND = env.str("SMS_BACKEND", default="clinic.notify.sms.ConsoleSMSBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms.jsonl"))
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute ceiling; idle timeouts are shorter
# S9: idle logoff (seconds) and the absolute limit after login.
SESSION_IDLE_TIMEOUT_STAFF = env.int("SESSION_IDLE_TIMEOUT_STAFF", default=15 * 60)
SESSION_IDLE_TIMEOUT_PATIENT = env.int("SESSION_IDLE_TIMEOUT_PATIENT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
# Warn this many seconds before an idle logoff.
SESSION_TIMEOUT_WARNING = 120
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: secure, path /, no Domain attribute, so no subdomain can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_NAME = "__Host-language"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_tokens": {"()": "clinic.logging.ScrubTokensFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own default handlers (and the dev server's request lines) would print URLs
        # unscrubbed: route them through the scrubbing console handler instead (S14).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "clinic.security": {"level": "INFO"},
    },
}

# --- Treatment plans (treatments app) -------------------------------------------------------
# Every day at 03:15: extend each active plan's maintenance sessions to 8 weeks ahead
# (idempotent: a second run finds nothing to do).
CELERY_BEAT_SCHEDULE["treatments-extend-session-horizons"] = {
    "task": "treatments.tasks.extend_session_horizons",
    "schedule": crontab(hour=3, minute=15),
}

# --- Progress tracking (treatments app, issue 7) --------------------------------------------
# Every day at 03:45 (after the horizons): recount each patient's adherence snapshot and raise
# or close the "adherence under 60%" and "no log for 10 days" flags (idempotent).
CELERY_BEAT_SCHEDULE["treatments-refresh-progress"] = {
    "task": "treatments.tasks.refresh_progress",
    "schedule": crontab(hour=3, minute=45),
}
# Every hour at :05: write the "not logged yet?" reminder rows for home sessions from
# yesterday to two days ahead (idempotent; the reminder dispatcher sends them when due).
CELERY_BEAT_SCHEDULE["treatments-schedule-nudges"] = {
    "task": "treatments.tasks.schedule_nudges",
    "schedule": crontab(minute=5),
}
# --- Account closure and retention (patients app) -------------------------------------------
# A closed account's records are kept this many years after the closure (the legal retention
# period for medical records; check the rule where the clinic practises), then purged.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=7)
# The purge connects through its own alias as a privileged role (``audit_grants
# --purge-role``): the app's own role may not rewrite the audit tables, the purge must
# anonymise them. Without PURGE_DATABASE_URL (development) it uses the app's own settings.
if env.str("PURGE_DATABASE_URL", default=""):
    DATABASES["purge"] = env.db("PURGE_DATABASE_URL")
    if DATABASES["purge"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["purge"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
else:
    DATABASES["purge"] = {
        **DATABASES["default"],
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    }
DATABASES["purge"]["CONN_MAX_AGE"] = 0  # once a day: no connection kept open
# Tests: the purge alias is the same test database, reached through a second connection.
DATABASES["purge"]["TEST"] = {"MIRROR": "default"}
# Every day at 02:30: purge the records of accounts closed longer ago than RETENTION_YEARS
# (idempotent: a purged closure is never purged again).
CELERY_BEAT_SCHEDULE["patients-retention-purge"] = {
    "task": "patients.tasks.retention_purge",
    "schedule": crontab(hour=2, minute=30),
}
