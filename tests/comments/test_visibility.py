"""Who may see a comment (comments.models.visible_q), tried at every address that takes a comment id and every page
that shows comments: each comment state on each story state, as each kind of viewer."""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from articles.models import Article
from comments import urls as comment_urls
from comments.models import Comment, Notification
from newsroom.services import editors_group, moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

STORIES = ("published", "draft", "review", "scheduled")
# "removed_with_reply" is the tombstone a thread keeps; "removed" and "deleted" have no replies. The deleted one keeps
# its text here (the service blanks it): what hides it must be the rule, not the blanking.
STATES = ("visible", "pending", "removed", "deleted", "removed_with_reply")
VIEWERS = ("anonymous", "reader", "author", "moderator", "editor")  # editor: staff without moderation, previewing
# Every address of comments.urls that takes a comment id, as this table tries it.
ID_URLS = (
    "permalink",
    "thread",
    "reply",
    "edit",
    "delete",
    "like",
    "report",
    "remove",
    "appeal",
    "pick",
    "notice_comment",
)
# Addresses with an id the table does not try: member/<pk>, muting and the reader's history take an account's id, and
# approving writes (it would change the table's comments under the viewers after it): test_moderation_in_place.py
# tries it in every state, for moderators and for everyone else.
NOT_IN_TABLE = {"member", "mute", "reader_history", "reader_restrict", "approve"}


def _story_fields(state: str) -> dict:
    if state == "published":
        return {}
    if state == "scheduled":
        return {"publish_at": timezone.now() + timedelta(days=1)}
    return {"status": Article.Status.DRAFT if state == "draft" else Article.Status.REVIEW, "publish_at": None}


@dataclass
class Target:
    comment: Comment
    story: str
    state: str
    marker: str  # in the comment's text only
    name: str  # its author's display name, in nothing else


@dataclass
class World:
    targets: list[Target]
    clients: dict[str, Client]
    users: dict[str, object]
    author_clients: dict[int, Client] = field(default_factory=dict)


@pytest.fixture
def world(settings):
    # The table posts, likes and reports many times over: the limits have tests of their own.
    settings.COMMENTS_RATE_PER_MINUTE = settings.COMMENTS_LIKES_PER_MINUTE = settings.COMMENTS_REPORTS_PER_HOUR = 0
    moderator = UserFactory(handle="mod", is_staff=True)
    moderator.groups.add(moderators_group())
    editor = UserFactory(handle="editor", is_staff=True)
    editor.groups.add(editors_group())
    users = {"reader": UserFactory(handle="reader"), "moderator": moderator, "editor": editor}
    targets = []
    for story_state in STORIES:
        # Comments are written while the story is live, then the story goes back to draft, review or the future.
        article = ArticleFactory()
        for state in STATES:
            marker = f"zq{state}{story_state}zq"
            author = UserFactory(handle=f"w{len(targets)}", display_name=f"Quorra {state} {story_state}")
            comment = CommentFactory(article=article, author=author, body=f"Secret words {marker}")
            if state == "removed_with_reply":
                CommentFactory(parent=comment, body="A reply that keeps the tombstone in its thread")
            status = Comment.Status.REMOVED if state.startswith("removed") else state
            Comment.objects.filter(pk=comment.pk).update(status=status)
            comment.refresh_from_db()
            targets.append(Target(comment, story_state, state, marker, author.display_name))
        if fields := _story_fields(story_state):
            Article.objects.filter(pk=article.pk).update(**fields)
    clients = {"anonymous": Client()}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
        Notification.objects.bulk_create(
            Notification(recipient=user, comment=t.comment, is_reply=True) for t in targets
        )
    world = World(targets, clients, users)
    for target in targets:
        world.author_clients[target.comment.pk] = client = Client()
        client.force_login(target.comment.author)
    return world


def sees(target: Target, viewer: str) -> str:
    """What the viewer should see of the comment: "text", "tombstone" or "none" (the rule, spelled out again)."""
    tombstone = target.state in ("removed", "deleted", "removed_with_reply")
    if viewer == "moderator":
        return "tombstone" if tombstone else "text"
    if target.story != "published" and viewer != "editor":
        return "none"
    if target.state == "visible" or (target.state == "pending" and viewer == "author"):
        return "text"
    return "tombstone" if target.state == "removed_with_reply" else "none"


