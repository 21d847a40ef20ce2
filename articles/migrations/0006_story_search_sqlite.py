"""SQLite's full-text index of stories: an FTS5 table over the stories' headline, deck and plain-text body, kept
in step by triggers whatever writes the rows. PostgreSQL searches the stories themselves (articles.search)."""

import django.db.models.deletion
from django.db import migrations, models

# External content: the index stores no copy of the text. Its content is a view that gives the body as the
# plain text a reader sees (articles_plain_text is registered on every connection by articles.apps); the
# triggers delete a row's old words with the same function, so the index matches what it was built from.
# `INSERT INTO articles_storysearch(articles_storysearch) VALUES('rebuild')` rebuilds it from the view.
FORWARDS = [
    """
    CREATE VIEW articles_storysearch_source AS
    SELECT id, headline, deck, articles_plain_text(body) AS body FROM articles_article
    """,
    """
    CREATE VIRTUAL TABLE articles_storysearch USING fts5(
        headline, deck, body,
        content='articles_storysearch_source', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_storysearch_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO articles_storysearch(rowid, headline, deck, body)
        VALUES (new.id, new.headline, new.deck, articles_plain_text(new.body));
    END
    """,
    """
    CREATE TRIGGER articles_storysearch_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO articles_storysearch(articles_storysearch, rowid, headline, deck, body)
        VALUES ('delete', old.id, old.headline, old.deck, articles_plain_text(old.body));
    END
    """,
    # Only when the words change: comment writes update the story's count and version many times a minute.
    """
    CREATE TRIGGER articles_storysearch_update AFTER UPDATE OF headline, deck, body ON articles_article
    WHEN old.headline IS NOT new.headline OR old.deck IS NOT new.deck OR old.body IS NOT new.body BEGIN
        INSERT INTO articles_storysearch(articles_storysearch, rowid, headline, deck, body)
        VALUES ('delete', old.id, old.headline, old.deck, articles_plain_text(old.body));
        INSERT INTO articles_storysearch(rowid, headline, deck, body)
        VALUES (new.id, new.headline, new.deck, articles_plain_text(new.body));
    END
    """,
    "INSERT INTO articles_storysearch(articles_storysearch) VALUES('rebuild')",
]
BACKWARDS = [
    "DROP TRIGGER articles_storysearch_update",
    "DROP TRIGGER articles_storysearch_delete",
    "DROP TRIGGER articles_storysearch_insert",
    "DROP TABLE articles_storysearch",
    "DROP VIEW articles_storysearch_source",
]


class RunSQLOnSQLite(migrations.RunSQL):
    """RunSQL on SQLite only; elsewhere a no-op."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_article_body_help_text_escaped"),
    ]

    operations = [
        migrations.CreateModel(
            name="StorySearchEntry",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        db_column="rowid",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("document", models.TextField(db_column="articles_storysearch")),
            ],
            options={
                "db_table": "articles_storysearch",
                "managed": False,
            },
        ),
        RunSQLOnSQLite(FORWARDS, BACKWARDS),
    ]
