"""Settings, all taken from the environment (see README, "Environment variables").

The embedded default needs nothing set: SpatiaLite file in the project folder,
Celery tasks run in-process. Production sets DATABASE_URL=postgis://…,
CELERY_BROKER_URL=redis://…, SECRET_KEY and ALLOWED_HOSTS.
"""

import sys
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from config.broker import task_routes
from config.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.secret_key("SECRET_KEY", debug=DEBUG, dev_default="dev-only-key-never-used-in-production-0123456789")
ALLOWED_HOSTS = env.allowed_hosts("ALLOWED_HOSTS", debug=DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
# The site's address as people reach it, for absolute links in e-mails (a case's page); required
# with DEBUG off (system check accounts.E002).
SITE_URL = env.site_url("SITE_URL", debug=DEBUG)

INSTALLED_APPS = [
    "accounts.admin_apps.CityAdminConfig",  # django.contrib.admin on accounts.admin_site.CityAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files: no CDN on an intranet
    "csp",
    "leaflet",
    "axes",  # failed logins and lockouts; before audit, whose receivers read what axes marked
    "django_otp",  # two-factor login (accounts.otp): authenticator apps (TOTP) and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "audit",
    "config",  # the runtime: manage.py serve
    "accounts",
    "grids",
    "cases",
    "assessments",
    "citizens",
    "open311",
    "ops",  # health, readiness, metrics, backups (docs/OPERATIONS.md)
    "assets",  # the component inventory (部件普查)
    "devices",  # cameras and sensors, and their alerts
    "campaigns",  # special campaigns (专项整治)
    "exchange",  # 12345 and other upstream systems, the higher-level platform (上级平台)
    "gazetteer",  # addresses and places found offline (地名地址, 地理编码)
]
# The demo county (seed_demo, load_demo_history) exists only on development machines (DEBUG),
# or in the one process that is explicitly asked for it: `manage.py seed_demo --force` on a
# throwaway system with DEBUG off (the command still refuses without --force). Read from the
# command line (argv[1] is where Django itself reads the command's name) rather than from a
# variable of its own, so that asking for seed_demo is the whole switch and nothing can leave
# it on: a production process (gunicorn, celery, any other command) never has the app.
if DEBUG or sys.argv[1:2] == ["seed_demo"]:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # requests counted and timed (/metrics)
    "config.middleware.RequestContextMiddleware",  # the request's id (and user, case) in every log line
    # NUL in an address: 400; a body over its view's limit: 413, before anything reads it (config.limits)
    "config.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.gate.SecurityGateMiddleware",  # idle and absolute session limits; steps owed after a login
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lockout into the login page saying until when
    "config.middleware.DatabaseUnavailableMiddleware",  # a lost database answers 503, not 500
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.roles",
                "cases.context_processors.calendar_warning",
            ],
        },
    },
]

