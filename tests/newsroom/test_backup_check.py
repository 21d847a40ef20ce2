"""`make backup-check`: the newest dump restores into a scratch database and its comment trees are checked there."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="backups are PostgreSQL dumps"
    ),
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def dump(folder: Path) -> None:
    target = folder / f"newsroom-{time.time_ns()}.dump"  # a later name, as make backup's timestamps are
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--dbname={database_url()}", f"--file={target}"], check=True
    )


def backup_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/backup_check.py", "--dumps", str(folder), "--server", database_url()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_sound_dump_checks_clean_and_a_damaged_tree_fails(tmp_path):
    story = ArticleFactory()
    root = CommentFactory(article=story)
    reply = CommentFactory(article=story, parent=root)
    dump(tmp_path)
    result = backup_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 stories, 2 comments" in result.stdout
    assert "match a rebuild" in result.stdout
    assert "The backup restores and checks clean." in result.stdout

    Comment.objects.filter(pk=reply.pk).update(lft=40, rght=41)  # behind mptt's back, as a bad write would
    dump(tmp_path)
    result = backup_check(tmp_path)
    assert result.returncode == 1
    assert "comment trees: FAILED" in result.stdout and "The backup check FAILED." in result.stdout
    # The scratch databases are gone afterwards.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'newsroom_restore_check_%%'")
        assert cursor.fetchone()[0] == 0


def test_no_dump_is_a_clear_error(tmp_path):
    result = backup_check(tmp_path)
    assert result.returncode != 0 and "run `make backup` first" in result.stderr
