"""Archive scale (issue 15): report counts kept on the comment row for the moderation queue's partial index, and
the indexes that keyset pages read (a reader's comments, a reader's notifications), all built CONCURRENTLY."""

from django.conf import settings
from django.db import migrations, models

from newsroom.operations import AddIndexConcurrently


def count_reports(apps, schema_editor):
    """Every reported comment's count, in one set-based UPDATE."""
    Comment = apps.get_model("comments", "Comment")
    CommentReport = apps.get_model("comments", "CommentReport")
    counts = (
        CommentReport.objects.filter(comment=models.OuterRef("pk"))
        .order_by()
        .values("comment")
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    Comment.objects.filter(pk__in=CommentReport.objects.values("comment")).update(report_count=models.Subquery(counts))
    if schema_editor.connection.vendor == "postgresql":
        # The new column's statistics, so the queue's partial index is chosen from the first request.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ANALYZE comments_comment")


class Migration(migrations.Migration):
    # The indexes build CONCURRENTLY on PostgreSQL, which cannot run inside a transaction.
    atomic = False

    dependencies = [
        ('comments', '0011_comment_article_related_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='comment',
            name='report_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_reports, migrations.RunPython.noop, elidable=False),
        AddIndexConcurrently(
            model_name='comment',
            index=models.Index(condition=models.Q(('status', 'pending'), models.Q(('report_count__gt', 0), ('status', 'visible')), _connector='OR'), fields=['-report_count', '-id'], name='comment_queue_idx'),
        ),
        AddIndexConcurrently(
            model_name='comment',
            index=models.Index(condition=models.Q(('status', 'visible')), fields=['author', '-created_at', '-id'], name='comment_author_time_idx'),
        ),
        AddIndexConcurrently(
            model_name='notification',
            index=models.Index(fields=['recipient', '-created_at', '-id'], name='notification_time_idx'),
        ),
    ]