# Database: SpatiaLite file by default, PostGIS in production.
DATABASES = {"default": env.database("DATABASE_URL", default=f"spatialite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60, minimum=0)
# A kept connection that died meanwhile (a database restart, a failover, an idle timeout) is
# replaced at the start of the next request instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # Many readers and one writer without "database is locked" under load.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
    # Writers take the lock when their transaction begins, so two requests acting
    # on one case queue up instead of one failing with "database is locked".
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
if DATABASES["default"]["ENGINE"].endswith("postgis"):
    # grids.selectors.grid_at_point runs one statement on every located case:
    # let psycopg prepare it (Django's default client-side binding never
    # prepares anything else), and reuse its plan instead of replanning per call.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    # No JIT: compiling the assessment aggregates (many filtered counts) took 0.3 s, longer than
    # running them; nothing here is a long analytic query that would pay for it.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c plan_cache_mode=force_generic_plan -c jit=off")
SPATIALITE_LIBRARY_PATH = env.str("SPATIALITE_LIBRARY_PATH", default="mod_spatialite")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# GDAL < 3.9 cannot block file/network access from spatial-reference strings.
# No user input reaches GDAL's SRS parser here: uploaded GeoJSON is turned into
# geometries by grids.services without GDAL, always in EPSG:4326.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Cache: per-process memory by default; Redis in production (shared by all
# web nodes and workers, e.g. for import progress).
CACHES = {"default": env.cache("CACHE_URL", default="locmem://")}
# Redis (broker and cache) is optional for a request: every call to it is bounded by this timeout
# (connecting, and each answer), and none is retried in the request path (config/broker.py,
# config/cache.py; docs/OPERATIONS.md "Broker or cache outage").
REDIS_TIMEOUT_SECONDS = env.int("REDIS_TIMEOUT_SECONDS", default=2, minimum=1)
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }

# Passwords (accounts.passwords): at least PASSWORD_MIN_LENGTH characters of 3 of the 4 kinds
# (lower, upper, digit, other), not a common password (Django's list of 20,000 from breaches),
# not the user name nor like it, none of the last PASSWORD_HISTORY; older than
# PASSWORD_MAX_AGE_DAYS (0: never), or set by an administrator, it must be changed at login.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=8, minimum=8)
PASSWORD_HISTORY = env.int("PASSWORD_HISTORY", default=5, minimum=0)
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90, minimum=0)
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "accounts.passwords.NotUsernameValidator"},
    # Also records every new password (its age, who set it): keep it even with PASSWORD_HISTORY=0.
    {"NAME": "accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins (django-axes): after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES,
# counted per account and per client address separately, that account or address is locked
# until LOGIN_LOCKOUT_MINUTES after its last failure, or until a security administrator
# unlocks it. Failed API token authentications count per address the same way.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_CLIENT_IP_CALLABLE = "citizens.ratelimit.client_ip"  # the same address as rate limits and the audit log
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False  # a success must not wipe an address's failures against other accounts
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit log
AXES_ENABLE_ADMIN = False  # accounts.admin shows lockouts with an audited unlock action
AXES_VERBOSE = False
# The security audit log (audit): rows are kept at least this long; 180 days is the legal floor.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180, minimum=180)
# Sessions (accounts.gate): end after SESSION_IDLE_MINUTES without a request, and at the latest
# SESSION_COOKIE_AGE seconds after the login, whatever happens (and when the browser closes).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600, minimum=60)
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# API tokens (accounts.tokens): one per device, each valid this many days after it is made.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90, minimum=1)
# Two-factor login (accounts.otp) is required of these roles (role codes of accounts.roles, and
# "superuser" and "staff"): by default of every privileged role with DEBUG off, of nobody with
# DEBUG on (the demo). "none" requires it of nobody; anyone may still enrol.
OTP_REQUIRED_ROLES = env.list(
    "OTP_REQUIRED_ROLES",
    default=[] if DEBUG else ["superuser", "staff", "system_admin", "security_admin", "audit_admin",
                              "shift_leader", "supervisor"],
)  # fmt: skip
if OTP_REQUIRED_ROLES == ["none"]:
    OTP_REQUIRED_ROLES = []
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="城市网格化管理")

# Personal information (config.pii): reporters' names, phones and e-mails are encrypted with the
# first of PII_KEYS (Fernet keys, newest first; every one decrypts, for rotation). With DEBUG on and
# none set, one is derived from SECRET_KEY; with DEBUG off none is: config.E001 stops start-up.
PII_KEYS = env.list("PII_KEYS")
if PII_KEYS:
    from config.pii import keys_check

    keys_check(PII_KEYS)
elif DEBUG:
    from config.pii import derived_key

    PII_KEYS = [derived_key(SECRET_KEY)]
# Reporters' contact details are erased this many days after their case is closed (not accepted,
# cancelled): cases.privacy.reporter_contacts_erase, hourly by the beat.
REPORTER_CONTACT_RETENTION_DAYS = env.int("REPORTER_CONTACT_RETENTION_DAYS", default=180, minimum=1)

