"""Settings for the portal, read from the environment.

With no environment at all the portal runs locally on an embedded default: a SQLite file,
files on local disk, Celery tasks executed in-process and e-mail printed to the console.
Setting DATABASE_URL and REDIS_URL moves it onto PostgreSQL, Redis and real Celery workers.
PORTAL_ENV=production turns on the secure defaults and refuses to start without its secrets.
See docs/configuration.md for every variable.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The environment is read as it is. (A .env file beside manage.py is docker compose's, for the
# production stack; reading it here would turn a developer's local run into production.)
env = environ.Env()

PORTAL_ENV = env.str("PORTAL_ENV", default="local")
if PORTAL_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"PORTAL_ENV must be 'local' or 'production', not {PORTAL_ENV!r}.")
PRODUCTION = PORTAL_ENV == "production"


def _required_in_production(name: str, local_default: str) -> str:
    """Production must say what it means; locally a safe default keeps the portal one step away."""
    if PRODUCTION:
        return env.str(name)
    return env.str(name, default=local_default)


DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = _required_in_production(
    "SECRET_KEY", "local-only-key-never-used-in-production-0123456789abcdefghijklmnop"
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=None if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Local state (the SQLite file, uploaded evidence, rendered certificates) lives under var/.
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "portal",
    "qualifications",
    "portfolios",
    "competence",
    "assessment",
    "iqa",
    "certification",
    "eqa",
    "home",
    "privacy",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portfolios.middleware.UploadNameMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.roles.ActiveRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.roles.active_role",
                "portal.notifications.unread",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, from the start of its transaction, waiting its turn rather than
    # failing with "database is locked" (the audit chain relies on writers taking turns).
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A transaction that writes takes its audit chain before any row lock (portal.audit.lock_chain).
# The test settings turn this on so that a transaction breaking the rule fails at once on
# PostgreSQL, instead of deadlocking now and then under load; it costs a query per chain taken.
AUDIT_CHECK_LOCK_ORDER = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Evidence and certificates: local disk by default; S3-compatible storage when a bucket is named.
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    DEFAULT_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        # Hashed, compressed names need collectstatic, which the production image runs.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # The embedded default must work on a fresh clone: make its folders rather than fail on them.
    for folder in (VAR_DIR, STATIC_ROOT):
        folder.mkdir(parents=True, exist_ok=True)

# Uploads: anything over 2.5 MB streams to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=2 * 1024**3)
DATA_UPLOAD_MAX_NUMBER_FILES = 50
# Data protection: a learner's records are anonymised once nothing has happened on any of them
# for this many years (`apply_retention`; docs/data-protection.md). At least 3.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=6)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery. Without a broker the tasks run in-process when they are queued, which keeps the
# local default to one process; with REDIS_URL they go to real workers.
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("Production needs a broker for its workers: set REDIS_URL.")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis fails fast, so the pages that can do without it still answer.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="portal")
# A Redis that hangs (stopped, or cut off by the network without closing the connection) must
# not hang the request that queues a task: connecting and every command give up after
# REDIS_TIMEOUT seconds, and a publish is tried twice, so queueing gives up within about six
# seconds; the document stays pending for the sweep, an e-mail is sent in-process, and that
# process sends nothing for 30 seconds more (portal/broker.py). The cache's timeouts are
# shorter: a rate limit is worth less waiting than a certificate.
REDIS_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
}
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# A task is acknowledged only once it has finished, so a worker that dies mid-task leaves the
# task to be delivered again instead of losing it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
# Certificates and IQA documents left pending (the broker was down when they were asked for,
# or the worker holding them died) are queued again, every SWEEP_SECONDS.
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=300.0)
# How long a document must have been pending before a sweep sends it again.
PENDING_SECONDS = env.float("PENDING_SECONDS", default=120.0)
CELERY_BEAT_SCHEDULE = {
    "requeue-pending-certificates": {
        "task": "certification.tasks.requeue_pending_certificates",
        "schedule": SWEEP_SECONDS,
    },
    "requeue-pending-iqa-documents": {
        "task": "iqa.tasks.requeue_pending_iqa_documents",
        "schedule": SWEEP_SECONDS,
    },
    # The daily digests of notifications, at DIGEST_HOUR o'clock in TIME_ZONE (or every
    # DIGEST_SECONDS where that is set: the tests' beat sends it every second).
    "send-notification-digests": {
        "task": "portal.tasks.send_notification_digests",
        "schedule": env.float("DIGEST_SECONDS", default=0.0)
        or crontab(hour=env.int("DIGEST_HOUR", default=7), minute=0),
    },
}
CELERY_TIMEZONE = TIME_ZONE
# Where people reach the portal: printed on certificates with the verification address and
# in e-mailed links. Locally it follows PORT, the port `./run.sh` (and so the demo) listens on.
PUBLIC_URL = env.str(
    "PUBLIC_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}"
).rstrip("/")

# Open credentials (issue 21, decision 56): each certificate is also an Open Badges 3.0
# credential signed with the portal's Ed25519 key. The keys are a JWK Set in a file: private
# keys sign (the one named CREDENTIAL_KEY_ID, or the last), public-only ones are old keys kept
# published so that credentials they signed still verify. Locally a key is made in var/ on
# first use; production must provide the file (docs/open-credentials.md says how to rotate).
CREDENTIAL_KEYS_FILE = Path(
    env.str("CREDENTIAL_KEYS_FILE", default=str(VAR_DIR / "credential-keys.json"))
)
CREDENTIAL_KEY_ID = env.str("CREDENTIAL_KEY_ID", default="")
CREDENTIAL_ISSUER_NAME = env.str("CREDENTIAL_ISSUER_NAME", default="Qualifications Portal")
# How long a signed status list counts (its validUntil): an offline check refuses a copy older.
CREDENTIAL_STATUS_LIST_HOURS = env.int("CREDENTIAL_STATUS_LIST_HOURS", default=24)

# Accounts: e-mail, login throttling, idle sessions and invitations (issue 16; the reasons are in
# docs/decisions/0013-accounts.md). Invitations and password resets are e-mailed links, so
# production must have a real mail server: the console, dummy and in-memory backends would
# swallow them while the portal looked healthy.
EMAIL_URL = env.str("EMAIL_URL", default="" if PRODUCTION else "consolemail://")
if PRODUCTION and not EMAIL_URL.startswith(("smtp://", "smtps://", "smtp+tls://", "smtp+ssl://")):
    raise ImproperlyConfigured(
        "Production sends invitations and password resets by e-mail: set EMAIL_URL to a mail "
        "server, e.g. smtp+tls://user:password@smtp.example.org:587 (not console, dummy, file "
        "or memory mail)."
    )
vars().update(env.email_url_config(EMAIL_URL))
# A mail server that does not answer is given up on after this many seconds (the worker then
# tries again later: portal/mail.py); without it, a hung server would hold a worker for ever.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
INVITATION_DAYS = env.int("INVITATION_DAYS", default=14)

# Failed logins are counted per e-mail address and client address together, in the database
# (so the count survives restarts and does not depend on Redis), and lock that pair out for a
# cool-off period: an attacker elsewhere cannot lock a person out of their own address.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "portal.throttle.username_of"
AXES_CLIENT_IP_CALLABLE = "portal.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "portal.throttle.locked_out"
AXES_RESET_ON_SUCCESS = True
# The page tells a locked-out person when they can try again; trying sooner must not move that.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful logins are not logged with their addresses: only failures are needed, and kept
# only as long as they count.
AXES_DISABLE_ACCESS_LOG = True
# How many proxies in front of the portal append to X-Forwarded-For (0: trust no such header).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# A session ends after SESSION_IDLE_MINUTES without a request; each request moves the end on
# (with at most one write a minute, or a tenth of the idle time if that is shorter: sessions.py).
# Expired rows are removed by `manage.py clearsessions`.
SESSION_ENGINE = "portal.sessions"  # Django's database sessions, read by SQL built once
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_RENEW_SECONDS = 60
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "portal.sessions.IdleTimeoutMiddleware",
)

# Security. Production gets every protection `check --deploy` asks for; each can be relaxed
# through the environment (for example SECURE_SSL_REDIRECT=false to try the stack over plain
# HTTP on one's own machine), and `check --deploy` will then say so.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets this header itself; otherwise a client could forge it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): what a page of the portal may load and do. Scripts and
# styles come only from the portal's own static files: no inline script, no inline style, not even
# a style attribute, and no eval (htmx is told so in base.html). Bootstrap's stylesheet draws its
# small icons (menu, select arrow, tick, close) as data: SVG images. Frames are the portal's own
# PDF viewer (a sandboxed page, with a policy of its own: portal/views.py); no page is framed by
# anyone else, and forms post only to the portal. See docs/decisions/0014-serving-files.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}

# The REST API (decision 57): token authentication only (api.rest), JSON only, one error shape,
# a rate limit per token counted in the cache above. No session or browsable API: the
# interactive page is Swagger UI at /api/v1/docs/, from static files (drf-spectacular-sidecar).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.rest.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.rest.JsonParser"],
    "DEFAULT_METADATA_CLASS": "api.rest.Metadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.rest.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/min")
# Calls without a token that works, per client address (TRUSTED_PROXY_COUNT says which).
API_ANON_RATE_LIMIT = env.str("API_ANON_RATE_LIMIT", default="30/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "VQ portal API",
    "DESCRIPTION": (
        "A centre's learner records system (MIS) reads qualifications, invites and registers "
        "learners, follows their progress and picks up results. Every call carries a centre's "
        "token (Authorization: Bearer vqp_...), made by a centre admin on the API tokens page. "
        'Every error is {"error": {"code", "message", "fields"?}}. How the endpoints fit '
        "together (learners join by invitation, the events feed, errors): "
        "[the guide](/api/v1/guide/)."
    ),
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets are called `kind` (a certificate's, a level rule's): each its own name.
    "ENUM_NAME_OVERRIDES": {
        "CertificateKindEnum": "certification.models.Kind",
        "LevelRuleKindEnum": ["cap", "minimum"],
    },
    "APPEND_COMPONENTS": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "fields": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                },
                            },
                        },
                    }
                },
            }
        }
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO; only its warnings are worth reading.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Axes tells of every login at INFO; failed logins and lockouts are its warnings.
        "axes": {"level": "WARNING"},
    },
}
