"""The discussion's mode, count and version now live in comments.Discussion (copied there by comments 0010)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0009_comment_count_kept_by_deltas"),
        ("comments", "0010_discussion"),
    ]

    operations = [
        migrations.RemoveField(model_name="article", name="comments"),
        migrations.RemoveField(model_name="article", name="comment_count"),
        migrations.RemoveField(model_name="article", name="comment_version"),
    ]
