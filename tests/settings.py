"""Test settings: the real settings, made fast and hermetic."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
# A developer's .env (which `make run` writes) never reaches the tests: they run on these settings alone.
os.environ["DJANGO_ENV_FILE"] = os.devnull

from newsroom.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One process per test run: a local cache is shared by everything that runs (both aliases, one store).
CACHES = {alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"} for alias in ("default", "ratelimit")}
REQUIRE_SHARED_CACHE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# The test client speaks plain http; the production https behaviour has its own test against gunicorn.
SECURE_SSL_REDIRECT = False
# Most tests post as established readers; the pre-moderation tests turn this on themselves.
COMMENTS_PREMODERATE_FIRST = 0
# Surge controls by the clock and by the rate stay off unless a test turns them on (tests/comments/test_surge.py):
# factories make stories of any age, and many tests post bursts.
COMMENTS_CLOSE_AFTER_DAYS = 0
COMMENTS_NIGHT_CLOSED = ""
COMMENTS_SURGE_PER_MINUTE = 0

# The test database is a file even on SQLite: the queue tests start real RQ workers, other processes that must
# read and write the same database (tests/servers.py). pytest-xdist gives each of its workers its own file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}  # noqa: F405
    # Nothing in a test database needs to survive a power cut: no fsync (a file costs about as much as memory then).
    DATABASES["default"]["OPTIONS"]["init_command"] += "PRAGMA synchronous=OFF;"  # noqa: F405
# Tasks run at once (django-tasks' immediate backend) unless a test sends them to a real worker (tests/conftest.py).
TASKS_URL = ""
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
