"""With the story's `comments` column gone (articles 0010), a story's comments are `article.comments`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0010_discussion_state_moved_to_comments"),
        ("comments", "0010_discussion"),
    ]

    # A related name is Python's alone: nothing changes in the database (its index on article_id stays as it is).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="comment",
                    name="article",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="comments", to="articles.article"
                    ),
                ),
            ],
        ),
    ]
