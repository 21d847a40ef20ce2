"""The benchmark's data builder: the issue-6 shape, and trees as sound as django-mptt's own."""

import pytest

from bench import data, shape
from comments import text
from comments.models import Comment, Discussion
from comments.trees import Row, tree_problems


def test_shape_is_the_issues():
    comments = shape.discussion(1000)
    roots = [c for c in comments if c.parent is None]
    assert 0.25 < len(roots) / len(comments) < 0.35
    assert max(c.level for c in comments) == shape.MAX_LEVEL
    assert all(c.parent < c.index for c in comments if c.parent is not None)
    assert all(c.level == comments[c.parent].level + 1 for c in comments if c.parent is not None)
    assert all(200 <= len(c.body) <= 610 for c in comments)
    assert len({c.author for c in comments}) > 190
    assert [c.minutes for c in comments] == sorted(c.minutes for c in comments)
    assert shape.discussion(1000) == comments  # the same every run


@pytest.mark.django_db
def test_builder_makes_sound_trees_with_rendered_bodies():
    article = data.build_story(150, liker=data.commenters()[0])
    other = data.build_story(40, single_thread=True)
    rows = Comment.objects.order_by().values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    assert tree_problems(Row(*row) for row in rows) == {}
    assert Comment.objects.filter(article=article).count() == 150
    assert Comment.objects.filter(article=other, parent=None).count() == 1
    discussion = Discussion.objects.get(pk=article.pk)
    assert discussion.comment_count == 150 and discussion.version > 0
    comment = Comment.objects.filter(article=article, body__contains="@bench_reader_").first()
    assert comment is not None and 'class="mention"' in comment.body_html
    plain = Comment.objects.filter(article=article).exclude(body__contains="@").first()
    assert plain.body_html == text.render(plain.body)


@pytest.mark.django_db
def test_the_archive_builder_makes_the_issues_shape_at_a_thousandth():
    from bench import archive_data
    from comments.models import CommentReport, Notification
    from newsroom.models import User

    facts = archive_data.build(0.001)
    rows = Comment.objects.order_by().values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    assert tree_problems(Row(*row) for row in rows) == {}
    assert facts["stories"] == 102 and 500 <= facts["comments"] <= 520
    assert Comment.objects.filter(article_id=facts["big_story"]).count() == 50
    thread = Comment.objects.filter(article_id=facts["thread_story"])
    assert thread.count() == 21 and thread.filter(parent=None).count() == 1
    assert Comment.objects.filter(author_id=facts["heavy"]).count() == 20
    assert Notification.objects.filter(recipient_id=facts["notified"]).count() == 20
    assert CommentReport.objects.exists() and Comment.objects.filter(status=Comment.Status.PENDING).exists()
    assert User.objects.get(pk=facts["admin"]).is_superuser
    visible = Comment.objects.filter(article_id=facts["big_story"], status=Comment.Status.VISIBLE).count()
    assert Discussion.objects.get(pk=facts["big_story"]).comment_count == visible
