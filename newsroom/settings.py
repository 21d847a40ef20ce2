"""Settings for newsroom, read from the environment (see .env.example and the README)."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from comments.schedule import parse_night

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env is read when present; real environment variables win over it.
env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

SITE_NAME = env.str("NEWSROOM_SITE_NAME", default="The Newsroom")
# The site's public address, for links in e-mail (sent outside any request).
NEWSROOM_BASE_URL = env.str("NEWSROOM_BASE_URL", default="http://127.0.0.1:8000")
# How many reverse proxies in front of the site append to X-Forwarded-For (0: trust only REMOTE_ADDR).
NEWSROOM_PROXY_COUNT = env.int("NEWSROOM_PROXY_COUNT", default=0)

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "csp",
    "corsheaders",
    # django-ninja, installed so that the API's docs page is served with its bundled Swagger UI (no CDN, our CSP).
    "ninja",
    "mptt",
    "content_editor",
    "django_prose_editor",
    "django_tasks",
    "django_rq",
    "reversion",
    "newsroom",
    "articles",
    "comments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before anything that answers, on /api/ only (CORS_URLS_REGEX)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.middleware.refuse_control_characters",
    "newsroom.middleware.refuse_cut_short_multipart",  # before anything reads the form (the CSRF check does)
    # Pages are compressed (a 1,000-comment discussion is ~1 MB of HTML, ~150 KB gzipped); static files come
    # pre-compressed from whitenoise above. BREACH: Django masks the CSRF token afresh on every response and, since
    # 4.2, pads gzip output with random bytes ("Heal The Breach"), so secrets on our pages do not leak through size.
    "django.middleware.gzip.GZipMiddleware",
    # ETags and 304s for the API. Inside GZip: the tag is of the uncompressed body, which GZip then marks weak (its
    # random padding would give every compressed body another tag), and If-None-Match compares weakly.
    "newsroom.middleware.ApiConditionalGetMiddleware",
    "newsroom.middleware.private_when_setting_cookies",  # outside the middleware that set cookies
    "newsroom.replica.route_reads",  # outside the session middleware, whose writes pin the reader too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # after the session, before CommonMiddleware
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "newsroom.context_processors.site",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep each worker's database connection between requests (checked before reuse): opening a PostgreSQL
# connection per request cost more than rendering a cached story page (`make load`).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode (docs/deployment.md) each transaction may run on another server connection, so
# nothing may outlive a transaction on the server. What Django and this code would otherwise leave there:
if env.bool("DATABASE_TRANSACTION_POOLING", default=False):
    # .iterator() outside a transaction DECLAREs a WITH HOLD cursor and FETCHes from it in later statements.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Prepared statements live in a server session and PgBouncer 1.18 does not track them (1.21's
    # max_prepared_statements does). Django 5.2 binds parameters client-side and has psycopg prepare nothing by
    # default; pinned here so that an option in DATABASE_URL cannot turn them on.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=False, prepare_threshold=None)
    # Django's `SET ROLE` at connect would stay on one server connection; PgBouncer does not track the role.
    if DATABASES["default"]["OPTIONS"].get("assume_role"):
        raise ImproperlyConfigured("assume_role cannot work with DATABASE_TRANSACTION_POOLING: connect as that role.")
    # Safe as they are: Django's `SET TIME ZONE` at connect (PgBouncer tracks TimeZone per client and sets it on each
    # server connection it lends), the isolation level (psycopg 3 sends it with each BEGIN), SET LOCAL and
    # set_config(..., true), transaction-scoped advisory locks (a session-level one fails the architecture test);
    # nothing here uses LISTEN or temporary tables.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock at BEGIN instead of failing halfway ("database is locked") under concurrent requests.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL;"
    )
# A streaming replica of the primary (empty: none). Only the reads of GET and HEAD requests outside the admin go to
# it, outside transactions; a reader who wrote reads the primary for DATABASE_REPLICA_PIN_SECONDS (newsroom.replica).
# Keep this after every setting of the default database: the replica's connections are configured the same way.
if DATABASE_REPLICA_URL := env.str("DATABASE_REPLICA_URL", default=""):
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    _same_engine = _replica["ENGINE"] == DATABASES["default"]["ENGINE"]
    DATABASES["replica"] = {
        **{key: value for key, value in DATABASES["default"].items() if key not in ("NAME", "HOST", "PORT", "TEST")},
        **_replica,
        "OPTIONS": {**(DATABASES["default"].get("OPTIONS", {}) if _same_engine else {}), **_replica.get("OPTIONS", {})},
        "TEST": {"MIRROR": "default"},  # tests read the test database through the replica's alias
    }
    if _replica["ENGINE"] == "django.db.backends.postgresql":
        # A replica that is gone costs a request two seconds at most; then this process reads the primary a while.
        DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 2)
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
DATABASE_ROUTERS = ["newsroom.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Two aliases of one cache server. "default" holds pages and fragments and degrades when the server is down: a miss,
# a dropped write (logged), within half a second. "ratelimit" counts the rate limits and raises instead, so a limit
# that cannot count refuses the write with a 503 rather than letting everything through (newsroom.ratelimit).
CACHES = {"default": {"OPTIONS": {}, **env.cache("CACHE_URL", default="locmemcache://")}}
CACHES["ratelimit"] = {**CACHES["default"], "OPTIONS": dict(CACHES["default"]["OPTIONS"])}
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    for alias in CACHES.values():
        alias["OPTIONS"].update(SOCKET_CONNECT_TIMEOUT=0.5, SOCKET_TIMEOUT=0.5)
    CACHES["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Rate limits count in the cache, so outside debug it must be shared by every worker (newsroom.apps checks).
REQUIRE_SHARED_CACHE = not DEBUG

# What signed-out pages tell shared caches (a CDN, Varnish; docs/architecture.md): keep a page this many seconds,
# serve it stale while fetching a fresh one, and serve it stale when the site answers with an error or not at all.
# Browsers revalidate every time (max-age=0), so a reader who signs in sees their own page at once.
HTTP_SHARED_MAX_AGE = env.int("HTTP_SHARED_MAX_AGE", default=60)
HTTP_STALE_WHILE_REVALIDATE = env.int("HTTP_STALE_WHILE_REVALIDATE", default=30)
HTTP_STALE_IF_ERROR = env.int("HTTP_STALE_IF_ERROR", default=86400)
# Live updates (static/js/live.js, for a discussion's new comments and a live blog's new entries): how often a page
# polls (seconds; the script backs off from there), and how long the edge keeps a poll's answer (the same for every
# reader; a write purges it sooner by the story's key).
LIVE_POLL_INTERVAL = env.int("LIVE_POLL_INTERVAL", default=15)
LIVE_SHARED_SECONDS = env.int("LIVE_SHARED_SECONDS", default=5)
# The edge caches (Varnish, deploy/varnish/default.vcl) that writes purge by surrogate key through the task queue
# (newsroom.edge), e.g. http://10.0.0.5:6081/,http://10.0.0.6:6081/. Empty: no edge, no purge sent.
EDGE_PURGE_URLS = env.list("EDGE_PURGE_URLS", default=[])

# The moderation pipeline's optional classifier (comments.classifiers): the dotted path of a callable
# (comment_text, *, author, article) -> score in [0, 1], e.g. comments.classifiers.local (trained on this site's
# decisions by `manage.py train_classifier`) or comments.classifiers.http; empty: none. A comment scoring at or over
# COMMENTS_CLASSIFIER_HOLD waits for a moderator. Try one on past decisions first: `manage.py replay_classifier`.
COMMENTS_CLASSIFIER = env.str("COMMENTS_CLASSIFIER", default="")
COMMENTS_CLASSIFIER_HOLD = env.float("COMMENTS_CLASSIFIER_HOLD", default=0.8)
# Where train_classifier writes the local model and the local classifier reads it (outside media: never served).
COMMENTS_CLASSIFIER_MODEL = env.path(
    "COMMENTS_CLASSIFIER_MODEL", default=BASE_DIR / "var" / "comment-classifier.joblib"
)
# The moderation service the HTTP classifier POSTs to, and how long a post waits for it (seconds) before it goes
# on without a score.
COMMENTS_CLASSIFIER_URL = env.str("COMMENTS_CLASSIFIER_URL", default="")
COMMENTS_CLASSIFIER_TIMEOUT = env.float("COMMENTS_CLASSIFIER_TIMEOUT", default=1.0)
# Illegal-content notices (DSA art. 16) one address may send per hour.
COMMENTS_NOTICES_PER_HOUR = env.int("COMMENTS_NOTICES_PER_HOUR", default=10)

# ------------------------------------------------------------------------------
# The API (/api/v1/, newsroom.api; docs/api.md)
# ------------------------------------------------------------------------------
# Requests a minute each client may make: per token when it sends one, else per address.
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=300)
# The web origins whose pages may call the API from a browser (CORS), e.g. https://app.example.com; empty: none.
API_CORS_ORIGINS = env.list("API_CORS_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = API_CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/"
# What a page on another origin may read of an answer besides the basics: to revalidate, and to wait when limited.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# ------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "newsroom.User"
AUTHENTICATION_BACKENDS = ["newsroom.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling: failed attempts per account and per address in a 15-minute window.
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_IP = 30
LOGIN_FAILURE_WINDOW = 15 * 60
SIGNUPS_PER_IP_PER_HOUR = 10
PASSWORD_RESETS_PER_IP_PER_HOUR = 10
PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 3
# Confirming an address: how long a link works, and how many links a reader may have sent again in an hour.
ACCOUNT_CONFIRM_DAYS = env.int("ACCOUNT_CONFIRM_DAYS", default=3)
ACCOUNT_CONFIRM_RESENDS_PER_HOUR = 3

# ------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------
# The site's language, and the languages it offers: a reader gets the one they chose (the django_language cookie,
# or their account's setting) or else the best match for their browser's Accept-Language (LocaleMiddleware).
# URLs stay the same in every language. The catalogues live in newsroom/locale (`manage.py makemessages`).
_LANGUAGE_NAMES = {"en": "English", "es": "Español"}
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [(code, _LANGUAGE_NAMES.get(code, code)) for code in env.list("NEWSROOM_LANGUAGES", default=["en", "es"])]
LOCALE_PATHS = [BASE_DIR / "newsroom" / "locale"]
# The language a reader chose (/accounts/language/, or their account's, applied when they sign in): kept a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files and uploads
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Django serves uploads itself in development; in production a web server or object store should.
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)

# Uploads and renditions go through Django's storage API: the local folder above by default, or with
# DJANGO_MEDIA_STORAGE=s3 any S3-compatible object store (django-storages), which every web node and worker shares.
MEDIA_STORAGE = env.str("DJANGO_MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}.")
MEDIA_STORAGE_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if MEDIA_STORAGE == "s3":
    MEDIA_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DJANGO_MEDIA_S3_BUCKET"),
            "endpoint_url": env.str("DJANGO_MEDIA_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("DJANGO_MEDIA_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("DJANGO_MEDIA_S3_SECRET_KEY", default="") or None,
            "region_name": env.str("DJANGO_MEDIA_S3_REGION", default="") or None,
            # Where readers fetch images (a CDN, or the bucket's public address); empty: the endpoint itself.
            "custom_domain": env.str("DJANGO_MEDIA_S3_CUSTOM_DOMAIN", default="") or None,
            # Images are public: plain URLs that pages and caches can keep, no expiring signatures.
            "querystring_auth": False,
            # Two uploads of "photo.jpg" keep both files, as on the file system.
            "file_overwrite": False,
            "addressing_style": env.str("DJANGO_MEDIA_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "url_protocol": env.str("DJANGO_MEDIA_S3_URL_PROTOCOL", default="https:"),
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    # A store that does not answer fails the upload (or the readiness check) in seconds, not minutes.
    from botocore.config import Config as BotoConfig

    MEDIA_STORAGE_BACKEND["OPTIONS"]["client_config"] = BotoConfig(
        connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"}
    )

STORAGES = {
    "default": MEDIA_STORAGE_BACKEND,
    # Hashed, compressed files in production; development serves from the source tree.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Without DEBUG and before collectstatic has run, whitenoise still finds files through the finders.
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded image limits: see articles/images.py.
IMAGE_MAX_UPLOAD_BYTES = env.int("NEWSROOM_IMAGE_MAX_BYTES", default=15 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("NEWSROOM_IMAGE_MAX_PIXELS", default=40_000_000)
# Longest a reader's search may run on PostgreSQL before it is refused with "add a word" (articles.search).
SEARCH_TIME_LIMIT_MS = env.int("NEWSROOM_SEARCH_TIME_LIMIT_MS", default=2000)
# Form fields a request may carry: Django's 1,000 refused (HTTP 400) a moderator's action on 1,000 ticked comments,
# one field each; the actions themselves cost the same few statements for any number (comments.services).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# ------------------------------------------------------------------------------
# Discussion (comments app)
# ------------------------------------------------------------------------------
COMMENTS_MAX_LENGTH = env.int("COMMENTS_MAX_LENGTH", default=5000)
COMMENTS_EDIT_WINDOW_MINUTES = env.int("COMMENTS_EDIT_WINDOW_MINUTES", default=15)
# A reader's first N comments wait for a moderator until N of theirs have been approved; 0 turns it off.
COMMENTS_PREMODERATE_FIRST = env.int("COMMENTS_PREMODERATE_FIRST", default=1)
# How many readers' reports hold a comment is a moderation rule (comments.models.ModerationRule), kept in the admin.
# The author of a removed or rejected comment may appeal the decision once, within this many days of it.
COMMENTS_APPEAL_DAYS = env.int("COMMENTS_APPEAL_DAYS", default=14)
COMMENTS_RATE_PER_MINUTE = env.int("COMMENTS_RATE_PER_MINUTE", default=5)
COMMENTS_LIKES_PER_MINUTE = env.int("COMMENTS_LIKES_PER_MINUTE", default=30)
COMMENTS_REPORTS_PER_HOUR = env.int("COMMENTS_REPORTS_PER_HOUR", default=20)
# Each edit replaces the story's cached discussion, so edits are limited too.
COMMENTS_EDITS_PER_MINUTE = env.int("COMMENTS_EDITS_PER_MINUTE", default=10)
COMMENTS_THREADS_PER_PAGE = env.int("COMMENTS_THREADS_PER_PAGE", default=10)
# Seconds a comment write waits for a lock (its thread's, or its story's discussion row; PostgreSQL) before failing
# with "not saved, text kept".
COMMENTS_LOCK_TIMEOUT = env.int("COMMENTS_LOCK_TIMEOUT", default=3)
# The story page shows each thread's first replies (in thread order); the rest are on the thread's own page, so the
# page costs the same with 10 or 10,000 comments.
COMMENTS_REPLIES_PER_THREAD = env.int("COMMENTS_REPLIES_PER_THREAD", default=5)
# A thread with this many replies takes no more (readers are asked to start a new comment): a reply shifts the
# nested-set numbers of the rows after it in its thread, so its cost grows with the thread; at this size it is at
# most 3x a reply in a 10-comment thread (`make bench-megathread`, docs/performance.md).
COMMENTS_MAX_THREAD_SIZE = env.int("COMMENTS_MAX_THREAD_SIZE", default=1000)
# How long a page of a story's threads is kept rendered for signed-out readers (any write replaces it at once, by
# the discussion's version in the key); 0 turns the fragment cache off. Short because the "2 hours ago" times age.
COMMENTS_CACHE_SECONDS = env.int("COMMENTS_CACHE_SECONDS", default=60)
# The "All comments" pages: whole threads, about this many comments a page (a thread longer than that alone is cut
# and links to its own page).
COMMENTS_ALL_PER_PAGE = env.int("COMMENTS_ALL_PER_PAGE", default=250)
# A thread's own page ("Continue this thread"): this many comments a page, in tree order.
COMMENTS_THREAD_PER_PAGE = env.int("COMMENTS_THREAD_PER_PAGE", default=250)
# Live "N new comments" (static/js/live.js polling comments.views.live_since, every LIVE_POLL_INTERVAL seconds): past
# this many new comments the page says "many new comments: refresh" instead of fetching them; and stories older than
# this many days are not polled.
COMMENTS_LIVE_CAP = env.int("COMMENTS_LIVE_CAP", default=50)
COMMENTS_LIVE_MAX_AGE_DAYS = env.int("COMMENTS_LIVE_MAX_AGE_DAYS", default=2)
# Surge controls (docs/architecture.md, "Surge controls"). Comments close this many days after publication (a story
# may override it; 0 never closes), and during these night hours in TIME_ZONE ("00:00-06:00"; empty: no night).
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=14)
COMMENTS_NIGHT_CLOSED = env.str("COMMENTS_NIGHT_CLOSED", default="")
parse_night(COMMENTS_NIGHT_CLOSED)  # a malformed value stops the start here, not every story page later
# Surge mode switches on when a story gets more than this many comments in a minute (0: never automatically), and
# off after COMMENTS_SURGE_CALM_MINUTES whole minutes under half of it. During a surge accounts younger than
# COMMENTS_SURGE_NEW_ACCOUNT_HOURS are held for a moderator, and slow mode is COMMENTS_SURGE_SLOW_SECONDS unless the
# story has its own.
COMMENTS_SURGE_PER_MINUTE = env.int("COMMENTS_SURGE_PER_MINUTE", default=60)
COMMENTS_SURGE_CALM_MINUTES = env.int("COMMENTS_SURGE_CALM_MINUTES", default=10)
COMMENTS_SURGE_NEW_ACCOUNT_HOURS = env.int("COMMENTS_SURGE_NEW_ACCOUNT_HOURS", default=24)
COMMENTS_SURGE_SLOW_SECONDS = env.int("COMMENTS_SURGE_SLOW_SECONDS", default=30)

# ------------------------------------------------------------------------------
# Tasks: work done off the request (django-tasks, on RQ workers in production)
# ------------------------------------------------------------------------------
# A Redis URL for the queue, e.g. redis://127.0.0.1:6379/2: tasks go to RQ and `manage.py rqworker --with-scheduler`
# processes run them, on any number of machines. Empty (development, `make run`): each task runs at once, inside the
# request that enqueued it, after its transaction commits.
TASKS_URL = env.str("TASKS_URL", default="")
if TASKS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A broker that is down or hangs costs a request half a second at most: the work is kept in the database and done
# once the broker is back (newsroom.tasks). The worker lengthens the read timeout for its own blocking reads.
_TASKS_REDIS = TASKS_URL or "redis://127.0.0.1:6379/2"
if "socket_timeout" not in _TASKS_REDIS:
    _TASKS_REDIS += ("&" if "?" in _TASKS_REDIS else "?") + "socket_connect_timeout=0.5&socket_timeout=2"
RQ_QUEUES = {
    "default": {
        "URL": _TASKS_REDIS,
        "DEFAULT_TIMEOUT": env.int("TASKS_TIMEOUT", default=300),
        # Every task is retried with growing delays before it is recorded as failed (newsroom.tasks.RetryingQueue).
        "QUEUE_CLASS": "newsroom.tasks.RetryingQueue",
    }
}
# Seconds before each retry of a failed task; their number is the number of retries.
TASKS_RETRY_DELAYS = env.list("TASKS_RETRY_DELAYS", cast=int, default=[10, 60, 300, 1800])
# Reply and mention e-mails wait this long so that several arriving together go out as one message per reader
# (only with a queue: without one each is sent at once).
NOTIFICATIONS_EMAIL_WINDOW = env.int("NOTIFICATIONS_EMAIL_WINDOW", default=60)

# ------------------------------------------------------------------------------
# Webhooks (newsroom.webhooks; docs/api.md, "Webhooks")
# ------------------------------------------------------------------------------
# Seconds before each retry of a failed delivery; their number is the number of retries.
WEBHOOKS_RETRY_DELAYS = env.list("WEBHOOKS_RETRY_DELAYS", cast=int, default=[30, 300, 1800, 7200])
# An endpoint is paused (and its staff told) after this many failed attempts in a row.
WEBHOOKS_PAUSE_AFTER = env.int("WEBHOOKS_PAUSE_AFTER", default=10)
# Seconds to connect to an endpoint, and to wait for each read of its answer; then the attempt has failed.
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=5.0)
# At most this many bytes of an endpoint's answer are read, and kept with the delivery.
WEBHOOKS_RESPONSE_MAX_BYTES = env.int("WEBHOOKS_RESPONSE_MAX_BYTES", default=2048)
# Endpoints on loopback, private, link-local or reserved addresses are refused (server-side request forgery);
# only the tests' loopback receiver turns this on.
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)

# ------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------
vars().update(env.email("EMAIL_URL", default="consolemail://"))
# Seconds an SMTP connection may wait on the relay: a relay that never answers must not hold a worker.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="newsroom@localhost")

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer asks for /readyz and /healthz over plain http on the private network.
SECURE_REDIRECT_EXEMPT = [r"^readyz$", r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
# Trust X-Forwarded-Proto only when a TLS-terminating proxy is known to set it (and strip it from clients).
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Images in object storage come from the store's (or its CDN's) address, which pages must be allowed to load.
MEDIA_ORIGINS = []
if MEDIA_STORAGE == "s3":
    _options = STORAGES["default"]["OPTIONS"]
    if _options["custom_domain"]:
        MEDIA_ORIGINS = [f"{_options['url_protocol']}//{_options['custom_domain']}"]
    elif _options["endpoint_url"]:
        MEDIA_ORIGINS = [_options["endpoint_url"].rstrip("/")]
    else:
        MEDIA_ORIGINS = ["https://*.amazonaws.com"]

# Content Security Policy (django-csp): our pages load scripts, styles and images from this site only, with no
# inline script or style; the admin's own policy (newsroom.middleware) allows inline styles, which its widgets use.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Videos embedded in stories play in these players only, and only when the reader asks (articles.embeds).
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's loggers print through the root's handler alone: their default console handler printed each line twice.
    "loggers": {"django": {"handlers": [], "level": "INFO"}},
}
