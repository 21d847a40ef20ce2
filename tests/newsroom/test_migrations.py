"""Migrations on the big tables never block writes while an index builds: on PostgreSQL, indexes on stories and
comments are built and dropped CONCURRENTLY (newsroom.operations), in migrations that run outside a transaction."""

import re

import pytest
from django.db import connection
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader

from newsroom.operations import AddIndexConcurrently, RemoveIndexConcurrently

OUR_APPS = {"newsroom", "articles", "comments"}
# The tables a newsroom's archive makes big: 100,000 stories, 500,000 comments and their likes and mentions.
BIG_MODELS = {
    ("articles", "article"),
    ("comments", "comment"),
    ("comments", "commentlike"),
    ("comments", "mention"),
    ("comments", "notification"),
}
# Written before the rule, when no database had been deployed: a unique column added to an empty comments table.
GRANDFATHERED = {("comments", "0004_comment_disqus_id")}


def database_operations(operations):
    """The operations that touch the database, looking inside SeparateDatabaseAndState."""
    for operation in operations:
        if isinstance(operation, ops.SeparateDatabaseAndState):
            yield from database_operations(operation.database_operations)
        else:
            yield operation


def blocking_index_changes(migration) -> list[str]:
    """What in this migration would build or drop an index on a big table while holding its write lock. (RunPython
    cannot be read: the PostgreSQL test below checks that every index on a big table was built valid.)"""
    found = []
    # A table the same migration creates is empty: its indexes cost nothing to build.
    created = {operation.name_lower for operation in migration.operations if isinstance(operation, ops.CreateModel)}
    for operation in database_operations(migration.operations):
        model = str(getattr(operation, "model_name", None) or getattr(operation, "name", "")).lower()
        big = (migration.app_label, model) in BIG_MODELS and model not in created
        if isinstance(operation, AddIndexConcurrently | RemoveIndexConcurrently):
            if migration.atomic:
                found.append(f"{operation.describe()} in a migration without atomic = False")
        elif isinstance(operation, ops.AddIndex | ops.RemoveIndex | ops.AddConstraint) and big:
            found.append(f"{type(operation).__name__} on {model}: use newsroom.operations (CONCURRENTLY)")
        elif isinstance(operation, ops.AddField | ops.AlterField) and big:
            field = operation.field
            if field.db_index or field.unique:
                found.append(
                    f"{type(operation).__name__} {model}.{operation.name} with an index: add the field "
                    "without one, then AddIndexConcurrently"
                )
        elif isinstance(operation, ops.RunSQL):
            sql = " ".join(part if isinstance(part, str) else part[0] for part in [operation.sql] if part)
            if re.search(r"CREATE\s+(UNIQUE\s+)?INDEX(?!\s+CONCURRENTLY)", sql, re.I):
                found.append("RunSQL CREATE INDEX without CONCURRENTLY")
    return found


def our_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted((key, migration) for key, migration in loader.disk_migrations.items() if key[0] in OUR_APPS)


@pytest.mark.parametrize(
    ("key", "migration"), our_migrations(), ids=lambda value: "/".join(value) if isinstance(value, tuple) else ""
)
def test_no_migration_blocks_writes_to_a_big_table_while_an_index_builds(key, migration):
    if key in GRANDFATHERED:
        pytest.skip("written before the rule, on an empty table")
    assert blocking_index_changes(migration) == []


def test_the_check_catches_a_plain_index_on_the_comments_table():
    from django.db import migrations, models

    class Migration(migrations.Migration):
        operations = [migrations.AddIndex("comment", models.Index(fields=["created_at"], name="x_idx"))]

    assert blocking_index_changes(Migration("0099_plain", "comments")) == [
        "AddIndex on comment: use newsroom.operations (CONCURRENTLY)"
    ]
    Migration.operations = [AddIndexConcurrently("comment", models.Index(fields=["created_at"], name="x_idx"))]
    assert "without atomic = False" in blocking_index_changes(Migration("0099_atomic", "comments"))[0]
    Migration.atomic = False
    assert blocking_index_changes(Migration("0099_concurrent", "comments")) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
def test_every_index_on_the_big_tables_was_built_valid():
    """A CONCURRENTLY build that failed leaves an INVALID index behind (and IF NOT EXISTS would keep it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s)",
            [[f"{app}_{model}" for app, model in BIG_MODELS]],
        )
        indexes = cursor.fetchall()
    names = {name for _, name, _ in indexes}
    assert {"comment_story_root_time_idx", "article_search_document_idx", "comment_post_key_once"} <= names
    assert "article_search_idx" not in names  # the expression index that 0012 replaced
    assert [(table, name) for table, name, valid in indexes if not valid] == []
