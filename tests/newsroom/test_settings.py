import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        # No developer .env either: only what the test passes.
        env={**clean, "DJANGO_SETTINGS_MODULE": "newsroom.settings", "DJANGO_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_secret_key_outside_debug():
    result = run_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_starts_with_secret_key_and_shared_cache_outside_debug():
    result = run_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, CACHE_URL="redis://127.0.0.1:6379/15")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("cache_url", ["", "locmemcache://", "dummycache://"])
def test_refuses_a_per_process_cache_outside_debug(cache_url):
    result = run_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, **({"CACHE_URL": cache_url} if cache_url else {})
    )
    assert result.returncode != 0
    assert "CACHE_URL must name a shared cache" in result.stderr


def test_debug_needs_no_secret_key():
    result = run_settings(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3"),
        ("postgres://postgres@127.0.0.1:5432/newsroom", "django.db.backends.postgresql"),
    ],
)
def test_database_url_picks_the_engine(url, engine):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": url,
            "DJANGO_ENV_FILE": "/nonexistent",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == engine, result.stderr


def deploy_check(**env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "NEWSROOM_"))},
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV_FILE": "/nonexistent",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "k3y-for-the-deploy-check-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "news.example.com",
            "CACHE_URL": "redis://127.0.0.1:6379/15",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = deploy_check(NEWSROOM_BASE_URL="https://news.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_wants_the_public_https_address_for_mail_links():
    result = deploy_check()
    assert result.returncode != 0
    assert "newsroom.W001" in result.stderr and "NEWSROOM_BASE_URL" in result.stderr
