"""The one settings module. Everything that differs between machines is read from the environment.

Embedded mode (no variables set): SQLite in WAL mode under ``var/``, in-memory channel layer,
local private media, a development secret generated once into ``var/secret_key``.
Production (``DEBUG=0``): ``SECRET_KEY`` must be given, ``DATABASE_URL`` should point at
PostgreSQL and ``REDIS_URL`` at Redis for the channel layer.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from project.environment import env_bool, env_list, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


# Production unless told otherwise: a server started without configuration must not show
# tracebacks or settings to visitors. `make run` and the test suite set DEBUG=1 explicitly.
DEBUG = env_bool("DEBUG", False)
# What the environment said, kept apart from DEBUG: test runners switch DEBUG off at runtime to
# behave like production, yet the installation is still a development one (the demo loader asks).
DEVELOPMENT_MODE = DEBUG


SECRET_KEY = secret_key(os.environ.get("SECRET_KEY", ""), debug=DEBUG, var_dir=VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    # Sign-in throttling; its admin lists failed attempts and lifts a lockout (project/signin.py).
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    # Rate limits (workflows/documents/render_limits.py); installed for its check that the cache is shared.
    "django_ratelimit",
    "channels",
    # The background worker: Django 6's Tasks API (backport) and its database queue, whose
    # `db_worker` command runs the jobs (README, "Background worker").
    "django_tasks",
    "django_tasks_db",
    # The REST API (workflows/api/) and its OpenAPI 3 schema; the sidecar vendors Swagger UI and
    # Redoc, so the documentation page loads nothing from a CDN.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Material frontend (the app shell) and viewflow.fsm; the workflow engine is not installed:
    # the state machine runs on our own tables (README, architecture).
    "viewflow",
    "supervision",
    "notices",
    "workflows",
    # The demo campaign (demo/). Installed in production too, or `manage.py load_demo` would not
    # exist on a throw-away demonstration server; the command itself refuses to run with DEBUG off
    # unless given --allow-production. It has no models, so it adds no tables.
    "demo",
    # No models: connects the session bookkeeping of project/sessions.py.
    "project.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Nothing is public but the sign-in page: a page someone adds later is protected by default
    # (opt out with @login_not_required). Runs before viewflow's SiteMiddleware (appended by
    # viewflow), so a signed-out visitor is sent to sign in rather than refused with a 403.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out a session idle for SESSION_IDLE_TIMEOUT (project/sessions.py), with a message
    # (so after the messages middleware) shown on the sign-in page it redirects to.
    "project.sessions.IdleTimeoutMiddleware",
    # Until a one-time password is replaced, every page leads to choosing one's own (project/first_login.py).
    "project.first_login.FirstLoginMiddleware",
    # A query string past DATA_UPLOAD_MAX_NUMBER_FIELDS is a 400 page here, before anything else
    # reads request.GET (the menu, the debug page) and fails on it again.
    "workflows.params.QueryStringMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Last, as axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "project.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Connections come from psycopg's pool, one per server process, shared by its threads. Under
# ASGI (daphne) Django runs each request's sync code in a thread of its own, so a persistent
# connection per thread (CONN_MAX_AGE > 0) is never reused and piles up until PostgreSQL refuses
# new clients; a connection per request (CONN_MAX_AGE=0, DB_POOL=0) stays bounded but connects
# anew every time. The pool is bounded and reuses (measured in tests/security/test_db_connections.py).
# With an external pooler such as PgBouncer, set DB_POOL=0.
DB_POOL = env_bool("DB_POOL", True)
DB_POOL_MIN = int(os.environ.get("DB_POOL_MIN", 2))
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", 20))
# SQLite serves several processes (server, tick, the worker) from one file: WAL lets them read
# while one writes; IMMEDIATE takes the write lock at BEGIN so two writers queue instead of failing
# half-way. Applied to the embedded database and to a sqlite:// DATABASE_URL alike.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
    "transaction_mode": "IMMEDIATE",
}
if DATABASE_URL:
    # With the pool, Django turns health checks into the pool's check on checkout: a connection
    # broken by a database restart is replaced, not handed to a request.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    elif DB_POOL:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            # How long a request waits for a free connection before failing.
            "timeout": int(os.environ.get("DB_POOL_TIMEOUT", 30)),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))

# --- Channels -------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # channels-redis's pub/sub layer: one PUBLISH per push, delivered to the server processes
    # subscribed to that user's group. Measured against channels-redis's default layer (sorted sets
    # drained with blocking pops; bench/sockets.py runs both): about a tenth of the CPU per push in
    # the process that sends it (0.3 ms against 3 ms, which a transition pays under the GIL), and a
    # notice reaches 1,000 open pages four to five times sooner. It keeps nothing for a process that
    # is not listening and has no capacity to overflow: both fine for pushes, which are only hints —
    # the inbox table is the truth and a page catches up from it when its socket (re)connects.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    # One process only: the embedded mode. Never use this behind several workers.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# An open page's socket checks the inbox this often (seconds, one indexed query) and sends what a
# lost push did not deliver: pushes are dropped while Redis is down or resubscribing.
INBOX_RESYNC_SECONDS = float(os.environ.get("INBOX_RESYNC_SECONDS", 30))

# --- Cache ----------------------------------------------------------------------------------
# Holds only short-lived hints (an import's progress, written by the request doing the import and
# read by the page polling it, which another server process may answer): shared through Redis
# when there is one, per process in the embedded mode. Nothing in it is ever the only copy.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "supervision",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "supervision.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "project.signin.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Unit rules: what a membership lets a user see and do (see supervision/permissions.py).
    "supervision.permissions.UnitRuleBackend",
    # Explicit per-object grants, e.g. one letter shared with an outside observer.
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False
# URL names, not paths: the shell (workflows/site.py) decides where each person lands from "home".
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Django's list is English-speaking; these add the weak choices common here (project/passwords.py).
    {"NAME": "project.passwords.LocalCommonPasswordValidator"},
    {"NAME": "project.passwords.RepeatedPatternValidator"},
]

# --- Sign-in throttling (django-axes; project/signin.py) ------------------------------------
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", 5))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", 20))
# One account from any number of addresses. High on purpose: reaching it locks the owner out too.
LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("LOGIN_FAILURES_PER_USERNAME", 50))
LOGIN_COOLOFF_MINUTES = int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15))
ONE_TIME_PASSWORD_DAYS = int(os.environ.get("ONE_TIME_PASSWORD_DAYS", 14))  # project/signin.py
AXES_HANDLER = "project.signin.AccountAndAddressHandler"
# In this order: project.signin.AccountAndAddressHandler gives each its own limit.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_CLIENT_IP_CALLABLE = "project.signin.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Kept on success: otherwise signing in to one's own account would wipe the address's count of
# failures against other accounts. Failures expire with the cool-off anyway.
AXES_RESET_ON_SUCCESS = False
# Every failed sign-in is kept (admin: Axes → access failures), not only the running counts.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The user agent is the client's own words: not part of what a lockout is counted against.
AXES_SENSITIVE_PARAMETERS = ["password"]

# --- Sessions ---------------------------------------------------------------------------------
# A working day; and signed out after SESSION_IDLE_TIMEOUT seconds without a request (0: never).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 12 * 60 * 60))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", 2 * 60 * 60))

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Our own catalog first; then our translation of viewflow's strings (its zh_Hans catalog is empty).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "viewflow"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
# Evidence files are private: there is no MEDIA_URL route; every download goes through a view
# that checks permission.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
# All the files of one submission together (a report's evidence, one upload of attachments): the
# upload routes' body limit is this plus the multipart framing (project/limits.py), so whatever
# the services accept also gets through the body limit.
EVIDENCE_MAX_TOTAL_BYTES = int(os.environ.get("EVIDENCE_MAX_TOTAL_BYTES", 50 * 1024 * 1024))
EVIDENCE_ALLOWED_TYPES = env_list(
    "EVIDENCE_ALLOWED_TYPES",
    "application/pdf,image/jpeg,image/png,application/msword,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/zip,text/plain",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request bodies, refused with 413 before anything buffers them (project/limits.py): forms here;
# the routes that upload evidence or attachments take EVIDENCE_MAX_TOTAL_BYTES plus the multipart
# framing, and the problem-list import has its own cap (notices/workbook.py). The reverse proxy
# should cap at least as tightly per location.
MAX_FORM_BYTES = int(os.environ.get("MAX_FORM_BYTES", 1024 * 1024))

# --- Domain settings ------------------------------------------------------------------------
# Days before a deadline when an assignment's light turns yellow.
LIGHT_YELLOW_DAYS = int(os.environ.get("LIGHT_YELLOW_DAYS", 7))

# --- Down the hierarchy (分解 / 转办; supervision/services/hand_down.py) -------------------------
# How many levels of units one chain of tasks may span, the issuing office included: 4 is
# province → city → county → township. A unit may hand its task down while the unit below would
# still be within it (a task the office issued is depth 0, its sub-tasks 1, …).
HIERARCHY_LEVELS = max(2, int(os.environ.get("HIERARCHY_LEVELS", 4)))

# --- Security -------------------------------------------------------------------------------
# Trust the reverse proxy's X-Forwarded-Proto and X-Forwarded-For. Only behind nginx (or another
# proxy that sets both): without one, any client could claim to be on HTTPS or at any address.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# Error reports (debug page, e-mails to ADMINS) mask passwords inside connection URLs too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "project.error_reports.SettingsMaskingFilter"
# No inline script anywhere: behaviour comes from static files (workflows/static). Inline style
# attributes stay allowed: viewflow's Material templates use them throughout.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        # 'self' covers the page's own ws:/wss: origin in current browsers (CSP level 3).
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Behind nginx terminating TLS.
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []

# Django's own loggers ("django", and below it "django.channels.server", which logs each request
# of the development server) keep Django's defaults, but print through this console handler only:
# left to propagate, each line came out twice under DEBUG, once from Django's handler and once
# from the root's. Error e-mails to ADMINS go out as in Django's defaults.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "loggers": {"django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Documents ------------------------------------------------------------------------------
# Font stacks for the PDFs (notices/), first installed family wins, comma-separated. Offices that
# own the licensed GB/T 9704 faces (仿宋_GB2312, 方正小标宋) get them; the free Noto CJK fonts from
# Debian's fonts-noto-cjk are the fallback that still renders every Chinese glyph.
PDF_FONT_SERIF = env_list("PDF_FONT_SERIF", "FangSong_GB2312,仿宋_GB2312,FangSong,仿宋,Noto Serif CJK SC")
PDF_FONT_TITLE = env_list("PDF_FONT_TITLE", "方正小标宋简体,FZXiaoBiaoSong-B05S,方正小标宋_GBK,Noto Serif CJK SC")
PDF_FONT_SANS = env_list("PDF_FONT_SANS", "黑体,SimHei,Noto Sans CJK SC")
# 小标宋 is a single heavy face: offices that install it set 400. The Noto fallback needs its Bold.
PDF_FONT_TITLE_WEIGHT = int(os.environ.get("PDF_FONT_TITLE_WEIGHT", 700))
# Ledger PDFs are drawn in the web request until the task worker takes documents over
# (workflows/documents/render_limits.py). A large one (more than LEDGER_PDF_LARGE_ROWS rows) keeps a server
# process busy for seconds to tens of seconds: each person may start LEDGER_PDF_LARGE_RATE of them
# ("count/period", e.g. "2/10m"). Someone who only observes gets at most LEDGER_PDF_OBSERVER_ROWS
# rows as PDF (Excel has no limit). Past notices.ledger.PDF_MAX_ROWS (3,000) nobody gets a PDF.
LEDGER_PDF_LARGE_ROWS = int(os.environ.get("LEDGER_PDF_LARGE_ROWS", 500))
LEDGER_PDF_LARGE_RATE = os.environ.get("LEDGER_PDF_LARGE_RATE", "2/10m")
LEDGER_PDF_OBSERVER_ROWS = int(os.environ.get("LEDGER_PDF_OBSERVER_ROWS", 500))
# django-ratelimit counts in the default cache, which every server process must share: Redis when
# REDIS_URL is set. Its check knows only memcached and django-redis; Django's own Redis cache
# increments atomically as well (W001 silenced). The embedded mode runs one server process, so
# its local-memory cache is shared by all the requests there are (E003 silenced there only).
SILENCED_SYSTEM_CHECKS = [
    *globals().get("SILENCED_SYSTEM_CHECKS", []),
    "django_ratelimit.W001",
    *([] if REDIS_URL else ["django_ratelimit.E003"]),
]

# --- Cycles (双周调度、双周排队) ---------------------------------------------------------------
# Reporting runs in 14-day cycles counted from an anchor date (best a Monday). Each cycle's
# reports are due at its cut-off: the given weekday (0 = Monday … 6 = Sunday) and time of the
# cycle's second week, on Asia/Shanghai time (no daylight saving: every cycle is exactly 14 × 24 h).
# `manage.py tick` (cron, every minute) opens and closes cycles, ranks the units and escalates.
CYCLE_ANCHOR = os.environ.get("CYCLE_ANCHOR", "2023-05-29")
CYCLE_LENGTH_DAYS = int(os.environ.get("CYCLE_LENGTH_DAYS", 14))
CYCLE_CUTOFF_WEEKDAY = int(os.environ.get("CYCLE_CUTOFF_WEEKDAY", 4))
CYCLE_CUTOFF_TIME = os.environ.get("CYCLE_CUTOFF_TIME", "17:00")
CYCLE_TIME_ZONE = os.environ.get("CYCLE_TIME_ZONE", "Asia/Shanghai")
# A unit should claim (签收) an assignment within this many days of its issue.
CYCLE_CLAIM_DAYS = int(os.environ.get("CYCLE_CLAIM_DAYS", 3))
# An assignment issued less than this many days before a cut-off owes no report for that cycle yet.
CYCLE_REPORT_GRACE_DAYS = int(os.environ.get("CYCLE_REPORT_GRACE_DAYS", 7))
# Near-due reminders: sent once each, this many days before the deadline.
CYCLE_REMINDER_DAYS = [int(d) for d in env_list("CYCLE_REMINDER_DAYS", "3,1")]
# Escalation ladder: consecutive cycles ranked last in the peer group before a unit is named in
# the notice, put on the interview (约谈) list, and referred for accountability (问责).
CYCLE_LADDER = [int(n) for n in env_list("CYCLE_LADDER", "1,2,3")]

# --- Background worker (django-tasks + django-tasks-db) ----------------------------------------
# Jobs are rows in the database (SQLite embedded, PostgreSQL in production), run by
# `manage.py db_worker`: one beside the server in `make run`, as many processes on as many machines
# as needed in production (each takes rows with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A document or import job that fails is tried again this many times in all, then shown as failed
# (with its error) to whoever asked and to the office, who may retry it.
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", 3))
# Files a job produced are kept this many hours, then deleted by tick.
JOB_FILE_HOURS = int(os.environ.get("JOB_FILE_HOURS", 24))

# --- Messages leaving the app (outbox; supervision/outbox/) --------------------------------------
# Links inside e-mails and robot messages point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# E-mail: SMTP in production (EMAIL_HOST …), printed to the console in development.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 20))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "督查督办系统 <noreply@localhost>")
# The group robots' documented addresses; tests and air-gapped sites point them elsewhere.
WECOM_WEBHOOK_URL = os.environ.get("WECOM_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
DINGTALK_WEBHOOK_URL = os.environ.get("DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send")
# A group robot's address must be on the server of the address above for its kind (a unit's leader
# adds robots, and must not make this server call hosts of the internal network), or on one of
# these: an office whose network reaches the providers through a proxy lists it here ("host",
# "host:port", or "http://host:port" when the proxy speaks plain http). In development (DEBUG)
# the local receiver on 127.0.0.1 is allowed too.
ROBOT_EXTRA_HOSTS = env_list("ROBOT_EXTRA_HOSTS", "")
# Seconds a channel may take to answer.
OUTBOX_TIMEOUT = float(os.environ.get("OUTBOX_TIMEOUT", 10))
# Tries before a delivery is shown as failed; waits grow 30 s, 1 min, 2 min … (capped at an hour).
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 6))
OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", 30))
# Messages of one batch a worker sends at once (threads: each waits on a slow server, not the CPU).
OUTBOX_SEND_THREADS = int(os.environ.get("OUTBOX_SEND_THREADS", 8))
# Encrypts webhook keys and signing secrets at rest (Fernet). Defaults to a key derived from
# SECRET_KEY; set it apart to rotate SECRET_KEY without re-entering every robot's key.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

# --- REST API (workflows/api/) -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workflows.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["workflows.api.auth.TokenScopePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workflows.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["workflows.api.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE", "600/min")},
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "督查督办系统 API",
    "DESCRIPTION": "Units, letters, items, tasks, reports, cycles, rankings and notices; every task "
    "transition through the same rules as the web pages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No validator badge: it would call an outside service (and the CSP blocks it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
