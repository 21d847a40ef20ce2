"""Migration operations for the big tables (stories, comments): indexes built and dropped CONCURRENTLY on
PostgreSQL, so a live site keeps taking comments while an index builds; a plain CREATE/DROP INDEX elsewhere
(SQLite, a development database). A migration using them sets `atomic = False`. tests/test_migrations.py fails a
migration that changes an index on a big table any other way."""

from django.contrib.postgres import operations as postgres
from django.db.migrations.operations import AddIndex, RemoveIndex

__all__ = ["AddIndexConcurrently", "RemoveIndexConcurrently"]


class _ConcurrentlyOnPostgreSQL:
    """PostgreSQL's CONCURRENTLY operation there; the plain operation it extends (`plain`) anywhere else."""

    plain: type

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_ConcurrentlyOnPostgreSQL, postgres.AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexConcurrently(_ConcurrentlyOnPostgreSQL, postgres.RemoveIndexConcurrently):
    plain = RemoveIndex