def expected_status(url: str, target: Target, viewer: str) -> int:
    seen, signed_in = sees(target, viewer), viewer != "anonymous"
    if url == "remove":  # moderators only, asked before the comment is looked up; a tombstone has nothing to remove
        return 403 if viewer != "moderator" else 404 if seen == "tombstone" else 200
    if url == "appeal":  # only the author, of a decision the audit log holds (none here: the states were set by hand)
        return 302 if not signed_in else 404
    if url == "post":  # a reply with parent=<id>, posted to the story's own form address
        if target.story != "published":
            return 404  # nobody posts to a story that is not live, staff neither
        if not signed_in:
            return 302
        if seen == "none":
            return 404
        if seen == "tombstone" or (target.state == "pending" and viewer != "author"):
            return 400
        return 302
    if seen == "none":
        return 404
    if url in ("reply", "report", "like", "notice_comment") and seen == "tombstone":
        return 404
    return {
        "permalink": 302,
        "thread": 200,
        "reply": 200 if signed_in else 302,
        "report": 200 if signed_in else 302,
        "notice_comment": 200,  # anyone may give an illegal-content notice, signed in or not
        "like": 302,
        "edit": 200 if viewer == "author" and seen == "text" else 403,
        "delete": 200 if viewer == "author" else 403,
        # Editors and moderators pick (a comment that cannot be picked is said so on the page they go back to).
        "pick": 302 if viewer in ("editor", "moderator") else 403,
        "notification": 302,
    }[url]


def request(client: Client, url: str, target: Target):
    comment = target.comment
    if url == "post":
        address = reverse("comments:post", kwargs={"article_pk": comment.article_id})
        return client.post(address, {"body": "A probing reply", "parent": comment.pk})
    if url == "notification":
        notification = Notification.objects.get(recipient_id=client.session["_auth_user_id"], comment=comment)
        return client.post(reverse("notifications:read", kwargs={"pk": notification.pk}))
    address = reverse(f"comments:{url}", kwargs={"pk": comment.pk})
    return client.post(address) if url in ("like", "pick") else client.get(address)


def story_pages(article: Article) -> list[str]:
    return [
        article.get_absolute_url(),
        reverse("comments:story_threads", kwargs={"article_pk": article.pk}),
        reverse("comments:story_all", kwargs={"article_pk": article.pk}),
    ]


