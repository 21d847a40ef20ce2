"""The discussion's mode, count and version now live in comments.Discussion (copied there by comments 0010).

On SQLite, putting the columns back (a downgrade) rebuilds the stories table, which its full-text index (0006: a
view and triggers over the table) does not survive: the index is taken down around the change and rebuilt."""

from importlib import import_module

from django.db import migrations

search = import_module("articles.migrations.0006_story_search_sqlite")


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0009_comment_count_kept_by_deltas"),
        ("comments", "0010_discussion"),
    ]

    operations = [
        search.RunSQLOnSQLite(search.BACKWARDS, search.FORWARDS),
        migrations.RemoveField(model_name="article", name="comments"),
        migrations.RemoveField(model_name="article", name="comment_count"),
        migrations.RemoveField(model_name="article", name="comment_version"),
        search.RunSQLOnSQLite(search.FORWARDS, search.BACKWARDS),
    ]
