"""Commenters imported from Disqus who have not claimed their accounts: a public profile with their comments, and
@handles in imported comments (and in new ones) that link to it, without ever e-mailing them."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from comments import notifications
from comments import services as comment_services
from comments.models import Comment, Mention, Notification
from newsroom import services
from newsroom.models import ImportedAccount, User
from tests.comments.disqus_files import P, T, minutes, write_export
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_comment_rate_limit(settings):
    settings.COMMENTS_RATE_PER_MINUTE = 0


def imported(handle: str, **fields) -> User:
    user = UserFactory(handle=handle, is_active=False, email_confirmed_at=None, password=None, **fields)
    ImportedAccount.objects.create(user=user, source=ImportedAccount.Source.DISQUS, username=handle)
    return user


def story_link(article) -> str:
    return "https://oldpaper.example" + article.get_absolute_url()


def import_file(path) -> str:
    out = io.StringIO()
    call_command("import_disqus", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_unclaimed_imported_commenter_has_a_profile_with_their_comments(client):
    oldtimer = imported("oldtimer", display_name="Old Timer")
    CommentFactory(author=oldtimer, body="From the archive.")
    response = client.get(reverse("profile", kwargs={"handle": "oldtimer"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Old Timer" in page and "From the archive." in page and "1 comment" in page
    assert "Imported from our old comment system; this account is not yet claimed" in page
    assert reverse("password_reset") in page  # the way to claim it
    assert "Member since" not in page  # the date of the import, not of joining
    assert client.get("/@OldTimer/").status_code == 301


def test_a_claimed_account_is_an_ordinary_profile(client):
    oldtimer = imported("oldtimer")
    oldtimer.set_password("a long enough passphrase 42")
    services.imported_account_claim(user=oldtimer)
    page = client.get(reverse("profile", kwargs={"handle": "oldtimer"})).content.decode()
    assert "Member since" in page and "not yet claimed" not in page


@pytest.mark.parametrize("kind", ["closed", "disabled"])
def test_closed_and_disabled_accounts_still_have_no_profile(client, kind):
    user = UserFactory(handle="gone", is_active=False)
    if kind == "closed":
        services.account_delete(user=user)
    assert client.get(reverse("profile", kwargs={"handle": "gone"})).status_code == 404
    assert client.get(reverse("comments:member", kwargs={"pk": user.pk})).status_code == 404


def test_a_mention_link_reaches_an_imported_commenters_profile(client):
    oldtimer = imported("oldtimer")
    response = client.get(reverse("comments:member", kwargs={"pk": oldtimer.pk}))
    assert response.status_code == 302 and response.url == "/@oldtimer/"


def test_a_new_comment_mentioning_an_imported_commenter_links_and_never_e_mails_them(
    django_capture_on_commit_callbacks,
):
    oldtimer = imported("oldtimer")
    root = CommentFactory(author=oldtimer, body="An old thought.")
    with django_capture_on_commit_callbacks(execute=True):
        reply = comment_services.comment_create(
            article=root.article, author=UserFactory(handle="sam"), parent=root, body="@oldtimer still true?"
        )
    member = reverse("comments:member", kwargs={"pk": oldtimer.pk})
    assert f'<a href="{member}" class="mention">@oldtimer</a>' in reply.body_html
    assert Mention.objects.filter(comment=reply, user=oldtimer).exists()
    (notification,) = Notification.objects.filter(recipient=oldtimer)
    assert notification.is_reply and notification.is_mention
    assert notification.email == Notification.Email.NONE  # in-app only: nobody has proved the address
    assert notifications.send_waiting_emails() == 0
    assert mail.outbox == []


def test_an_import_links_mentions_of_commenters_from_its_own_and_later_stories(tmp_path):
    first, second = ArticleFactory(slug="first-story"), ArticleFactory(slug="second-story")
    threads = [T("t1", link=story_link(first)), T("t2", link=story_link(second))]
    posts = [
        P("1", "t1", username="alice", message="<p>@bob_later will disagree, @carol agrees</p>"),
        P("2", "t1", username="carol", name="Carol", email="carol@example.com", created=minutes(1)),
        P("3", "t2", username="bob_later", name="Bob", email="bob@example.com", created=minutes(2)),
    ]
    import_file(write_export(tmp_path, threads, posts))

    comment = Comment.objects.get(disqus_id="1")
    bob, carol = User.objects.get(handle="bob_later"), User.objects.get(handle="carol")
    for user in (bob, carol):
        assert f'href="{reverse("comments:member", kwargs={"pk": user.pk})}" class="mention">@{user.handle}</a>' in (
            comment.body_html
        )
    assert set(Mention.objects.filter(comment=comment).values_list("user__handle", flat=True)) == {"bob_later", "carol"}
    assert not Notification.objects.exists()  # history notifies nobody


def imported_comment_as_before(author, body: str) -> Comment:
    """An imported comment rendered the way imports did before imported commenters had profiles: no links."""
    comment = CommentFactory(author=author, body="A placeholder.")
    Comment.objects.filter(pk=comment.pk).update(disqus_id=f"d{comment.pk}", body=body, body_html=f"<p>{body}</p>")
    return Comment.objects.get(pk=comment.pk)


def test_the_command_links_mentions_in_comments_imported_before(django_assert_max_num_queries):
    bob = imported("bob")
    alice = imported("alice")
    article = ArticleFactory()
    stale = [imported_comment_as_before(alice, f"@bob number {n}") for n in range(5)]
    plain = imported_comment_as_before(alice, "No mention here.")
    nobody = imported_comment_as_before(alice, "@nobody_here hello")
    live = CommentFactory(article=article, author=UserFactory(handle="sam"), body="Typed here, @bob")

    out = io.StringIO()
    call_command("link_imported_mentions", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "5 imported comments would change."
    assert Comment.objects.get(pk=stale[0].pk).body_html == "<p>@bob number 0</p>"

    # Candidates a batch at a time: a read per batch, its handles, the writes; not a query per comment.
    with django_assert_max_num_queries(12):
        call_command("link_imported_mentions", stdout=(out := io.StringIO()))
    assert out.getvalue().strip() == "5 imported comments changed."
    member = reverse("comments:member", kwargs={"pk": bob.pk})
    for comment in stale:
        comment.refresh_from_db()
        assert f'<a href="{member}" class="mention">@bob</a>' in comment.body_html
        assert Mention.objects.filter(comment=comment, user=bob).exists()
    assert Comment.objects.get(pk=plain.pk).body_html == "<p>No mention here.</p>"
    assert Comment.objects.get(pk=nobody.pk).body_html == "<p>@nobody_here hello</p>"
    assert Comment.objects.get(pk=live.pk).body_html == live.body_html  # only imported rows are touched
    assert not Notification.objects.filter(recipient=bob, comment__in=stale).exists()

    call_command("link_imported_mentions", stdout=(out := io.StringIO()))
    assert out.getvalue().strip() == "0 imported comments changed."


def test_the_command_retires_the_stories_cached_threads():
    imported("bob")
    comment = imported_comment_as_before(imported("alice"), "@bob see")
    discussion = comment.article.discussion
    before = discussion.version
    call_command("link_imported_mentions", stdout=io.StringIO())
    discussion.refresh_from_db()
    assert discussion.version == before + 1


def test_the_batches_cover_every_candidate():
    from comments.disqus.mentions import imported_mentions_link

    imported("bob")
    alice = imported("alice")
    for n in range(7):
        imported_comment_as_before(alice, f"@bob {n}")
    assert imported_mentions_link(batch=3) == 7
    assert imported_mentions_link(batch=3) == 0


def test_client_sees_the_link_on_the_story_page():
    bob = imported("bob", display_name="Bob Old")
    comment = imported_comment_as_before(imported("alice"), "@bob see")
    call_command("link_imported_mentions", stdout=io.StringIO())
    page = Client().get(comment.article.get_absolute_url()).content.decode()
    assert f'href="{reverse("comments:member", kwargs={"pk": bob.pk})}" class="mention">@bob</a>' in page
