"""A comment remembers the one-time token of the form it was posted from, so the same form sent twice stores one
comment. The column is added without rewriting the table (a constant default); on PostgreSQL its unique index is
built CONCURRENTLY, so readers keep posting while it builds over every existing comment."""

from django.db import migrations, models

CONSTRAINT = models.UniqueConstraint(
    fields=["author", "post_key"], condition=~models.Q(post_key=""), name="comment_post_key_once"
)


def add_constraint(apps, schema_editor):
    model = apps.get_model("comments", "Comment")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_constraint(model, CONSTRAINT)
        return
    # A partial UniqueConstraint is a unique index on PostgreSQL: the same index Django would create, by name, so
    # later migrations drop or alter it as theirs.
    schema_editor.execute(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS comment_post_key_once"
        f" ON {model._meta.db_table} (author_id, post_key) WHERE NOT (post_key = '')"
    )


def remove_constraint(apps, schema_editor):
    model = apps.get_model("comments", "Comment")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_constraint(model, CONSTRAINT)
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS comment_post_key_once")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("comments", "0007_comment_body_length_limit"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="post_key",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="Digest of the posting form's one-time token, story, parent and text; empty if not from a form.",
                max_length=64,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint(model_name="comment", constraint=CONSTRAINT)],
            database_operations=[migrations.RunPython(add_constraint, remove_constraint, elidable=False)],
        ),
    ]