# Internationalisation: Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Media are served by cases.media, which checks who asks. Set to the internal location of the web
# server in front (e.g. /protected-media/, deploy/nginx/citydispatch.conf) to have it send the
# bytes (X-Accel-Redirect); empty: the application sends them itself.
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
if MEDIA_ACCEL_REDIRECT and not (MEDIA_ACCEL_REDIRECT.startswith("/") and MEDIA_ACCEL_REDIRECT.endswith("/")):
    raise ImproperlyConfigured(
        f"MEDIA_ACCEL_REDIRECT must be a path such as /protected-media/, got {MEDIA_ACCEL_REDIRECT!r}."
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Case photos (cases.photos): larger files, or images of more pixels (decompression bombs), are refused.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024, minimum=1)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000, minimum=1)
# What the pixels of one image may take in memory once decoded (cases.photos): a JPEG is decoded
# at a reduced scale (draft) that still covers the display copy; a PNG or WebP, which cannot be,
# is refused above it (a 6300 × 6300 PNG of 131 KB would take 159 MB).
PHOTO_DECODE_MAX_BYTES = env.int("PHOTO_DECODE_MAX_BYTES", default=48 * 1024 * 1024, minimum=1024 * 1024)
# Request bodies (config.limits): larger ones answer 413 before a byte is read. Most addresses
# take forms and JSON only; those that take photos or imports say so (config.limits.body_limit).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=1024 * 1024, minimum=64 * 1024)
_MIB = 1024 * 1024
PHOTO_UPLOAD_MAX_BYTES = PHOTO_MAX_BYTES + _MIB  # 随手拍, Open311: one photo and its form
SNAPSHOT_UPLOAD_MAX_BYTES = PHOTO_MAX_BYTES * 4 // 3 + _MIB  # a device's snapshot, possibly base64 in JSON
CASE_UPLOAD_MAX_BYTES = 9 * PHOTO_MAX_BYTES + _MIB  # staff intake and actions: cases.photos.PHOTOS_MAX photos
IMPORT_MAX_BYTES = 50 * _MIB + _MIB  # grid, asset and gazetteer imports (admin): a city's GeoJSON file is large
# Form fields other than files, held in memory (Django's default): files stream to disk up to the
# body's limit; nothing here posts large text fields (the imports send files).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A dispatch waiting longer than this for its grid chief's approval passes one level up (cases.sla).
APPROVAL_LIMIT_MINUTES = env.int("APPROVAL_LIMIT_MINUTES", default=30, minimum=1)
# ... counted in working time (office hours, the official calendar) or in natural time.
APPROVAL_LIMIT_TIME = env.choice("APPROVAL_LIMIT_TIME", {"working", "natural"}, "working")
# Grid import (grids.services): sibling grids overlapping by less than this many m² are digitising
# slivers, accepted and named among the import's warnings; larger overlaps refuse the file.
GRID_OVERLAP_TOLERANCE_M2 = env.int("GRID_OVERLAP_TOLERANCE_M2", default=1, minimum=0)
# Reverse lookup (gazetteer.selectors): a map click finds a door number, street or place this near.
GAZETTEER_REVERSE_M = env.int("GAZETTEER_REVERSE_M", default=50, minimum=1)

# Citizens' 随手拍 (citizens) and Open311 (open311): rate limits, counted in the cache.
CITIZEN_REPORTS_PER_IP_PER_HOUR = env.int("CITIZEN_REPORTS_PER_IP_PER_HOUR", default=10, minimum=1)
CITIZEN_REPORTS_PER_PHONE_PER_DAY = env.int("CITIZEN_REPORTS_PER_PHONE_PER_DAY", default=5, minimum=1)
# Ratings of closed cases on the status page, per client address (each case is rated once anyway),
# and whether a citizen's 不满意 reopens the case (重办) by itself.
CITIZEN_RATINGS_PER_IP_PER_HOUR = env.int("CITIZEN_RATINGS_PER_IP_PER_HOUR", default=20, minimum=1)
CITIZEN_DISSATISFIED_REOPENS = env.bool("CITIZEN_DISSATISFIED_REOPENS", default=True)
OPEN311_REQUESTS_PER_KEY_PER_HOUR = env.int("OPEN311_REQUESTS_PER_KEY_PER_HOUR", default=1000, minimum=1)
# Reverse proxies in front of the application whose X-Forwarded-For may be believed (0: none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
# Open311 jurisdiction_id: empty accepts any value (one jurisdiction served); set, others are refused.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
# The sources whose cases Open311 `GET requests` lists (privacy kept: never names, phones or notes);
# requests posted through Open311 are listed whatever their source. Checked against the sources
# when the open311 app starts (open311.apps).
OPEN311_PUBLIC_SOURCES = env.list("OPEN311_PUBLIC_SOURCES", ["citizen", "hotline", "inspector", "chief_patrol"])
# Alerts a device key (or an integration's) may post (devices.api): N/s, /min, /hour or /day.
DEVICE_ALERTS_RATE = env.rate("DEVICE_ALERTS_RATE", default="600/min")
# Work orders an upstream system's key may post (exchange.api: 12345 工单, 上级交办).
EXCHANGE_ORDERS_RATE = env.rate("EXCHANGE_ORDERS_RATE", default="600/min")

# HTTPS. With DEBUG off every one of these is on unless its variable turns it off: behind a
# proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER (the header the proxy sets to https,
# e.g. X-Forwarded-Proto) so that Django sees the request was secure; turn SECURE_SSL_REDIRECT
# off only if the proxy redirects to HTTPS itself.
SECURE_PROXY_SSL_HEADER = env.proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # Browsers' preload lists take public registrable domains only, never an intranet host such
    # as grid.example.gov.cn: opting in is for a city that serves the product on its own domain.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Celery: CELERY_BROKER_URL unset → tasks run in-process (embedded mode).
