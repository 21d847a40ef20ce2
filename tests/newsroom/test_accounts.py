"""Reader accounts: sign-up, sign-in (with `next` and throttling), settings, password reset, deletion."""

import io
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from articles.models import SavedArticle
from comments import selectors as comment_selectors
from comments import services as comment_services
from comments.models import Comment
from newsroom.forms import HANDLE_TAKEN, AccountForm, SignUpForm
from newsroom.models import User
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def signup_data(**overrides):
    return {
        "display_name": "Marta K.",
        "handle": "marta_k",
        "email": "marta@example.com",
        "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42",
        **overrides,
    }


def test_signup_creates_the_account_signs_in_and_returns_to_next(client):
    article = ArticleFactory()
    response = client.post(reverse("signup") + f"?next={article.get_absolute_url()}", signup_data())
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    user = User.objects.get(handle="marta_k")
    assert user.display_name == "Marta K." and user.check_password("a long enough passphrase 42")
    assert client.get(reverse("account")).status_code == 200


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("ab", "3 to 30 letters"),
        ("a" * 31, "3 to 30 letters"),
        ("has space", "3 to 30 letters"),
        ("dash-ed", "3 to 30 letters"),
        ("Admin", "reserved"),
        ("moderator", "reserved"),
        ("TheNewsroom", "reserved"),
        ("MARTA", "taken"),
    ],
)
def test_signup_refuses_bad_handles_and_keeps_what_was_typed(client, handle, message):
    UserFactory(handle="marta")
    response = client.post(reverse("signup"), signup_data(handle=handle, display_name="Kept Name"))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="Kept Name"' in html
    assert not User.objects.filter(display_name="Kept Name").exists()


@pytest.fixture
def rival_takes_the_handle_first(monkeypatch):
    """Another reader's sign-up with the same handle commits just after this form's checks, before its insert (the
    race that tests/newsroom/test_races.py runs for real on PostgreSQL)."""

    def arrive_first(form_class, handle: str) -> None:
        checks = form_class._post_clean

        def checks_then_rival(form):
            checks(form)
            UserFactory(handle=handle.upper(), email="rival@example.com")

        monkeypatch.setattr(form_class, "_post_clean", checks_then_rival)

    return arrive_first


def test_a_sign_up_that_loses_the_race_for_its_handle_hears_it_is_taken_and_keeps_the_form(
    client, rival_takes_the_handle_first
):
    rival_takes_the_handle_first(SignUpForm, "marta_k")
    response = client.post(reverse("signup"), signup_data(display_name="Kept Name"))
    assert response.status_code == 400
    html = response.content.decode()
    assert str(HANDLE_TAKEN) in html and 'value="Kept Name"' in html and 'value="marta_k"' in html
    assert list(User.objects.values_list("handle", flat=True)) == ["MARTA_K"]
    assert "_auth_user_id" not in client.session


def test_a_handle_change_that_loses_the_race_hears_it_is_taken(client, rival_takes_the_handle_first):
    user = UserFactory(handle="marta")
    client.force_login(user)
    rival_takes_the_handle_first(AccountForm, "marta_kowal")
    response = client.post(reverse("account"), {"display_name": "Marta", "handle": "marta_kowal", "email": "m@x.org"})
    assert response.status_code == 400 and str(HANDLE_TAKEN) in response.content.decode()
    assert User.objects.get(pk=user.pk).handle == "marta"


def test_signup_refuses_mismatched_and_weak_passwords(client):
    html = client.post(reverse("signup"), signup_data(password2="something else entirely")).content.decode()
    assert "The two passwords differ." in html
    html = client.post(reverse("signup"), signup_data(password1="12345678", password2="12345678")).content.decode()
    assert "too common" in html or "entirely numeric" in html
    assert not User.objects.filter(handle="marta_k").exists()


