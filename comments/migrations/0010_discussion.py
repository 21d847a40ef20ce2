"""The discussion's state moves out of the story: mode, count and version go to comments.Discussion, one row a story
that has any of them, copied in batches (articles 0010 then drops the story's columns)."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def stories_to_discussions(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Discussion = apps.get_model("comments", "Discussion")
    # Only stories that differ from a discussion's defaults need a row; the others read as open with no comments.
    changed = (
        Article.objects.exclude(comments="open", comment_count=0, comment_version=0)
        .order_by("pk")
        .values_list("pk", "comments", "comment_count", "comment_version")
    )
    batch = []
    for pk, mode, count, version in changed.iterator(chunk_size=BATCH):
        batch.append(Discussion(article_id=pk, mode=mode, comment_count=count, version=version))
        if len(batch) == BATCH:
            Discussion.objects.bulk_create(batch)
            batch = []
    Discussion.objects.bulk_create(batch)


def discussions_to_stories(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Discussion = apps.get_model("comments", "Discussion")
    for discussion in Discussion.objects.order_by("pk").iterator(chunk_size=BATCH):
        Article.objects.filter(pk=discussion.article_id).update(
            comments=discussion.mode, comment_count=discussion.comment_count, comment_version=discussion.version
        )


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0009_comment_count_kept_by_deltas"),
        ("comments", "0009_moderation_queue_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="Discussion",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="discussion",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                (
                    "mode",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("premoderated", "Open, held for moderation"),
                            ("closed", "Closed"),
                        ],
                        default="open",
                        help_text="Whether readers may comment.",
                        max_length=12,
                        verbose_name="comments",
                    ),
                ),
                (
                    "comment_count",
                    models.PositiveIntegerField(
                        default=0,
                        editable=False,
                        help_text="Visible comments, moved by what each comment write changes.",
                    ),
                ),
                (
                    "version",
                    models.PositiveIntegerField(
                        default=0,
                        editable=False,
                        help_text="Bumped by every write to the discussion; keys its cached fragments.",
                    ),
                ),
            ],
        ),
        migrations.RunPython(stories_to_discussions, discussions_to_stories, elidable=False),
    ]
