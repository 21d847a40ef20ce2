"""The staff roles: Reporters write stories, Editors run and publish them, Moderators run the discussion, each with
exactly its permissions."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from articles.models import LIVE_BLOCKS, Article
from comments.models import Comment, Discussion, Restriction
from newsroom.services import BODY_PARTS, editors_group, moderators_group, reporters_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory, report

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:comments_moderationitem_changelist")


def signed_in(client, *groups):
    user = UserFactory(is_staff=True)
    user.groups.add(*groups)
    client.force_login(user)
    return user


def act(client, action, comments):
    return client.post(QUEUE, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in comments]}, follow=True)


def perms(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_moderators_group_holds_exactly_what_moderation_needs():
    assert perms(moderators_group()) == {
        "comments.view_comment",
        "comments.change_comment",
        "comments.view_moderationitem",
        "comments.change_moderationitem",
        "comments.view_commentreport",
        "comments.add_restriction",
        "comments.change_restriction",
        "comments.delete_restriction",
        "comments.view_restriction",
        "comments.add_moderationrule",
        "comments.change_moderationrule",
        "comments.delete_moderationrule",
        "comments.view_moderationrule",
        "comments.change_illegalcontentnotice",
        "comments.view_illegalcontentnotice",
        "comments.change_discussion",
        "comments.view_discussion",
        "comments.view_surgeswitch",
        "comments.change_appeal",
        "comments.view_appeal",
        "comments.view_moderationaction",
    }


STORY_PARTS = {
    f"articles.{action}_{model}"
    for model in ("byline", "leadimage", *BODY_PARTS)
    for action in ("add", "change", "delete", "view")
}
# A live entry's blocks, one table per kind of a story's block: editors write entries, reporters do not.
LIVE_ENTRY_BLOCKS = {
    f"articles.{action}_{kind._meta.model_name}"
    for kind in LIVE_BLOCKS
    for action in ("add", "change", "delete", "view")
}


def test_the_editors_group_writes_publishes_and_opens_discussions():
    assert perms(editors_group()) == STORY_PARTS | LIVE_ENTRY_BLOCKS | {
        "articles.add_article",
        "articles.change_article",
        "articles.delete_article",
        "articles.view_article",
        "articles.publish_article",
        "articles.add_image",
        "articles.change_image",
        "articles.view_image",
        "articles.add_author",
        "articles.change_author",
        "articles.view_author",
        "articles.add_tag",
        "articles.change_tag",
        "articles.view_tag",
        "articles.view_section",
        "articles.add_liveentry",
        "articles.change_liveentry",
        "articles.delete_liveentry",
        "articles.view_liveentry",
        "comments.add_discussion",
        "comments.change_discussion",
        "comments.view_discussion",
        "comments.view_surgeswitch",
    }


def test_the_reporters_group_writes_stories_but_cannot_publish_or_delete_them():
    assert perms(reporters_group()) == STORY_PARTS | {
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.add_image",
        "articles.change_image",
        "articles.view_image",
        "articles.view_author",
        "articles.view_tag",
        "articles.view_section",
    }


def test_migrate_creates_the_groups_with_their_permissions():
    Group.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert perms(Group.objects.get(name="Moderators")) == perms(moderators_group())
    assert perms(Group.objects.get(name="Editors")) == perms(editors_group())
    assert perms(Group.objects.get(name="Reporters")) == perms(reporters_group())
    assert "articles.publish_article" in perms(Group.objects.get(name="Editors"))


def test_a_moderator_opens_the_queue_approves_removes_and_suspends(client):
    moderator = signed_in(client, moderators_group())
    story = ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED)
    held = CommentFactory(article=story, body="Waiting for a moderator")
    rude = CommentFactory(article=story, body="Rude")
    reported = CommentFactory(body="Reported as spam")
    report(reported, "spam")
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert "Waiting for a moderator" in page.content.decode() and "Reported as spam" in page.content.decode()
    assert client.get(reverse("admin:comments_moderationitem_change", args=[reported.pk])).status_code == 200

    act(client, "approve", [held])
    assert Comment.objects.get(pk=held.pk).status == Comment.Status.VISIBLE
    act(client, "remove_spam", [reported])
    removed = Comment.objects.get(pk=reported.pk)
    assert (removed.status, removed.removal_reason) == (Comment.Status.REMOVED, "Spam")
    client.post(
        QUEUE,
        {
            "action": "restrict_authors",
            ACTION_CHECKBOX_NAME: [rude.pk],
            "apply": "1",
            "kind": "suspension",
            "days": 7,
            "reason": "Rude.",
        },
    )
    assert Restriction.objects.get(user=rude.author).created_by == moderator


def test_a_moderator_cannot_edit_stories(client):
    signed_in(client, moderators_group())
    story = ArticleFactory(headline="Untouched")
    change = reverse("admin:articles_article_change", args=[story.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"headline": "Changed"}).status_code == 403
    assert client.get(reverse("admin:articles_article_add")).status_code == 403
    assert Article.objects.get(pk=story.pk).headline == "Untouched"


def test_an_editor_without_the_moderators_group_gets_403_on_the_queue(client):
    signed_in(client, editors_group())
    assert client.get(QUEUE).status_code == 403
    assert client.get(reverse("admin:comments_comment_changelist")).status_code == 403


def offered_actions(client) -> set[str]:
    page = client.get(QUEUE)
    assert page.status_code == 200
    return set(page.context["cl"].model_admin.get_actions(page.wsgi_request))


def test_viewing_the_queue_alone_runs_no_moderation_action(client):
    user = signed_in(client)
    user.user_permissions.add(Permission.objects.get(codename="view_moderationitem"))
    held = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED))
    assert offered_actions(client) == set()
    act(client, "approve", [held])
    assert Comment.objects.get(pk=held.pk).status == Comment.Status.PENDING


def test_suspending_and_banning_need_the_restriction_permission(client):
    user = signed_in(client)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_moderationitem", "change_moderationitem"]))
    held = CommentFactory(article=ArticleFactory(discussion_mode=Discussion.Mode.PREMODERATED))
    assert "approve" in offered_actions(client) and "restrict_authors" not in offered_actions(client)
    act(client, "restrict_authors", [held])
    assert not Restriction.objects.exists()
    act(client, "approve", [held])
    assert Comment.objects.get(pk=held.pk).status == Comment.Status.VISIBLE