def test_signin_with_handle_any_case_and_at_sign_returns_to_next(client):
    UserFactory(handle="Marta_K")
    article = ArticleFactory()
    response = client.post(
        reverse("login"), {"username": "@marta_k", "password": PASSWORD, "next": article.get_absolute_url()}
    )
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/",
        "//evil.example.com/path",
        "///evil.example.com",
        "http:evil.example.com",
        "javascript:alert(1)",
        "\\\\evil.example.com",
        "/\\evil.example.com",
        "https://testserver.evil.example.com/",
    ],
)
def test_signin_and_signup_never_redirect_to_another_host(client, next_url):
    UserFactory(handle="marta")
    response = client.post(reverse("login"), {"username": "marta", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"
    client.logout()
    response = client.post(reverse("signup"), signup_data(handle="newbie", email="n@example.com", next=next_url))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_is_throttled_per_account_without_revealing_whether_it_exists(client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    UserFactory(handle="marta")
    pages = {}
    for handle in ("marta", "nobody_here"):
        for _ in range(3):
            client.post(reverse("login"), {"username": handle, "password": "wrong"})
        pages[handle] = client.post(reverse("login"), {"username": handle, "password": "wrong"})
    for response in pages.values():
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password waits out the window: a guesser learns nothing from a late hit.
    response = client.post(reverse("login"), {"username": "marta", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert reverse("password_reset") in response.content.decode()
    # Another account from the same address is not locked by marta's failures.
    UserFactory(handle="other")
    assert client.post(reverse("login"), {"username": "other", "password": PASSWORD}).status_code == 302


def test_a_throttled_sign_in_never_reaches_the_password_hasher(client, settings):
    settings.LOGIN_FAILURES_PER_IP = 2
    UserFactory(handle="marta")
    for _ in range(2):
        client.post(reverse("login"), {"username": "marta", "password": "wrong"})
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        for _ in range(5):
            assert client.post(reverse("login"), {"username": "marta", "password": PASSWORD}).status_code == 429
    assert authenticate.call_count == 0


def test_failures_from_elsewhere_never_lock_the_owner_out(client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    UserFactory(handle="marta")
    for address in ["10.0.0.1"] * 3 + [f"10.0.1.{number}" for number in range(10)]:
        client.post(reverse("login"), {"username": "marta", "password": "wrong"}, REMOTE_ADDR=address)
    guesser = client.post(reverse("login"), {"username": "marta", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert guesser.status_code == 429
    owner = client.post(reverse("login"), {"username": "marta", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7")
    assert owner.status_code == 302


def test_a_new_password_lifts_the_owners_throttle(client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    UserFactory(handle="marta", email="marta@example.com")
    for _ in range(2):
        client.post(reverse("login"), {"username": "marta", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "marta", "password": PASSWORD}).status_code == 429
    client.post(reverse("password_reset"), {"email": "marta@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "a brand new passphrase 77"
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert client.post(reverse("login"), {"username": "marta", "password": new_password}).status_code == 302


def test_login_is_throttled_per_address_across_accounts(client, settings):
    settings.LOGIN_FAILURES_PER_IP = 4
    for number in range(4):
        client.post(reverse("login"), {"username": f"guess{number}", "password": "wrong"})
    UserFactory(handle="marta")
    response = client.post(reverse("login"), {"username": "marta", "password": PASSWORD})
    assert response.status_code == 429
    other_address = client.post(reverse("login"), {"username": "marta", "password": PASSWORD}, REMOTE_ADDR="10.9.8.7")
    assert other_address.status_code == 302


def test_wrong_password_message_is_the_same_for_unknown_accounts(client):
    UserFactory(handle="marta")
    known = client.post(reverse("login"), {"username": "marta", "password": "wrong"}).content.decode()
    unknown = client.post(reverse("login"), {"username": "ghost", "password": "wrong"}).content.decode()
    message = "That handle and password do not match."
    assert message in known and message in unknown


def test_reader_changes_display_name_email_and_handle(client):
    user = UserFactory(handle="marta")
    client.force_login(user)
    response = client.post(
        reverse("account"), {"display_name": "Marta Kowal", "handle": "marta_kowal", "email": "mk@example.com"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    # The new address waits for its confirmation (tests/newsroom/test_confirmation.py).
    assert (user.display_name, user.handle, user.email) == ("Marta Kowal", "marta_kowal", "marta@example.com")
    assert user.pending_email == "mk@example.com"
    UserFactory(handle="taken")
    html = client.post(
        reverse("account"), {"display_name": "X", "handle": "TAKEN", "email": "mk@example.com"}
    ).content.decode()
    assert "That handle is taken" in html


def test_password_reset_sends_a_working_link(client):
    user = UserFactory(handle="marta", email="marta@example.com")
    response = client.post(reverse("password_reset"), {"email": "MARTA@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "@marta" in mail.outbox[0].body
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand new passphrase 7", "new_password2": "brand new passphrase 7"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand new passphrase 7")


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_requests_are_rate_limited(client, settings):
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 2
    for _ in range(2):
        client.post(reverse("password_reset"), {"email": "x@example.com"})
    response = client.post(reverse("password_reset"), {"email": "x@example.com"})
    assert response.status_code == 429
    assert "Too many reset requests" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_reset_links_to_one_mailbox_are_limited_whoever_asks(client, settings):
    settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 2
    UserFactory(email="marta@example.com")
    for number in range(2):
        client.post(reverse("password_reset"), {"email": "marta@example.com"}, REMOTE_ADDR=f"10.0.0.{number}")
    response = client.post(reverse("password_reset"), {"email": "MARTA@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "inbox and spam folder" in response.content.decode()
    assert len(mail.outbox) == 2
    # An address with no account is limited the same way, so the answer tells nothing about accounts.
    for number in range(2):
        client.post(reverse("password_reset"), {"email": "nobody@example.com"}, REMOTE_ADDR=f"10.0.1.{number}")
    assert client.post(reverse("password_reset"), {"email": "nobody@example.com"}).status_code == 429


def test_signups_are_rate_limited_and_keep_the_form(client, settings):
    settings.SIGNUPS_PER_IP_PER_HOUR = 1
    client.post(reverse("signup"), signup_data(handle="first_one", email="1@example.com"))
    client.logout()
    response = client.post(reverse("signup"), signup_data(handle="second_one", email="2@example.com"))
    assert response.status_code == 429
    assert 'value="second_one"' in response.content.decode()
    assert not User.objects.filter(handle="second_one").exists()


def test_account_deletion_needs_the_password_and_removes_saved_stories(client, django_capture_on_commit_callbacks):
    user = UserFactory(handle="leaving")
    SavedArticle.objects.create(user=user, article=ArticleFactory())
    client.force_login(user)
    response = client.post(reverse("account_delete"), {"password": "wrong"})
    assert response.status_code == 400
    assert User.objects.filter(pk=user.pk).exists()
    with django_capture_on_commit_callbacks(execute=True) as erasure:
        response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert len(erasure) == 1  # the erasure task, enqueued once the closing commits
    assert not User.objects.filter(pk=user.pk).exists()
    assert not SavedArticle.objects.exists()
    assert client.get(reverse("account")).status_code == 302  # signed out


def test_a_deleted_account_is_closed_at_once_and_erased_by_its_task(client, django_capture_on_commit_callbacks):
    user = UserFactory(handle="leaving")
    CommentFactory(author=user, body="Still here until the task runs")
    elsewhere = Client()
    elsewhere.force_login(user)  # another browser, signed in too
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=False) as erasure:
        response = client.post(reverse("account_delete"), {"password": PASSWORD}, follow=True)
    assert "Your account is deleted and you are signed out" in response.content.decode()
    user.refresh_from_db()
    assert user.closed_at is not None and not user.is_active and not user.has_usable_password()
    assert elsewhere.get(reverse("account")).status_code == 302  # every session is signed out
    assert client.get("/@leaving/").status_code == 404  # the profile is gone
    response = client.post(reverse("login"), {"username": "leaving", "password": PASSWORD})
    assert response.status_code == 400  # cannot sign in
    assert Comment.objects.filter(author=user).exists()  # the long part waits for the task
    (task,) = erasure
    task()
    assert not User.objects.filter(pk=user.pk).exists() and not Comment.objects.exists()


def test_profile_page_and_case_redirect(client):
    user = UserFactory(handle="Marta", display_name="Marta K.")
    response = client.get("/@Marta/")
    assert response.status_code == 200 and "Marta K." in response.content.decode()
    response = client.get("/@marta/")
    assert response.status_code == 301 and response["Location"] == user.get_absolute_url()
    assert client.get("/@nobody/").status_code == 404


def test_profile_lists_visible_comments_newest_first_with_links_in_context(client, django_assert_max_num_queries):
    member = UserFactory(handle="marta", display_name="Marta K.")
    first = CommentFactory(author=member, body="Older comment")
    second = CommentFactory(author=member, body="Newer comment")
    CommentFactory(author=member, article=ArticleFactory(status="draft"), body="On a draft story")
    hidden = CommentFactory(author=member, body="Removed one")
    comment_services.comment_remove(comments=[hidden], moderator=UserFactory(is_staff=True), reason="Spam")
    CommentFactory(body="Someone else's")
    with django_assert_max_num_queries(5):
        html = client.get(member.get_absolute_url()).content.decode()
    assert "Marta K." in html and "@marta" in html and "Member since" in html
    assert "2 comments" in html
    assert html.index("Newer comment") < html.index("Older comment")
    assert first.get_absolute_url() in html and second.article.headline in html
    assert "On a draft story" not in html and "Removed one" not in html and "Someone else" not in html


def test_profile_query_count_does_not_grow_with_comments(client, django_assert_max_num_queries, monkeypatch, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 0
    monkeypatch.setattr(comment_selectors, "PROFILE_COUNT_CAP", 30)
    member = UserFactory(handle="busy")
    article = ArticleFactory()
    for _ in range(3):
        CommentFactory(author=member, article=article)
    with django_assert_max_num_queries(5) as small:
        html = client.get(member.get_absolute_url()).content.decode()
    assert "3 comments" in html and 'rel="next"' not in html
    for _ in range(42):
        CommentFactory(author=member, article=article)
    query, pages = "", 0
    while query is not None:  # newest page to oldest, each at the small profile's cost
        with django_assert_max_num_queries(len(small.captured_queries)):
            html = client.get(f"{member.get_absolute_url()}?{query}").content.decode()
        assert "more than 30 comments" in html
        query = html.split('rel="next" href="?', 1)[1].split('"', 1)[0] if 'rel="next"' in html else None
        pages += 1
    assert pages == 3 and "Older comments" not in html and "Newer comments" in html


def test_account_deletion_keeps_threads_intact_with_tombstones(client, django_capture_on_commit_callbacks):
    leaving = UserFactory(handle="leaving")
    other = UserFactory(handle="staying")
    with_replies = CommentFactory(author=leaving, body="I started this thread")
    reply = CommentFactory(parent=with_replies, author=other, body="@leaving a reply that must survive")
    lonely = CommentFactory(author=leaving, body="Nobody answered this")
    CommentFactory(parent=reply, author=leaving, body="My last word, no replies")
    article = with_replies.article
    client.force_login(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("account_delete"), {"password": PASSWORD}).status_code == 302
    tombstone = Comment.objects.get(pk=with_replies.pk)
    assert tombstone.status == Comment.Status.DELETED and tombstone.body == "" and tombstone.author is None
    assert Comment.objects.filter(pk=reply.pk, status=Comment.Status.VISIBLE).exists()
    assert not Comment.objects.filter(pk=lonely.pk).exists()
    assert not Comment.objects.filter(body="My last word, no replies").exists()
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "Comment from a deleted account." in html
    assert "a reply that must survive" in html
    assert "I started this thread" not in html
    out = io.StringIO()
    call_command("check_comment_trees", stdout=out)  # trees still sound


def test_imported_account_is_claimed_through_its_email(client):
    from newsroom.models import ImportedAccount

    imported = UserFactory(handle="old_timer", email="old@example.com", is_active=False, password=None)
    imported.set_unusable_password()
    imported.save()
    ImportedAccount.objects.create(user=imported, source="disqus", username="old_timer")
    UserFactory(handle="banned_one", email="banned@example.com", is_active=False)  # inactive but not imported
    client.post(reverse("password_reset"), {"email": "banned@example.com"})
    assert mail.outbox == []
    client.post(reverse("password_reset"), {"email": "OLD@example.com"})
    assert len(mail.outbox) == 1 and "claim the account" in mail.outbox[0].body
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    client.post(
        response.redirect_chain[-1][0], {"new_password1": "my own passphrase 9", "new_password2": "my own passphrase 9"}
    )
    imported.refresh_from_db()
    assert imported.is_active and imported.check_password("my own passphrase 9")
    assert ImportedAccount.objects.get(user=imported).claimed_at is not None
    assert (
        client.post(reverse("login"), {"username": "old_timer", "password": "my own passphrase 9"}).status_code == 302
    )
