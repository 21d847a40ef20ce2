"""PostgreSQL's search reads the stories through a GIN index on their weighted words instead of parsing every
story per query. Built CONCURRENTLY, so a live site keeps publishing while it builds; SQLite has its own index."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "article_search_idx"


def _index() -> GinIndex:
    # The expression articles.search.search_vector() queries, frozen here as it was when the index was made.
    vector = (
        SearchVector("headline", weight="A", config="english")
        + SearchVector("deck", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    return GinIndex(vector, name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("articles", "Article"), _index(), concurrently=True)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("articles", "Article"), _index(), concurrently=True)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("articles", "0006_story_search_sqlite"),
    ]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
