"""The GIN index search reads, now on the stored document (0010) instead of an expression recomputed per story;
the expression's index (0007) goes. A keyset index for section pages. All CONCURRENTLY on PostgreSQL."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

from newsroom.operations import AddIndexConcurrently

OLD_INDEX = "article_search_idx"
INDEX = GinIndex(fields=["search_document"], name="article_search_document_idx")


def swap_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        Article = apps.get_model("articles", "Article")
        schema_editor.add_index(Article, INDEX, concurrently=True)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")


def restore_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector

        vector = (
            SearchVector("headline", weight="A", config="english")
            + SearchVector("deck", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        Article = apps.get_model("articles", "Article")
        schema_editor.add_index(Article, GinIndex(vector, name=OLD_INDEX), concurrently=True)
        schema_editor.remove_index(Article, INDEX, concurrently=True)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("articles", "0011_story_search_document"),
    ]

    operations = [
        # The GIN index exists on PostgreSQL only (SQLite has no GIN): outside the model's state, as 0007's was.
        migrations.RunPython(swap_indexes, restore_indexes, elidable=False),
        AddIndexConcurrently(
            model_name="article",
            index=models.Index(fields=["section", "-publish_at", "-id"], name="article_section_time_idx"),
        ),
    ]