CELERY_BROKER_URL = env.broker("CELERY_BROKER_URL")
CELERY_EMBEDDED = CELERY_BROKER_URL is None
if CELERY_EMBEDDED:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# One queue per kind of work (config/broker.py QUEUES): notifications, photos, reports, sweeps.
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
CELERY_TASK_ROUTES = task_routes(CELERY_QUEUE_PREFIX)
# A hung broker must not hang the request that commits a change: bounded sockets, no publish
# retries (what was not handed over, the outbox sweep hands over later).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Operations (ops, docs/OPERATIONS.md): the beat's heartbeat every OPS_HEARTBEAT_SECONDS; /readyz
# turns red when it is older than BEAT_STALE_AFTER_SECONDS (heartbeat + stale ≤ 2 minutes).
OPS_HEARTBEAT_SECONDS = env.int("OPS_HEARTBEAT_SECONDS", default=30, minimum=1)
BEAT_STALE_AFTER_SECONDS = env.int("BEAT_STALE_AFTER_SECONDS", default=90, minimum=1)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, there are no metrics.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# How long a worker's claim on a notification lasts without renewal (cases.notifications: renewed
# every third of it while a send lasts; a dead worker's claim is taken back after it).
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=60, minimum=3)
# Where `manage.py backup` writes its archives by default.
BACKUP_DIR = env.str("BACKUP_DIR", default=str(BASE_DIR / "backups"))
# Load balancers and Prometheus probe over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Periodic jobs, run by the one Celery beat (deploy/systemd/citydispatch-beat.service).
CELERY_BEAT_SCHEDULE = {
    # Notifications whose task never reached the broker, or whose worker died: hand them over again.
    "sweep-notifications": {
        "task": "cases.tasks.sweep_notifications",
        "schedule": 60.0,
        "options": {"expires": 55},  # sweeps missed while no worker ran are not worth running late
    },
    # Photos whose thumbnail task never reached the broker, or whose worker died: hand them over again.
    "sweep-photos": {
        "task": "cases.tasks.sweep_photos",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Handling clocks: a warning at 80 % of the limit, overdue (and escalated) above 100 %; once each per round.
    "sla-sweep": {
        "task": "cases.tasks.sla_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Dispatches waiting for a grid chief's approval past APPROVAL_LIMIT_MINUTES pass one level up.
    "approval-escalation-sweep": {
        "task": "cases.tasks.approval_escalation_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Reporters' contacts erased REPORTER_CONTACT_RETENTION_DAYS after their case ended (PIPL).
    "erase-reporter-contacts": {
        "task": "cases.tasks.erase_reporter_contacts",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    # The beat's heartbeat, through the broker to a sweeps worker: /readyz reads its age.
    "heartbeat": {
        "task": "ops.heartbeat",
        "schedule": float(OPS_HEARTBEAT_SECONDS),
        "options": {"expires": OPS_HEARTBEAT_SECONDS},
    },
    # Campaigns (专项整治): the cases their rules take in (their pages also do this before they read).
    "campaigns-tag": {
        "task": "campaigns.tasks.tag_campaigns",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # The assessment rollup: fold new case events in (pages also do this before they read).
    "assessments-refresh": {
        "task": "assessments.refresh_facts",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# E-mail (departments' dispatch notices): SMTP in production, the console in development.
_MAIL = "django.core.mail.backends"
EMAIL_BACKEND = env.choice(
    "EMAIL_BACKEND",
    {f"{_MAIL}.smtp.EmailBackend", f"{_MAIL}.console.EmailBackend", f"{_MAIL}.dummy.EmailBackend"},
    default=f"{_MAIL}.console.EmailBackend" if DEBUG else f"{_MAIL}.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="citydispatch@localhost")
try:  # one address, bare or as "城管派遣 <dispatch@example.gov.cn>"
    validate_email(DEFAULT_FROM_EMAIL.rpartition("<")[2].removesuffix(">"))
except ValidationError:
    raise ImproperlyConfigured(f"DEFAULT_FROM_EMAIL must be one e-mail address, got {DEFAULT_FROM_EMAIL!r}.") from None
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on; pick the one your server speaks.")
EMAIL_TIMEOUT = 10

REST_FRAMEWORK = {
    # Session for the browser, "Authorization: Token <key>" for apps. Session first:
    # an anonymous request gets 403 (a 401 would need a WWW-Authenticate scheme).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.TokenAuthentication",  # DRF's, with failures counted per address
    ],
    # Requests per client address (anonymous) and per user; over the rate, 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttles.AnonRateThrottle",  # DRF's, failing open when the cache is away
        "config.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.rate("API_THROTTLE_ANON", default="60/min"),
        "user": env.rate("API_THROTTLE_USER", default="1200/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # the same client address as citizens.ratelimit.client_ip
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    # One error format for the whole API: {"error": {"code", "message", "fields"}}.
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "City case dispatch API",
    "DESCRIPTION": (
        "Cases (report, read, act on), the catalogue and departments. Every error answers "
        '`{"error": {"code", "message", "fields"}}`; errors of case actions add `current_status`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Status",
        "CaseSourceEnum": "cases.models.Source",
        "CaseUrgencyEnum": "cases.models.Urgency",
        "BulletinIssueKindEnum": "assessments.models.BulletinIssue.Kind",
        "BulletinIssueStatusEnum": "assessments.models.BulletinIssue.Status",
    },
    # Swagger UI and Redoc from drf_spectacular_sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise send the schema's address to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Map: the base layer. "none" (default: works on an intranet with nothing
# installed), "tianditu" (needs TIANDITU_KEY), or a tile URL template of a local
# tile server such as http://tiles.intranet/{z}/{x}/{y}.png.
MAP_TILES = env.str("MAP_TILES", default="none")
TIANDITU_KEY = env.str("TIANDITU_KEY", default="")
if MAP_TILES == "tianditu" and not TIANDITU_KEY:
    raise ImproperlyConfigured("TIANDITU_KEY is required when MAP_TILES=tianditu.")
if MAP_TILES not in {"none", "tianditu"} and not (
    MAP_TILES.startswith(("http://", "https://", "/")) and "{z}" in MAP_TILES
):
    raise ImproperlyConfigured(
        f"MAP_TILES must be 'none', 'tianditu' or a tile URL template containing {{z}}/{{x}}/{{y}}, got {MAP_TILES!r}."
    )
if MAP_TILES == "none":
    MAP_TILE_LAYERS = []
elif MAP_TILES == "tianditu":
    _tdt = (
        "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + TIANDITU_KEY
    )
    _tdt_opts = {"subdomains": "01234567", "maxZoom": 18, "attribution": "天地图"}
    MAP_TILE_LAYERS = [
        (_("Tianditu"), _tdt % ("vec", "vec"), _tdt_opts),
        (_("Tianditu labels"), _tdt % ("cva", "cva"), _tdt_opts),
    ]
else:
    MAP_TILE_LAYERS = [(_("Local tiles"), MAP_TILES, {"maxZoom": 19})]
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (34.92, 118.65),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "TILES": MAP_TILE_LAYERS,  # the admin widgets and the pages draw the same base layer
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# Logs on standard output (journald keeps them): one JSON object a line with DEBUG off, with the
# request, user, case, delivery and task ids (config/logging.py); plain lines for development.
LOG_FORMAT = env.choice("LOG_FORMAT", {"json", "plain"}, default="plain" if DEBUG else "json")


# Content-Security-Policy (django-csp) on every page: scripts and style sheets only from this
# site's own files, never inline (a page's inline code would run whatever an injected name
# carried); a nonce only where a library writes an inline script we cannot move (django-leaflet's
# map widget in the admin asks for one). Style attributes stay allowed: ECharts' tooltips and
# Leaflet's markup carry them, and with images, fonts and requests limited to this site an
# injected style attribute can neither run code nor send anything away. Images also from data:
# (Swagger UI's icons, Leaflet's) and blob: (the photo previews of 随手拍), and from the map
# tile server when MAP_TILES names one.
def _tile_origins(layers) -> list[str]:
    origins = []
    for _name, url, _options in layers:
        if url.startswith(("http://", "https://")):
            scheme, _sep, rest = url.partition("://")
            host = rest.split("/", 1)[0]
            # a subdomain placeholder (t{s}.tianditu.gov.cn) is any subdomain: *.tianditu.gov.cn
            labels = host.split(".")
            if "{" in labels[0]:
                labels[0] = "*"
            origins.append(f"{scheme}://{'.'.join(labels)}")
    return sorted(set(origins))


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_tile_origins(MAP_TILE_LAYERS)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "config.logging.PlainFormatter"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes narrates every login at INFO; its warnings (failures, lockouts) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
    # Celery's worker installs its own handlers unless told not to (CELERY_WORKER_HIJACK_ROOT_LOGGER).
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
