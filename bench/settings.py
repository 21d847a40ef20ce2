"""Production settings for in-process benchmarks: DEBUG off (so the cached template loader), a shared Redis cache,
the database the runner names, and the test client's host name."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_ENV_FILE", "/nonexistent")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/12")

from newsroom.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES = {"default": env.db("BENCH_DATABASE_URL")}  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
# Keys of concurrent runs never meet; every entry expires on its own.
for alias in CACHES.values():  # noqa: F405
    alias["KEY_PREFIX"] = f"bench{os.getpid()}"
# Replies notify by e-mail after their commit: built and sent as usual, kept in memory instead of printed.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
