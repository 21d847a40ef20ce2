"""Roles and headlines for other places (issue 16): the publish permission, the note to the editor, and the
optional social and search headlines and descriptions.

On SQLite, adding the columns rebuilds the stories table, which its full-text index (0006: a view and triggers over
the table) does not survive: the index is taken down around the change and rebuilt, as in 0010."""

from importlib import import_module

from django.db import migrations, models

search = import_module("articles.migrations.0006_story_search_sqlite")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0016_drop_related_link"),
    ]

    operations = [
        search.RunSQLOnSQLite(search.BACKWARDS, search.FORWARDS),
        migrations.AlterModelOptions(
            name="article",
            options={
                "ordering": ["-publish_at", "-pk"],
                "permissions": [("publish_article", "Can publish, schedule and unpublish stories")],
            },
        ),
        migrations.AddField(
            model_name="article",
            name="review_note",
            field=models.TextField(
                blank=True,
                help_text="What the editor should check before publishing: sources, timing, legal worries. Never shown to readers; required when a story goes into review.",
                verbose_name="note to the editor",
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="seo_description",
            field=models.CharField(
                blank=True,
                help_text="The snippet under the title in search results. About 155 characters; empty means the deck.",
                max_length=300,
                verbose_name="search description",
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="seo_title",
            field=models.CharField(
                blank=True,
                help_text="The page title in the browser tab and search results. About 60 characters (the site's name is added after it); empty means the headline.",
                max_length=200,
                verbose_name="search title",
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="social_description",
            field=models.CharField(
                blank=True,
                help_text="The text of the social card. About 150 characters, most networks cut the rest; empty means the deck.",
                max_length=300,
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="social_headline",
            field=models.CharField(
                blank=True,
                help_text="The title of the card on social networks (Open Graph, Twitter). About 60 to 90 characters; empty means the headline.",
                max_length=200,
            ),
        ),
        search.RunSQLOnSQLite(search.FORWARDS, search.BACKWARDS),
    ]
