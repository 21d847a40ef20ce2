"""Article.edit_version, the count of a story's saves that refuses a save from a form loaded before another one
(optimistic locking, articles.admin_editing). SQLite would rebuild the story table to add a NOT NULL column, which
the search index's view over it (0006) forbids: there the column is added in place, with its default."""

from django.db import migrations, models

FIELD = models.PositiveIntegerField(default=1, editable=False)


def add_column(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "ALTER TABLE articles_article ADD COLUMN edit_version integer unsigned NOT NULL DEFAULT 1 "
            "CHECK (edit_version >= 0)"
        )
    else:
        field = FIELD.clone()
        field.set_attributes_from_name("edit_version")
        schema_editor.add_field(Article, field)


def drop_column(apps, schema_editor):
    # Run with the state before this migration, which has no such field to hand to the schema editor.
    schema_editor.execute("ALTER TABLE articles_article DROP COLUMN edit_version")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0017_article_roles_and_social_headlines"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_column, drop_column)],
            state_operations=[migrations.AddField(model_name="article", name="edit_version", field=FIELD)],
        ),
    ]
