"""Settings for Callcenter. Everything that differs between machines comes from the environment;
the defaults are safe for development. Production: set DEBUG=0, SECRET_KEY, ALLOWED_HOSTS,
CSRF_TRUSTED_ORIGINS, DATABASE_URL, REDIS_URL; `manage.py check --deploy` then reports nothing."""

from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from .env import (
    checked_secret_key,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    proxy_ssl_header,
    storage_from_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
# With DEBUG off the app refuses to start on this key (or any weak one): see env.checked_secret_key.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = checked_secret_key(
    env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY), debug=DEBUG, development_key=DEVELOPMENT_SECRET_KEY
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "callcenter",
    "contacts",
    "scripts",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "callcenter.uploads.RefuseOversizedRequestsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "callcenter.middleware.RefuseNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "callcenter.middleware.NoStoreWhenSignedInMiddleware",
    "callcenter.audit_context.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages (they tell why the user is back on the login page), before anything that
    # counts the user as present or working.
    "callcenter.signin.middleware.SessionExpiryMiddleware",
    "callcenter.signin.middleware.TwoFactorMiddleware",
    "callcenter.signin.middleware.PasswordChangeDueMiddleware",
    "campaigns.middleware.OperatorPresenceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Around the views only (after everything that reads the session and the user): the read-only
    # views of callcenter.db_routing.REPLICA_READ_VIEWS read from the replica when there is one.
    "callcenter.db_routing.ReplicaReadsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "callcenter.urls"
WSGI_APPLICATION = "callcenter.wsgi.application"
ASGI_APPLICATION = "callcenter.asgi.application"

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
                "callcenter.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/callcenter"))}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
