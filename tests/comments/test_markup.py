"""The comment rows built in Python (comments.markup) say exactly what the reference template says."""

import random
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import get_template
from django.utils import timezone
from django.utils.timesince import timesince

from comments import markup, selectors, services
from comments.models import Comment
from comments.rendering import READER_SLOT
from tests.factories import ArticleFactory, AuthorFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def normal(html: str) -> str:
    """Whitespace between tags is layout in the template and absent in Python: compare without it."""
    return re.sub(r"\s+<", "<", re.sub(r">\s+", ">", re.sub(r"\s+", " ", html))).strip()


def both(rows, is_open=True) -> tuple[str, str]:
    template = get_template("comments/includes/_threads.html").render({"rows": rows, "is_open": is_open})
    return normal(template), normal(markup.rows_html(rows, is_open=is_open, slot=READER_SLOT))


@pytest.fixture
def discussion(settings):
    """Every kind of row: visible, the reader's pending one, deleted and removed tombstones, staff and story-author
    badges, an edited comment, a reader name that needs escaping, a thread deeper than the indent cap."""
    settings.COMMENTS_REPLIES_PER_THREAD = 3
    reporter = UserFactory(handle="reporter", display_name="Ines <b>Valcourt</b> & co")
    article = ArticleFactory(authors=[AuthorFactory(user=reporter)])
    editor = UserFactory(handle="deskeditor", is_staff=True)
    root = CommentFactory(article=article, author=reporter, body="Reporter here: <script>alert(1)</script>")
    parent = root
    for _ in range(9):
        parent = CommentFactory(parent=parent)
    staff = CommentFactory(article=article, author=editor, body="Editor's note.")
    services.comment_edit(comment=staff, user=editor, body="Editor's note, edited.")
    gone = CommentFactory(article=article)
    CommentFactory(parent=gone)
    services.comment_delete(comment=gone, user=gone.author)
    removed = CommentFactory(article=article)
    CommentFactory(parent=removed)
    services.comment_remove(comments=[removed], moderator=editor, reason="Spam")
    pending = CommentFactory(article=article, body="Held")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)
    return article, pending.author


@pytest.mark.parametrize("is_open", [True, False], ids=["open", "closed"])
def test_python_rows_match_the_template_on_the_story_page(discussion, is_open):
    article, pending_author = discussion
    rows = selectors.discussion_for_story(article=article, user=pending_author).rows
    assert {row.state for row in rows} == {"visible", "pending", "deleted", "removed"}
    assert any(row.thread_more for row in rows)
    template, python = both(rows, is_open)
    assert template == python
    assert "&lt;b&gt;Valcourt&lt;/b&gt; &amp; co" in python and "<b>Valcourt" not in python


def test_python_rows_match_the_template_on_the_whole_discussion(discussion):
    article, _ = discussion
    rows = selectors.whole_discussion(article=article, user=AnonymousUser()).rows
    assert any(row.reply_to for row in rows) and not any(row.continue_url for row in rows)
    template, python = both(rows)
    assert template == python


def test_python_rows_match_the_template_on_a_thread_page(discussion, settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 20
    article, _ = discussion
    rows = selectors.discussion_for_story(article=article, user=AnonymousUser()).rows
    assert any(row.continue_url for row in rows)
    template, python = both(rows)
    assert template == python


def test_ages_cut_to_their_largest_unit_read_as_timesince_says():
    now = timezone.now()
    builder = selectors._RowBuilder(now)
    ages = [0, 59, 60, 61, 3599, 3600, 7199, 86399, 86400, 604799, 604800, 27 * 86400 + 5, 40 * 86400, 400 * 86400]
    ages += random.Random(6).sample(range(28 * 86400), 300)
    for seconds in ages:
        created = now - timedelta(seconds=seconds)
        expected = "just now" if seconds < 60 else f"{timesince(created, now, depth=1)} ago"
        assert builder.created_ago(created) == expected, seconds
