from django.db import migrations
from django.db.models import Count


def recount(apps, schema_editor):
    """Stories with comments from before the count was kept on the story get theirs once."""
    Article = apps.get_model("articles", "Article")
    Comment = apps.get_model("comments", "Comment")
    counts = Comment.objects.filter(status="visible").values("article_id").annotate(n=Count("pk")).order_by()
    for row in counts:
        Article.objects.filter(pk=row["article_id"]).update(comment_count=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_story_comment_count_version"),
        ("comments", "0004_comment_disqus_id"),
    ]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
