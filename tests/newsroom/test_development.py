"""A development checkout: what `make run` installs and writes, the address it serves, and the .env it leaves."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(tmp_path, *args):
    """`make -n run ...` in a copy of the Makefile and .env.example, so the checkout's own .env is never involved."""
    for name in ("Makefile", ".env.example", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def manage(*args, env_file, **env):
    """manage.py as a developer runs it: no exports, only the given env file (and what the test adds)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_ENV_FILE": str(env_file), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_run_writes_a_development_env_file_once(tmp_path):
    assert "cp .env.example .env" in make_dry_run(tmp_path)
    (tmp_path / ".env").write_text("DJANGO_DEBUG=true\n")
    assert "cp .env.example .env" not in make_dry_run(tmp_path)


def test_make_run_installs_only_what_running_needs(tmp_path):
    installs = [line for line in make_dry_run(tmp_path).splitlines() if "pip install" in line]
    assert installs, "a fresh checkout installs the project"
    assert not any("--group dev" in line for line in installs), installs


@pytest.mark.parametrize(("args", "address"), [((), "127.0.0.1:8000"), (("PORT=8101",), "127.0.0.1:8101")])
def test_make_run_serves_and_links_the_same_address(tmp_path, args, address):
    commands = make_dry_run(tmp_path, *args).splitlines()
    runserver = next(line for line in commands if "manage.py runserver" in line)
    seed = next(line for line in commands if "manage.py seed_demo" in line)
    assert runserver.endswith(f"runserver {address}")
    assert f"NEWSROOM_BASE_URL=http://{address} " in runserver
    assert f"NEWSROOM_BASE_URL=http://{address} " in seed


def test_make_run_takes_a_whole_address_too(tmp_path):
    runserver = next(line for line in make_dry_run(tmp_path, "ADDR=0.0.0.0:9000").splitlines() if "runserver" in line)
    assert runserver == "NEWSROOM_BASE_URL=http://0.0.0.0:9000 .venv/bin/python manage.py runserver 0.0.0.0:9000"


def test_management_commands_work_with_the_development_env_file():
    result = manage("check_comment_trees", "--help", env_file=ROOT / ".env.example")
    assert result.returncode == 0, result.stderr
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.NEWSROOM_BASE_URL)",
        env_file=ROOT / ".env.example",
    )
    assert result.returncode == 0, result.stderr
    # Development values: no https redirect or HSTS on localhost, links to the local site.
    assert result.stdout.split() == ["True", "False", "0", "False", "http://127.0.0.1:8000"]


def test_production_stays_fail_closed_without_the_env_file():
    result = manage("check", env_file="/nonexistent")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_tests_never_read_a_developers_env_file():
    assert os.environ["DJANGO_ENV_FILE"] == os.devnull


@pytest.mark.django_db
def test_seed_demo_prints_the_address_it_was_given(settings):
    settings.DEBUG = True
    settings.NEWSROOM_BASE_URL = "http://127.0.0.1:8101"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:8101/accounts/login/" in out.getvalue()
    assert "8000" not in out.getvalue()


def test_each_log_line_is_printed_once_in_development():
    code = "import logging; logging.getLogger('django.request').warning('Not Found: /x/')"
    result = manage("shell", "--verbosity=0", "-c", code, env_file=ROOT / ".env.example")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /x/") == 1, result.stderr