def content(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def test_every_comment_address_answers_by_the_one_rule_and_never_leaks(world, record_property):
    """The whole table: a wrong status or a comment's words (or its author's name) where the viewer may not read
    them is collected, so one run shows every bad cell."""
    tried = denied = 0
    wrong: list[str] = []
    leaked: list[str] = []

    def check(response, *, where: str, target: Target, viewer: str, status: int | None, names: bool = True) -> None:
        nonlocal tried, denied
        tried += 1
        html = content(response)
        if status is not None and response.status_code != status:
            wrong.append(f"{where} {target.state} on {target.story} as {viewer}: {response.status_code}, not {status}")
        if status == 404 and response.status_code == 404:
            denied += 1
        if sees(target, viewer) != "text" and (target.marker in html or (names and target.name in html)):
            leaked.append(f"{where} {target.state} on {target.story} as {viewer}")

    for viewer in VIEWERS:
        pages_seen: set[tuple[str, str]] = set()
        for target in world.targets:
            client = world.author_clients[target.comment.pk] if viewer == "author" else world.clients[viewer]
            urls = (*ID_URLS, "post", *(("notification",) if viewer in world.users else ()))
            for url in urls:
                response = request(client, url, target)
                check(response, where=url, target=target, viewer=viewer, status=expected_status(url, target, viewer))
            # The pages that show a story's comments, and the author's profile: the same rule, no id given.
            live = target.story == "published" or viewer in ("editor", "moderator")
            for page in story_pages(target.comment.article):
                if viewer == "author" or (page, target.state) not in pages_seen:
                    pages_seen.add((page, target.state))
                    response = client.get(page)
                    check(response, where=page, target=target, viewer=viewer, status=200 if live else 404)
            profile = client.get(reverse("profile", kwargs={"handle": target.comment.author.handle}))
            on_profile = target.state == "visible" and live
            tried += 1
            if (target.marker in content(profile)) != on_profile:
                leaked.append(f"profile {target.state} on {target.story} as {viewer}")
        if viewer in world.users:
            # Notifications name only comments anyone may read: visible ones on live stories, also for staff.
            listed = content(world.clients[viewer].get(reverse("notifications:list")))
            for target in world.targets:
                tried += 1
                public = target.state == "visible" and target.story == "published"
                if (target.marker in listed) != public:
                    leaked.append(f"notifications {target.state} on {target.story} as {viewer}")

    assert wrong == []
    assert leaked == []
    record_property(
        "figures",
        f"{tried} comment-visibility URLs tried ({len(STATES)} comment states x {len(STORIES)} story states x "
        f"{len(VIEWERS)} viewers): {denied} denied as they should be, {len(leaked)} leaked",
    )


def test_the_table_tries_every_address_that_takes_a_comment_id():
    """A new address with a comment id must join the table above (member/<pk> and its mute take an account's id)."""
    with_id = {p.name for p in comment_urls.urlpatterns if isinstance(p, URLPattern) and "<int:pk>" in str(p.pattern)}
    assert with_id - NOT_IN_TABLE == set(ID_URLS)


def test_queryset_and_rows_agree_with_the_table(world):
    """visible_to() itself, for each viewer: the same answer as the table, without the views."""
    viewers = {"anonymous": AnonymousUser(), **world.users}
    for viewer in VIEWERS:
        for target in world.targets:
            user = target.comment.author if viewer == "author" else viewers[viewer]
            found = Comment.objects.visible_to(user).filter(pk=target.comment.pk).exists()
            assert found == (sees(target, viewer) != "none"), (target.state, target.story, viewer)


def test_failed_replies_count_towards_the_rate_limit(client, settings):
    """Trying ids one after another is slowed like posting: a refused parent or a blank text counts too."""
    settings.COMMENTS_RATE_PER_MINUTE = 3
    article = ArticleFactory()
    hidden = CommentFactory(article=article, body="Held words zqheldzq")
    Comment.objects.filter(pk=hidden.pk).update(status=Comment.Status.PENDING)
    client.force_login(UserFactory())
    address = reverse("comments:post", kwargs={"article_pk": article.pk})
    for parent in (hidden.pk, hidden.pk + 1000):
        response = client.post(address, {"body": "Probe", "parent": parent})
        assert response.status_code == 404
        assert "zqheldzq" not in response.content.decode() and "Probe" in response.content.decode()
    response = client.post(address, {"body": "   ", "parent": hidden.pk})  # blank: refused before any parent check
    assert response.status_code == 404 and "zqheldzq" not in response.content.decode()
    response = client.post(address, {"body": "A real comment at last"})
    assert response.status_code == 429
    assert "A real comment at last" in response.content.decode()


def test_reply_form_never_quotes_a_parent_the_reader_may_not_see(client):
    """The form shown again after a refused reply (here: a blank body) quotes only what the reader may read."""
    article = ArticleFactory()
    hidden = CommentFactory(article=article, body="Held words zqheldzq")
    Comment.objects.filter(pk=hidden.pk).update(status=Comment.Status.PENDING)
    client.force_login(UserFactory())
    response = client.post(
        reverse("comments:post", kwargs={"article_pk": article.pk}), {"body": " ", "parent": hidden.pk}
    )
    assert response.status_code == 404 and "zqheldzq" not in response.content.decode()


@pytest.mark.parametrize("later", ["removed", "story_unpublished"])
def test_email_about_a_comment_taken_down_before_it_goes_is_not_sent(later, django_capture_on_commit_callbacks):
    parent = CommentFactory(author=UserFactory(handle="alex"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = CommentFactory(parent=parent, body="Words zqreplyzq")
    if later == "removed":
        Comment.objects.filter(pk=reply.pk).update(status=Comment.Status.REMOVED)
    else:
        Article.objects.filter(pk=reply.article_id).update(status=Article.Status.DRAFT)
    for callback in callbacks:
        callback()
    assert mail.outbox == []


def test_readers_download_holds_their_own_comments_only(client):
    reader, other = UserFactory(), UserFactory()
    article = ArticleFactory()
    mine = CommentFactory(article=article, author=reader, body="My words zqminezq")
    CommentFactory(article=article, author=other, parent=mine, body="Their words zqtheirszq")
    held = CommentFactory(article=article, author=other, body="Held words zqheldzq")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    client.force_login(reader)
    data = json.loads(b"".join(client.get(reverse("account_comments_json"))).decode())
    assert [c["id"] for c in data["comments"]] == [mine.pk]
    assert "zqtheirszq" not in json.dumps(data) and "zqheldzq" not in json.dumps(data)


def test_a_moderators_page_with_held_comments_is_never_the_shared_one(world):
    """Moderators see everyone's held comments on the story page; the discussion cached for everyone must not."""
    target = next(t for t in world.targets if t.state == "pending" and t.story == "published")
    page = target.comment.article.get_absolute_url()
    assert target.marker in content(world.clients["moderator"].get(page))
    assert target.marker not in content(world.clients["reader"].get(page))
    assert target.marker not in content(Client().get(page))
