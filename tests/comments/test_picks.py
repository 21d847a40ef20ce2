"""Editors' picks: who may pick, the Picks view of a story's discussion, the marks, the author's notification and
e-mail, the audit log, the cache and edge purges, the profile's section; and the newsroom's replies."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from comments import services
from comments.models import Comment, ModerationAction, Notification
from comments.notifications import send_waiting_emails
from comments.selectors import story_picks, story_threads
from newsroom.services import editors_group, moderators_group, reporters_group
from tests.factories import ArticleFactory, AuthorFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(group) -> object:
    user = UserFactory(is_staff=True)
    user.groups.add(group())
    return user


@pytest.fixture
def editor():
    return staff(editors_group)


@pytest.fixture
def moderator():
    return staff(moderators_group)


def test_editors_and_moderators_pick_and_unpick_and_each_is_in_the_audit_log(editor, moderator):
    comment = CommentFactory(body="A thoughtful comment.")
    assert services.comment_pick(comment=comment, by=editor) is True
    comment.refresh_from_db()
    assert comment.picked_at is not None and comment.picked_by == editor
    # A second pick from a stale page changes nothing and logs nothing.
    services.comment_pick(comment=comment, by=moderator)
    assert Comment.objects.get(pk=comment.pk).picked_by == editor
    assert services.comment_pick(comment=comment, by=moderator, picked=False) is False
    comment.refresh_from_db()
    assert comment.picked_at is None and comment.picked_by is None
    actions = list(ModerationAction.objects.order_by("pk").values_list("action", "actor", "comment", "user"))
    assert actions == [
        (ModerationAction.Action.PICK, editor.pk, comment.pk, comment.author_id),
        (ModerationAction.Action.UNPICK, moderator.pk, comment.pk, comment.author_id),
    ]


def test_readers_and_reporters_may_not_pick_and_hidden_comments_cannot_be_picked(editor):
    comment = CommentFactory()
    for user in (UserFactory(), staff(reporters_group)):
        with pytest.raises(PermissionDenied):
            services.comment_pick(comment=comment, by=user)
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.PENDING)
    comment.refresh_from_db()
    with pytest.raises(ValidationError, match="Only visible comments can be picked"):
        services.comment_pick(comment=comment, by=editor)


def test_the_pick_control_answers_404_for_no_comment_403_without_the_right(client, editor):
    comment = CommentFactory()
    client.force_login(UserFactory())
    assert client.post(f"/comments/{comment.pk}/pick/").status_code == 403
    assert not Comment.objects.get(pk=comment.pk).picked_at
    client.force_login(editor)
    assert client.post("/comments/999999/pick/").status_code == 404
    assert client.get(f"/comments/{comment.pk}/pick/").status_code == 405
    response = client.post(f"/comments/{comment.pk}/pick/", {"picked": "true"}, follow=True)
    assert "The comment is an editors&#x27; pick." in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).picked_at
    client.post(f"/comments/{comment.pk}/pick/", {"picked": "false"})
    assert not Comment.objects.get(pk=comment.pk).picked_at


def test_only_editors_and_moderators_see_the_pick_control_and_everyone_sees_the_mark(client, editor):
    article = ArticleFactory()
    comment = CommentFactory(article=article, body="Worth reading.")
    url = article.get_absolute_url()
    assert "/pick/" not in client.get(url).content.decode()
    client.force_login(UserFactory())
    assert "/pick/" not in client.get(url).content.decode()
    client.force_login(editor)
    html = client.get(url).content.decode()
    assert f'action="/comments/{comment.pk}/pick/"' in html and ">Pick</button>" in html
    services.comment_pick(comment=comment, by=editor)
    assert ">Unpick</button>" in client.get(url).content.decode()
    assert '<span class="badge badge--pick">Editors\' pick</span>' in Client().get(url).content.decode()


def test_the_picks_view_lists_picked_comments_newest_pick_first_replies_too(client, editor, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    article = ArticleFactory()
    first = CommentFactory(article=article, body="First picked.")
    CommentFactory(article=article, body="Never picked.")
    reply = CommentFactory(parent=first, body="A picked reply.")
    third = CommentFactory(article=article, body="Picked last.")
    for comment in (first, reply, third):
        services.comment_pick(comment=comment, by=editor)
    picks = story_picks(article=article, user=AnonymousUser())
    assert [c.pk for c in picks.comments] == [third.pk, reply.pk]
    assert picks.next_page == 2 and picks.pages == 2
    assert [c.pk for c in story_picks(article=article, user=AnonymousUser(), page=2).comments] == [first.pk]
    html = client.get(f"{article.get_absolute_url()}?sort=picks").content.decode()
    assert "Picked last." in html and "A picked reply." in html and "Never picked." not in html
    assert '<strong aria-current="true">Editors&#x27; picks</strong>' in html
    assert client.get(f"{article.get_absolute_url()}?sort=picks&page=3").status_code == 404


def test_the_picks_view_of_a_story_without_picks_says_so(client):
    article = ArticleFactory()
    CommentFactory(article=article)
    html = client.get(f"{article.get_absolute_url()}?sort=picks").content.decode()
    assert "No editors' picks in this discussion yet." in html


def test_a_removed_pick_leaves_the_picks_view(editor, moderator):
    comment = CommentFactory()
    services.comment_pick(comment=comment, by=editor)
    services.comment_remove(comments=[comment], moderator=moderator, reason="Spam")
    assert story_picks(article=comment.article, user=UserFactory()).comments == []


def test_the_picks_view_reads_one_query_however_many_picks(editor, django_assert_num_queries, settings):
    article = ArticleFactory(authors=[])
    for _ in range(3):
        services.comment_pick(comment=CommentFactory(article=article), by=editor)
    reader = UserFactory()
    with django_assert_num_queries(2):  # the picks with their count, the story's bylined accounts
        story_picks(article=article, user=reader)
    for _ in range(30):
        services.comment_pick(comment=CommentFactory(article=article), by=editor)
    with django_assert_num_queries(2):
        assert len(story_picks(article=article, user=reader).comments) == settings.COMMENTS_THREADS_PER_PAGE


def test_the_author_is_notified_and_e_mailed_once_and_unpicking_takes_it_back(editor, settings):
    settings.NOTIFICATIONS_EMAIL_WINDOW = 0
    author = UserFactory(handle="marta")
    comment = CommentFactory(author=author, body="The numbers add up.")
    services.comment_pick(comment=comment, by=editor)
    notification = Notification.objects.get(recipient=author)
    assert notification.is_pick and notification.comment == comment
    assert notification.summary == "picked your comment"
    send_waiting_emails()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [author.email]
    assert message.subject.startswith("The editors picked your comment")
    assert "e-mail for editors' picks is switched on" in message.body
    services.comment_pick(comment=comment, by=editor, picked=False)
    assert not Notification.objects.filter(recipient=author).exists()


def test_a_reader_who_switched_pick_e_mail_off_is_told_only_on_the_site(editor, settings, client):
    settings.NOTIFICATIONS_EMAIL_WINDOW = 0
    author = UserFactory(email_on_pick=False)
    comment = CommentFactory(author=author)
    services.comment_pick(comment=comment, by=editor)
    send_waiting_emails()
    assert mail.outbox == []
    client.force_login(author)
    html = client.get("/notifications/").content.decode()
    assert "<strong>The editors</strong>" in html and "picked your comment on" in html


def test_a_pick_moves_the_discussion_version_and_purges_the_story_at_the_edge(editor, monkeypatch):
    from comments.models import Discussion
    from newsroom import edge

    comment = CommentFactory()
    purged = []
    monkeypatch.setattr(edge, "purge_on_commit", lambda *keys: purged.append(keys))
    before = Discussion.objects.get(pk=comment.article_id).version
    services.comment_pick(comment=comment, by=editor)
    services.comment_pick(comment=comment, by=editor, picked=False)
    assert Discussion.objects.get(pk=comment.article_id).version == before + 2
    assert purged == [(comment.article.surrogate_key,)] * 2


def test_the_profile_has_a_picks_section(client, editor):
    member = UserFactory(handle="marta")
    picked = CommentFactory(author=member, body="Picked words.")
    CommentFactory(author=member, body="Other words.")
    assert "picks-heading" not in client.get(member.get_absolute_url()).content.decode()
    services.comment_pick(comment=picked, by=editor)
    html = client.get(member.get_absolute_url()).content.decode()
    section = html.split('id="picks-heading"')[1].split("</section>")[0]
    assert "Picked words." in section and "Other words." not in section
    assert f'href="{picked.get_absolute_url()}"' in section


# Replies from the newsroom ------------------------------------------------------------------------------------


@pytest.fixture
def newsroom_story(settings):
    settings.COMMENTS_REPLIES_PER_THREAD = 2
    reporter = UserFactory(handle="reporter")
    article = ArticleFactory(authors=[AuthorFactory(user=reporter)])
    answered = CommentFactory(article=article, body="A question for the author.")
    for n in range(3):
        CommentFactory(parent=answered, body=f"Reader reply {n}.")
    answer = CommentFactory(parent=answered, author=reporter, body="Author here: the answer.")
    quiet = CommentFactory(article=article, body="Nobody from the newsroom here.")
    staff_thread = CommentFactory(article=article, body="Another question.")
    staff_reply = CommentFactory(parent=staff_thread, author=UserFactory(is_staff=True), body="Desk: replied.")
    return article, answered, answer, quiet, staff_thread, staff_reply


def test_the_newsroom_view_shows_only_threads_the_newsroom_replied_in(client, newsroom_story):
    article, answered, _, quiet, staff_thread, _ = newsroom_story
    threads = story_threads(article=article, user=UserFactory(), sort="newsroom")
    roots = [c.pk for c in threads.comments if c.parent_id is None]
    assert roots == [answered.pk, staff_thread.pk]
    html = client.get(f"{article.get_absolute_url()}?sort=newsroom").content.decode()
    assert "Nobody from the newsroom here." not in html
    assert '<strong aria-current="true">Replies from the newsroom</strong>' in html


def test_a_thread_whose_newsroom_reply_is_off_the_page_links_to_it(client, newsroom_story):
    article, answered, answer, quiet, _, staff_reply = newsroom_story
    html = client.get(article.get_absolute_url()).content.decode()
    # The author's answer is the fourth reply, past the two the page shows: one summary link, to it.
    assert html.count("The newsroom replied") == 1
    assert f'<a href="/comments/{answer.pk}/">The newsroom replied: {answer.author.display_name}</a>' in html
    # The desk's reply is on the page already: no summary for its thread.
    assert f'id="comment-{staff_reply.pk}"' in html


def test_the_newsroom_summary_costs_one_query_a_page(newsroom_story, django_assert_num_queries):
    article = newsroom_story[0]
    reader = UserFactory()
    with django_assert_num_queries(3):  # the threads, the story's bylined accounts, the newsroom's replies
        story_threads(article=article, user=reader)
