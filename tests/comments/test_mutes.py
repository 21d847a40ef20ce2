"""Muting: a reader hides another reader's comments from themselves (collapsed, expandable) and stops their replies
and mentions notifying; a settings page lists and unmutes; refusals are clear; nothing of it reaches anyone else."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from comments import services
from comments.models import Discussion, Mute, Notification
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

COLLAPSED = "<summary>A comment from a reader you muted</summary>"


@pytest.fixture
def readers():
    return UserFactory(handle="mira"), UserFactory(handle="loud")


def test_a_muted_readers_comments_collapse_for_the_muter_alone(client, readers):
    mira, loud = readers
    article = ArticleFactory()
    CommentFactory(article=article, author=loud, body="Shouting again.")
    CommentFactory(article=article, body="A calm comment.")
    services.reader_mute(muter=mira, muted=loud)
    client.force_login(mira)
    html = client.get(article.get_absolute_url()).content.decode()
    assert html.count(COLLAPSED) == 1
    # Inside the <details>: the words are there to expand, no script needed.
    collapsed = html.split(COLLAPSED)[1].split("</details>")[0]
    assert "Shouting again." in collapsed and ">Unmute<" in collapsed
    assert "A calm comment." not in collapsed
    other = Client()
    other.force_login(UserFactory())
    assert COLLAPSED not in other.get(article.get_absolute_url()).content.decode()
    muted_view = Client()
    muted_view.force_login(loud)
    assert COLLAPSED not in muted_view.get(article.get_absolute_url()).content.decode()


def test_signed_out_pages_are_the_same_whatever_mutes_exist(readers):
    mira, loud = readers
    article = ArticleFactory()
    comment = CommentFactory(article=article, author=loud, body="Shouting again.")
    before = Client().get(article.get_absolute_url()).content
    version = Discussion.objects.get(pk=article.pk).version
    services.reader_mute(muter=mira, muted=loud)
    assert Discussion.objects.get(pk=article.pk).version == version  # no purge, no new fragment: nothing shared moved
    for url in (article.get_absolute_url(), f"/comments/{comment.pk}/thread/", f"/@{loud.handle}/"):
        assert COLLAPSED not in Client().get(url).content.decode()
    assert Client().get(article.get_absolute_url()).content == before


def test_replies_and_mentions_from_a_muted_reader_no_longer_notify(readers):
    mira, loud = readers
    mine = CommentFactory(author=mira)
    CommentFactory(parent=mine, author=loud, body="Before the mute.")
    services.reader_mute(muter=mira, muted=loud)
    CommentFactory(parent=mine, author=loud, body="A reply after the mute.")
    CommentFactory(article=mine.article, author=loud, body="And @mira, a mention.")
    CommentFactory(parent=mine, body="Someone else replies.")
    notified = list(Notification.objects.filter(recipient=mira).values_list("comment__body", flat=True))
    assert sorted(notified) == ["Before the mute.", "Someone else replies."]
    services.reader_mute(muter=mira, muted=loud, mute=False)
    CommentFactory(parent=mine, author=loud, body="After the unmute.")
    assert Notification.objects.filter(recipient=mira, comment__body="After the unmute.").exists()


def test_muting_twice_is_one_mute_and_unmuting_what_is_not_muted_is_fine(readers):
    mira, loud = readers
    assert services.reader_mute(muter=mira, muted=loud) is True
    assert services.reader_mute(muter=mira, muted=loud) is True
    assert Mute.objects.filter(muter=mira).count() == 1
    assert services.reader_mute(muter=mira, muted=loud, mute=False) is False
    assert services.reader_mute(muter=mira, muted=loud, mute=False) is False
    assert not Mute.objects.exists()


def test_yourself_and_staff_cannot_be_muted(readers):
    mira, _ = readers
    with pytest.raises(ValidationError, match="You cannot mute yourself"):
        services.reader_mute(muter=mira, muted=mira)
    with pytest.raises(ValidationError, match="Staff accounts cannot be muted"):
        services.reader_mute(muter=mira, muted=UserFactory(is_staff=True))
    assert not Mute.objects.exists()


def test_the_cap_refuses_the_next_mute_with_a_clear_message(readers, monkeypatch):
    mira, loud = readers
    monkeypatch.setattr(services, "MUTE_LIMIT", 3)
    for _ in range(3):
        services.reader_mute(muter=mira, muted=UserFactory())
    with pytest.raises(ValidationError, match="You have muted 3 readers, the most one reader may mute"):
        services.reader_mute(muter=mira, muted=loud)
    assert Mute.objects.filter(muter=mira).count() == 3


def test_the_mute_control_answers_clearly_for_bad_input(client, readers, monkeypatch):
    mira, loud = readers
    assert client.post(f"/comments/member/{loud.pk}/mute/").status_code == 302  # signed out: to sign in
    client.force_login(mira)
    assert client.post("/comments/member/999999/mute/").status_code == 404
    closed = UserFactory(is_active=False)
    assert client.post(f"/comments/member/{closed.pk}/mute/").status_code == 404
    response = client.post(f"/comments/member/{mira.pk}/mute/")
    assert response.status_code == 400 and "You cannot mute yourself." in response.content.decode()
    response = client.post(f"/comments/member/{UserFactory(is_staff=True).pk}/mute/")
    assert response.status_code == 400 and "Staff accounts cannot be muted" in response.content.decode()
    assert client.get(f"/comments/member/{loud.pk}/mute/").status_code == 405
    assert not Mute.objects.exists()
    monkeypatch.setattr(services, "MUTE_LIMIT", 1)
    services.reader_mute(muter=mira, muted=UserFactory())
    response = client.post(f"/comments/member/{loud.pk}/mute/")
    assert response.status_code == 400 and "the most one reader may mute" in response.content.decode()
    assert not Mute.objects.filter(muted=loud).exists()


def test_muting_from_a_comment_goes_back_to_it_and_only_offsite_next_is_ignored(client, readers):
    mira, loud = readers
    comment = CommentFactory(author=loud)
    client.force_login(mira)
    html = client.get(comment.article.get_absolute_url()).content.decode()
    assert f'action="/comments/member/{loud.pk}/mute/"' in html
    response = client.post(f"/comments/member/{loud.pk}/mute/", {"muted": "true", "next": comment.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == comment.get_absolute_url()
    assert Mute.objects.filter(muter=mira, muted=loud).exists()
    response = client.post(f"/comments/member/{loud.pk}/mute/", {"muted": "false", "next": "https://evil.example/"})
    assert response["Location"] == loud.get_absolute_url()
    assert not Mute.objects.exists()


def test_no_mute_control_on_your_own_or_staff_comments(client, readers):
    mira, _ = readers
    article = ArticleFactory()
    CommentFactory(article=article, author=mira)
    CommentFactory(article=article, author=UserFactory(is_staff=True))
    client.force_login(mira)
    assert "/mute/" not in client.get(article.get_absolute_url()).content.decode()


def test_mute_and_unmute_from_a_profile(client, readers):
    mira, loud = readers
    client.force_login(mira)
    html = client.get(loud.get_absolute_url()).content.decode()
    assert "Mute @loud</button>" in html
    client.post(f"/comments/member/{loud.pk}/mute/", {"muted": "true", "next": loud.get_absolute_url()})
    html = client.get(loud.get_absolute_url()).content.decode()
    assert "Unmute @loud</button>" in html and "You muted this reader" in html
    assert "Mute @" not in client.get(mira.get_absolute_url()).content.decode()  # not on your own profile
    assert "You muted this reader" not in Client().get(loud.get_absolute_url()).content.decode()


def test_the_settings_page_lists_and_unmutes(client, readers):
    mira, loud = readers
    assert client.get("/accounts/muted/").status_code == 302  # signed in only
    client.force_login(mira)
    assert "You have not muted anyone." in client.get("/accounts/muted/").content.decode()
    services.reader_mute(muter=mira, muted=loud)
    html = client.get("/accounts/muted/").content.decode()
    assert "@loud" in html and f'action="/comments/member/{loud.pk}/mute/"' in html
    response = client.post(f"/comments/member/{loud.pk}/mute/", {"muted": "false", "next": "/accounts/muted/"})
    assert response["Location"] == "/accounts/muted/"
    assert not Mute.objects.exists()
    assert "Muted readers" in client.get("/accounts/settings/").content.decode()


def test_the_story_page_reads_the_mutes_in_the_readers_marks_query(client, readers, django_assert_max_num_queries):
    mira, loud = readers
    article = ArticleFactory()
    CommentFactory(article=article, author=loud)
    client.force_login(mira)
    client.get("/")
    with django_assert_max_num_queries(50) as before:
        client.get(article.get_absolute_url())
    for _ in range(5):
        services.reader_mute(muter=mira, muted=UserFactory())
    services.reader_mute(muter=mira, muted=loud)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert COLLAPSED in client.get(article.get_absolute_url()).content.decode()