# Dispatch and outcome statements run as server-side prepared statements (campaigns.services.
# prepared); switch off behind a transaction-mode pooler (PgBouncer), where they do not survive.
CALLCENTER_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# Server-side cursors (QuerySet.iterator) do not survive there either: the pooler may hand the
# next fetch to another server connection.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = not CALLCENTER_PREPARED_STATEMENTS
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Optional read replica (a streaming hot standby of the primary): the heavy read-only pages and API
# calls read there while it is up and no more than REPLICA_MAX_LAG_SECONDS behind; everything else,
# and those too when it is not usable, uses the primary (callcenter/db_routing.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL)
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", "2")  # a stopped standby fails fast
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests never create or flush a database there
DATABASE_ROUTERS = ["callcenter.db_routing.PrimaryReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(env_str("REPLICA_MAX_LAG_SECONDS", "10"))
REPLICA_CHECK_SECONDS = float(env_str("REPLICA_CHECK_SECONDS", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "callcenter"),
        # A Redis that hangs must not hang a request (or a dispatch holding its locks): give up
        # after a while; the console's cache uses fall back to working without it.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Mail: the salespeople's appointment invitations (campaigns.services.appointment_invitations).
# In development they are printed to the console unless a backend is named.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that hangs must not hang the request that booked the appointment for long.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "appointments@callcenter.invalid")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: its password_changed() revokes the user's API tokens wherever a password changes.
    {"NAME": "callcenter.signin.tokens.RevokeTokensOnPasswordChange"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins (login page, admin, API token) lock the username *from that address* after
# AXES_FAILURE_LIMIT failures: someone typing a colleague's name at another desk cannot lock the
# colleague out. An address that fails for AXES_IP_USERNAME_LIMIT different usernames within the
# cool-off is blocked for every username (password spraying); a floor behind one NAT address only
# meets that limit if someone there tries many names. callcenter.signin.lockout has both rules.
AXES_HANDLER = "callcenter.signin.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_USERNAME_LIMIT = env_int("AXES_IP_USERNAME_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy every request comes from the proxy's address: say how many proxies
# append to X-Forwarded-For, so the client's own address is the one counted.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Two-factor sign-in (TOTP with recovery codes, django-otp): required for these roles (group
# names, or "admin" for superusers), optional for the others. callcenter.signin.two_factor.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", ["Supervisor", "Manager", "admin"])
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "Callcenter")
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code
OTP_STATIC_THROTTLE_FACTOR = 1

# API tokens (callcenter.signin.tokens): a personal token from POST /api/v1/auth/token/ lives this
# long; integration tokens, issued by a superuser, as long as chosen (default a year).
API_TOKEN_LIFETIME_HOURS = env_int("API_TOKEN_LIFETIME_HOURS", 12)
API_INTEGRATION_TOKEN_DAYS = env_int("API_INTEGRATION_TOKEN_DAYS", 365)

# Browser sessions end SESSION_ABSOLUTE_HOURS after sign-in whatever happens, and after
# SESSION_IDLE_MINUTES without use for users who see customer data (callcenter.signin.sessions).
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 8)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files (imports) go through Django's storage API: under MEDIA_ROOT, or with STORAGE_URL
# set in an S3-compatible object store that every web and worker host reads (callcenter.env).
STORAGE_URL = env_str("STORAGE_URL", "")
STORAGES = {
    "default": storage_from_url(STORAGE_URL),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "callcenter.signin.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "callcenter.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "callcenter.api_schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "callcenter.api.exception_handler",
    # Reading lists page by page is limited per user, getting a token per address and per username
    # (callcenter.throttles; the counts live in Redis). "N/second|minute|hour|day".
    "DEFAULT_THROTTLE_CLASSES": ["callcenter.throttles.ListThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "list": env_str("API_LIST_RATE", "120/minute"),
        "token_ip": env_str("API_TOKEN_RATE_PER_ADDRESS", "30/minute"),
        "token_username": env_str("API_TOKEN_RATE_PER_USERNAME", "10/minute"),
    },
    # The per-address throttle counts the same client address as the sign-in lockout: the
    # proxies of AXES_PROXY_COUNT (0: X-Forwarded-For is not believed, a client could name any).
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT or 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Callcenter API",
    "DESCRIPTION": "Outbound contact-center API: customers, do-not-call registry, segments, "
    "campaigns, call lists, dispatch, attempts and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response shapes as separate components: a request has no read-only fields, an
    # upload's file is binary (not the URL a response would carry), non-blank texts have minLength.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" or "status" field with different choices: name them.
    "ENUM_NAME_OVERRIDES": {
        "ImportKindEnum": "contacts.models.ImportJob.Kind",
        "ImportStatusEnum": "contacts.models.ImportJob.Status",
        "EntryStatusEnum": "campaigns.models.CallListEntry.Status",
        "AssignableRoleEnum": "callcenter.people.ASSIGNABLE_ROLES",
        "AccountRoleEnum": "callcenter.people.ACCOUNT_ROLES",
    },
}

# Celery: Redis is the broker; results are not needed by the product (tasks write to the DB).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "callcenter")
# One queue per kind of work, `<CELERY_QUEUE>.<kind>`, so each kind can get workers of its own
# (an import cannot hold up retry scheduling, a KPI backlog cannot hold up a list build): a task
# whose name matches a pattern goes to its kind's queue (callcenter.celery.route_by_kind), any
# other task to CELERY_QUEUE. A worker started without -Q consumes every queue (`make run`).
CELERY_WORK_KINDS = {
    "imports": ["contacts.tasks.imports.*"],
    "lists": ["campaigns.tasks.setup.build_call_list_task"],
    "scheduling": ["campaigns.tasks.console.*", "campaigns.tasks.setup.apply_campaign_dates_task"],
    "kpis": ["campaigns.tasks.kpis.*"],
    "mail": ["*.tasks.mail.*"],
}
CELERY_TASK_QUEUES = [
    Queue(name)
    for name in [CELERY_TASK_DEFAULT_QUEUE] + [f"{CELERY_TASK_DEFAULT_QUEUE}.{kind}" for kind in CELERY_WORK_KINDS]
]
CELERY_TASK_ROUTES = ["callcenter.celery.route_by_kind"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
from celery.schedules import crontab  # noqa: E402 (for the beat entries below)

# Periodic tasks are declared here and only here (each with an expiry so a backlog never piles up).
CELERY_BEAT_SCHEDULE: dict = {
    # Imports: uploads abandoned in the column-mapping step are deleted after a day.
    "imports-discard-stale-uploads": {
        "task": "contacts.tasks.imports.discard_stale_uploads",
        "schedule": crontab(hour=4, minute=10),
        "options": {"expires": 3 * 3600},
    },
    # Imports: the uploaded files of imports finished UPLOAD_RETENTION_DAYS ago are deleted.
    "imports-delete-expired-uploads": {
        "task": "contacts.tasks.imports.delete_expired_uploads",
        "schedule": crontab(hour=4, minute=15),
        "options": {"expires": 3 * 3600},
    },
    # API tokens expired or revoked a month ago are deleted (the audit trail keeps their story).
    "api-tokens-delete-old": {
        "task": "callcenter.tasks.delete_old_api_tokens",
        "schedule": crontab(hour=4, minute=20),
        "options": {"expires": 3 * 3600},
    },
    # History tables partitioned by month: this month and PARTITION_MONTHS_AHEAD more exist
    # (callcenter.partitions). Daily on the general queue: a few catalog reads and, once a month,
    # a CREATE TABLE that must not wait behind an import or a list build.
    "partitions-create-ahead": {
        "task": "callcenter.tasks.create_partitions_ahead",
        "schedule": crontab(hour=2, minute=40),
        "options": {"expires": 6 * 3600},
    },
    # Campaign start/end dates applied within a minute of midnight (campaigns setup).
    "campaigns-apply-dates": {
        "task": "campaigns.tasks.setup.apply_campaign_dates_task",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # KPI rollups: at most a minute behind the calls, rebuilt from the raw tables every night.
    "kpis-refresh-rollups": {
        "task": "campaigns.tasks.kpis.refresh_kpi_rollups_task",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "kpis-reconcile-rollups": {
        "task": "campaigns.tasks.kpis.reconcile_kpi_rollups_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3 * 3600},
    },
    # Operator work: abandoned holds go back in the queue; entries pushed back by another
    # campaign's calls (cap, cool-off) get their next attempt recomputed.
    "console-release-expired-holds": {
        "task": "campaigns.tasks.console.release_expired_holds",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "console-sign-off-absent-operators": {
        "task": "campaigns.tasks.console.sign_off_absent_operators",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "console-reschedule-touched-entries": {
        "task": "campaigns.tasks.console.reschedule_entries_touched_elsewhere",
        "schedule": 120.0,
        "options": {"expires": 100},
    },
}

# Product settings
# Monthly partitions of the call attempts and the audit trail (callcenter.partitions, the beat
# entry above): how many months ahead exist, and how many whole months before the current one stay
# in the live tables when `manage.py archive_history` runs (0: keep everything).
PARTITION_MONTHS_AHEAD = env_int("PARTITION_MONTHS_AHEAD", 3)
ATTEMPT_RETENTION_MONTHS = env_int("ATTEMPT_RETENTION_MONTHS", 0)
AUDIT_RETENTION_MONTHS = env_int("AUDIT_RETENTION_MONTHS", 0)
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "JP")
# The key of the hash that replaces an erased customer's phone numbers (contacts.services.erasure).
# Keep it for good: a new key stops matching the numbers erased before it.
ERASURE_HASH_KEY = env_str("ERASURE_HASH_KEY", "") or SECRET_KEY
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)
# Days an import's uploaded file is kept after the run finished (a customer list is personal data;
# the job's summary and error report stay): contacts.services.imports.delete_expired_uploads.
UPLOAD_RETENTION_DAYS = env_int("UPLOAD_RETENTION_DAYS", 30)
# An .xlsx file is refused before it is opened when it would unpack to more than
# XLSX_MAX_UNPACKED_BYTES, or when a part of it packs more tightly than a spreadsheet does (a zip
# bomb); reading a sheet stops after XLSX_MAX_EMPTY_ROWS empty rows in a row.
XLSX_MAX_UNPACKED_BYTES = env_int("XLSX_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
XLSX_MAX_COMPRESSION_RATIO = env_int("XLSX_MAX_COMPRESSION_RATIO", 100)
XLSX_MAX_EMPTY_ROWS = env_int("XLSX_MAX_EMPTY_ROWS", 10_000)
PRENOTICE_MAX_BYTES = env_int("PRENOTICE_MAX_BYTES", 10 * 1024 * 1024)
# No request body may be larger than the largest upload (and its form): refused before it is read.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", max(IMPORT_MAX_BYTES, PRENOTICE_MAX_BYTES) + 1024 * 1024)
DISPATCH_HOLD_MINUTES = env_int("DISPATCH_HOLD_MINUTES", 15)
# The console renews its hold while the call goes on (every DISPATCH_HOLD_RENEW_SECONDS while the
# customer is on the line or the page is used), never past DISPATCH_HOLD_MAX_MINUTES after the
# dispatch: a tab left open mid-call overnight does not strand a customer either.
DISPATCH_HOLD_MAX_MINUTES = env_int("DISPATCH_HOLD_MAX_MINUTES", 120)
DISPATCH_HOLD_RENEW_SECONDS = env_int("DISPATCH_HOLD_RENEW_SECONDS", 60)
# An operator the product has not heard from for AGENT_ABSENT_MINUTES (the open console page pings
# every AGENT_PRESENCE_PING_SECONDS; console actions and operator API calls count too) is signed
# off as of the last contact: a closed tab must not count as logged-in time all night.
AGENT_ABSENT_MINUTES = env_int("AGENT_ABSENT_MINUTES", 15)
AGENT_PRESENCE_PING_SECONDS = env_int("AGENT_PRESENCE_PING_SECONDS", 60)
# The console's softphone (docs/softphone.md): the SIP server's WebSocket URL (wss:// in
# production; empty keeps the tel: link and manual timers), its SIP domain, and the secret it
# shares with this server for time-limited credentials (Kamailio auth_ephemeral, TURN REST style).
SIP_WS_URL = env_str("SIP_WS_URL", "")
SIP_DOMAIN = env_str("SIP_DOMAIN", "")
SIP_SHARED_SECRET = env_str("SIP_SHARED_SECRET", "")
SIP_CREDENTIAL_SECONDS = env_int("SIP_CREDENTIAL_SECONDS", 12 * 3600)
# STUN/TURN servers for the browser's media, comma-separated (stun:host:3478, turn:host:3478).
SIP_ICE_SERVERS = env_list("SIP_ICE_SERVERS", [])
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Security: strict when DEBUG is off, each switch overridable (e.g. TLS ended by a proxy).
# Trusted only when configured: without a proxy that sets it, any client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env_str("SECURE_PROXY_SSL_HEADER", ""))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own static files, none inline, so
# text that slipped into a page unescaped still cannot run. Inline styles stay allowed (style
# attributes, a few <style> blocks, htmx's indicator style): a style cannot run code. Bootstrap
# draws its form controls with data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
