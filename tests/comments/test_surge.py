"""Surge controls per story: slow mode, closing by days and at night, surge mode switched by the rate, the log of
switches, the controls form and the moderators' chart (issue 18)."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import services
from comments.models import Comment, Discussion, SurgeSwitch
from comments.schedule import night_window, parse_night
from comments.selectors import surge_chart
from newsroom import ratelimit
from newsroom.services import editors_group, moderators_group
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=400)


def reader(**kwargs):
    """An established reader: an account older than any surge's "new account"."""
    return UserFactory(date_joined=LONG_AGO, **kwargs)


def moderator():
    user = UserFactory(is_staff=True, date_joined=LONG_AGO)
    user.groups.add(moderators_group())
    return user


def at(monkeypatch, moment: datetime) -> None:
    """Set the clock the discussion reads (timezone.now) and the one rate limits cut windows from."""
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(ratelimit, "clock", lambda: moment.timestamp())


def post(article, author, body="What I think.", **kwargs):
    return services.comment_create(article=article, author=author, body=body, **kwargs)


# Slow mode


def test_slow_mode_lets_a_reader_post_once_per_period_and_says_how_long_to_wait(monkeypatch):
    now = timezone.now()
    at(monkeypatch, now)
    story, other_story = ArticleFactory(), ArticleFactory()
    services.discussion_set_controls(article=story, slow_mode_seconds=60)
    alex, sam = reader(), reader()
    post(story, alex)
    at(monkeypatch, now + timedelta(seconds=15))
    with pytest.raises(services.RateLimited) as refused:
        post(story, alex, "A second thought.")
    assert refused.value.code == "slow_mode" and refused.value.status == 429 and refused.value.retry_after == 45
    assert "once every 60 seconds" in refused.value.message and "Wait 45 seconds" in refused.value.message
    assert "your text is kept" in refused.value.message
    post(story, sam)  # another reader
    post(other_story, alex)  # another story
    post(story, UserFactory(is_staff=True))  # staff are exempt
    post(story, UserFactory(is_staff=True))
    at(monkeypatch, now + timedelta(seconds=61))
    caches["ratelimit"].clear()  # the cache expires the key after 60 real seconds: here by hand
    post(story, alex, "A second thought.")
    assert Comment.objects.filter(article=story, author=alex).count() == 2


def test_a_post_refused_for_something_else_does_not_use_up_the_slow_mode_period():
    story = ArticleFactory()
    services.discussion_set_controls(article=story, slow_mode_seconds=60)
    alex = reader()
    with pytest.raises(ValidationError):
        post(story, alex, parent=999_999)  # no such comment
    post(story, alex)


def test_the_slow_mode_slot_is_taken_once_of_two_at_once():
    """The decision is one atomic add in the shared cache: of two takes of the same slot, one wins."""
    story = ArticleFactory()
    discussion = services.discussion_set_controls(article=story, slow_mode_seconds=60)
    alex = reader()
    assert services._slow_mode_take(discussion=discussion, author=alex)
    with pytest.raises(services.RateLimited):
        services._slow_mode_take(discussion=discussion, author=alex)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_in_slow_mode_store_one_comment_and_refuse_the_other():
    story = ArticleFactory()
    services.discussion_set_controls(article=story, slow_mode_seconds=60)
    alex = reader()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def send(body):
        try:
            start.wait()
            post(story, alex, body)
            outcomes.append("stored")
        except services.RateLimited as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f"At once, number {n}.",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["slow_mode", "stored"]
    assert Comment.objects.filter(article=story, author=alex).count() == 1


def test_the_slow_mode_refusal_is_a_429_with_retry_after_and_the_text_kept(client):
    story = ArticleFactory()
    services.discussion_set_controls(article=story, slow_mode_seconds=120)
    alex = reader()
    client.force_login(alex)
    url = reverse("comments:post", args=[story.pk])
    assert client.post(url, {"body": "First."}).status_code == 302
    response = client.post(url, {"body": "My second, carefully written."})
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 120
    html = response.content.decode()
    assert "slow mode" in html and "My second, carefully written." in html


# Closing by days and at night


def test_comments_close_the_set_days_after_publication_and_a_story_may_override_it(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    old = ArticleFactory(publish_at=timezone.now() - timedelta(days=15))
    with pytest.raises(ValidationError) as refused:
        post(old, reader(), "Late to this.")
    assert "closed 14 days after publication" in refused.value.messages[0]
    assert "Your text is kept" in refused.value.messages[0]
    services.discussion_set_controls(article=old, close_after_days=30)
    post(old, reader())
    fresh = ArticleFactory(publish_at=timezone.now() - timedelta(days=3))
    services.discussion_set_controls(article=fresh, close_after_days=2)
    assert not Discussion.of(fresh).is_open
    services.discussion_set_controls(article=old, close_after_days=0)  # never
    assert Discussion.of(old).is_open and Discussion.of(old).next_change(timezone.now()) is None


def test_a_closing_by_days_is_final_when_the_clock_is_moved_back(settings, monkeypatch, client):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    now = timezone.now()
    story = ArticleFactory(publish_at=now - timedelta(days=14, minutes=1))
    services.discussion_set_mode(article=story, mode="open")  # the discussion row exists
    at(monkeypatch, now)
    with pytest.raises(ValidationError):
        post(story, reader())
    discussion = Discussion.objects.get(pk=story.pk)
    assert discussion.closed_for_good_at == now
    assert SurgeSwitch.objects.filter(article=story, what="closing", on=True, by=None).exists()
    at(monkeypatch, now - timedelta(hours=2))  # the clock goes back before the closing time
    with pytest.raises(ValidationError) as refused:
        post(story, reader())
    assert refused.value.code == "closed"
    assert "closed 14 days after publication" in client.get(story.get_absolute_url()).content.decode()


def test_comments_close_for_the_night_and_say_when_they_reopen(settings, monkeypatch):
    settings.COMMENTS_NIGHT_CLOSED = "00:00-06:00"
    story = ArticleFactory(publish_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    alex = reader()
    at(monkeypatch, datetime(2026, 3, 10, 2, 30, tzinfo=UTC))
    with pytest.raises(ValidationError) as refused:
        post(story, alex)
    assert "closed for the night; they reopen at 06:00" in refused.value.messages[0]
    assert Discussion.of(story).reopens_at(timezone.now()) == datetime(2026, 3, 10, 6, tzinfo=UTC)
    at(monkeypatch, datetime(2026, 3, 10, 6, 30, tzinfo=UTC))
    post(story, alex)
    at(monkeypatch, datetime(2026, 3, 10, 5, 59, tzinfo=UTC))  # the clock goes back: closed again, not open
    with pytest.raises(ValidationError):
        post(story, reader())
    services.discussion_set_controls(article=story, ignore_night=True)
    post(story, reader())
    assert not Discussion.objects.get(pk=story.pk).closed_for_good_at  # a night never closes for good


def test_the_night_ends_on_the_wall_clock_when_the_clocks_go_back():
    london = ZoneInfo("Europe/London")
    night = parse_night("00:00-06:00")
    # 25 October 2026: 02:00 BST becomes 01:00 GMT. At 01:30 BST the night ends at 06:00 GMT, seven hours on.
    ends, _ = night_window(night, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), london)
    assert ends == datetime(2026, 10, 25, 6, tzinfo=UTC)
    # Across midnight, and outside the night.
    late = parse_night("22:00-06:00")
    assert night_window(late, datetime(2026, 3, 10, 23, tzinfo=UTC), UTC)[0] == datetime(2026, 3, 11, 6, tzinfo=UTC)
    assert night_window(late, datetime(2026, 3, 10, 12, tzinfo=UTC), UTC) == (
        None,
        datetime(2026, 3, 10, 22, tzinfo=UTC),
    )
    with pytest.raises(ValueError):
        parse_night("midnight to six")


def test_the_shared_story_page_is_kept_at_most_until_the_night_closes_it(settings, monkeypatch, client):
    settings.COMMENTS_NIGHT_CLOSED = "00:00-06:00"
    story = ArticleFactory(publish_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    at(monkeypatch, datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC))
    response = client.get(story.get_absolute_url())
    assert "s-maxage=30" in response["Cache-Control"] and "stale-while-revalidate=0" in response["Cache-Control"]
    at(monkeypatch, datetime(2026, 3, 10, 12, tzinfo=UTC))
    assert f"s-maxage={settings.HTTP_SHARED_MAX_AGE}" in client.get(story.get_absolute_url())["Cache-Control"]


def test_a_signed_in_reader_is_not_offered_the_form_once_the_night_has_closed_the_story(settings, monkeypatch, client):
    settings.COMMENTS_NIGHT_CLOSED = "00:00-06:00"
    story = ArticleFactory(publish_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    client.force_login(reader())
    at(monkeypatch, datetime(2026, 3, 10, 1, tzinfo=UTC))
    html = client.get(story.get_absolute_url()).content.decode()
    assert "they reopen at 06:00" in html and 'id="comment-form"' not in html


# Surge mode


def burst(story, count: int) -> None:
    for _ in range(count):
        post(story, reader())


def test_a_burst_switches_surge_mode_on_logs_it_and_alerts_the_moderators(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.COMMENTS_SURGE_PER_MINUTE = 5
    settings.COMMENTS_SURGE_SLOW_SECONDS = 30
    at(monkeypatch, datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC))
    watcher = moderator()
    story = ArticleFactory(publish_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    burst(story, 5)
    assert not Discussion.objects.get(pk=story.pk).surge_mode
    with django_capture_on_commit_callbacks(execute=True):
        burst(story, 1)  # the sixth in the minute
    discussion = Discussion.objects.get(pk=story.pk)
    assert discussion.surge_mode and discussion.surge_automatic and discussion.slow_seconds == 30
    switch = SurgeSwitch.objects.get(article=story, what="surge")
    assert switch.on and switch.by is None and switch.who == "automatic" and "6 comments in a minute" in switch.note
    assert len(mail.outbox) == 1 and mail.outbox[0].bcc == [watcher.email]
    assert story.headline in mail.outbox[0].subject
    # New accounts are held for a moderator; established readers are not, but wait out the slow mode.
    newcomer = UserFactory()
    held = post(story, newcomer)
    assert held.status == Comment.Status.PENDING and "surge" in held.removal_reason
    regular = reader()
    assert post(story, regular).status == Comment.Status.VISIBLE
    with pytest.raises(services.RateLimited):
        post(story, regular, "Again.")


def test_an_automatic_surge_switches_off_once_the_rate_stays_under_half(settings, monkeypatch):
    settings.COMMENTS_SURGE_PER_MINUTE = 4
    settings.COMMENTS_SURGE_CALM_MINUTES = 3
    start = datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC)
    at(monkeypatch, start)
    story = ArticleFactory(publish_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    burst(story, 5)
    assert Discussion.objects.get(pk=story.pk).surge_mode
    at(monkeypatch, start + timedelta(minutes=2))  # too soon
    burst(story, 1)
    assert Discussion.objects.get(pk=story.pk).surge_mode
    at(monkeypatch, start + timedelta(minutes=6))
    burst(story, 1)
    assert not Discussion.objects.get(pk=story.pk).surge_mode
    assert list(SurgeSwitch.objects.filter(article=story).order_by("at").values_list("on", "by")) == [
        (True, None),
        (False, None),
    ]


def test_a_quiet_story_has_its_surge_switched_off_by_the_task_and_a_surge_by_hand_stays(settings, monkeypatch):
    settings.COMMENTS_SURGE_PER_MINUTE = 4
    settings.COMMENTS_SURGE_CALM_MINUTES = 3
    start = datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC)
    at(monkeypatch, start)
    quiet, by_hand = ArticleFactory(), ArticleFactory()
    burst(quiet, 5)
    services.discussion_set_controls(article=by_hand, surge_mode=True, by=moderator())
    at(monkeypatch, start + timedelta(minutes=10))
    assert services.surges_calm_down() == 1
    assert not Discussion.objects.get(pk=quiet.pk).surge_mode
    assert Discussion.objects.get(pk=by_hand.pk).surge_mode
    assert SurgeSwitch.objects.get(article=by_hand).who != "automatic"


# The controls, by hand


def test_readers_may_not_post_the_controls_form_and_moderators_may():
    story = ArticleFactory()
    url = reverse("comments:controls", args=[story.pk])
    fields = {"mode": "open", "slow_mode_seconds": "30", "close_after_days": "", "surge_mode": "on"}
    client = Client()
    client.force_login(reader())
    assert client.post(url, fields).status_code == 403
    staff_without_the_permission = UserFactory(is_staff=True)
    client.force_login(staff_without_the_permission)
    assert client.post(url, fields).status_code == 403
    assert not Discussion.objects.filter(pk=story.pk, slow_mode_seconds=30).exists()
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(moderator())
    assert guarded.post(url, fields).status_code == 403  # no CSRF token
    mod = moderator()
    client.force_login(mod)
    response = client.post(url, fields)
    assert response.status_code == 302
    discussion = Discussion.objects.get(pk=story.pk)
    assert discussion.slow_mode_seconds == 30 and discussion.surge_mode and not discussion.surge_automatic
    assert set(SurgeSwitch.objects.filter(article=story).values_list("what", "on", "by")) == {
        ("slow_mode", True, mod.pk),
        ("surge", True, mod.pk),
    }
    response = client.post(url, {**fields, "slow_mode_seconds": "-5"}, follow=True)
    assert "The controls were not changed" in response.content.decode()


def test_an_editor_sets_the_controls_in_the_story_admin_and_they_are_logged(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(editors_group())
    client.force_login(editor)
    story = ArticleFactory()
    CommentFactory(article=story)
    page = client.get(reverse("admin:articles_article_change", args=[story.pk])).content.decode()
    assert 'name="discussion-0-slow_mode_seconds"' in page and "<svg" in page
    from comments.admin import DiscussionForm

    form_class = type("DiscussionForm", (DiscussionForm,), {"user": editor})
    form = form_class(
        {"mode": "open", "slow_mode_seconds": "90", "close_after_days": "3", "ignore_night": "on"},
        instance=Discussion.objects.get(pk=story.pk),
    )
    assert form.is_valid(), form.errors
    form.save()
    discussion = Discussion.objects.get(pk=story.pk)
    assert (discussion.slow_mode_seconds, discussion.close_after_days, discussion.ignore_night) == (90, 3, True)
    assert SurgeSwitch.objects.filter(article=story, by=editor).count() == 3


def test_moderators_see_the_surge_banner_and_the_discussion_page(client):
    story = ArticleFactory()
    services.discussion_set_controls(article=story, surge_mode=True)
    client.force_login(moderator())
    queue = client.get(reverse("admin:comments_moderationitem_changelist"), follow=True).content.decode()
    assert "Surge of comments on" in queue and story.headline in queue
    page = client.get(reverse("admin:comments_discussion_change", args=[story.pk])).content.decode()
    assert "Surge mode is on" in page and "<svg" in page and "Comments per minute" in page


# The chart


def test_the_chart_counts_comments_per_minute_in_two_queries_and_marks_the_switches(
    django_assert_num_queries, monkeypatch
):
    now = datetime(2026, 3, 10, 12, 30, 20, tzinfo=UTC)
    story = ArticleFactory()
    comments = [CommentFactory(article=story) for _ in range(5)]
    minutes_ago = [1, 1, 1, 10, 200]  # the last one is outside the three hours
    for comment, ago in zip(comments, minutes_ago, strict=True):
        Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(minutes=ago))
    SurgeSwitch.objects.create(article=story, what="surge", on=True, at=now - timedelta(minutes=1))
    with django_assert_num_queries(2):
        chart = surge_chart(article_id=story.pk, now=now)
    counts = dict(chart.minutes)
    assert len(chart.minutes) == 180 and chart.total == 4
    assert counts[datetime(2026, 3, 10, 12, 29, tzinfo=UTC)] == 3
    assert counts[datetime(2026, 3, 10, 12, 20, tzinfo=UTC)] == 1
    assert chart.peak == (datetime(2026, 3, 10, 12, 29, tzinfo=UTC), 3)
    assert [mark["label"] for mark in chart.marks] == ["Surge mode on"]
    assert sum(count for _, count in chart.quarters) == 4 and len(chart.quarters) == 12
    assert "4 comments in the last 3 hours; at most 3 in a minute, at 12:29" in chart.summary


def test_the_chart_and_controls_show_to_moderators_only_never_in_the_shared_page(client):
    story = ArticleFactory()
    CommentFactory(article=story)
    assert "surge-chart" not in client.get(story.get_absolute_url()).content.decode()
    client.force_login(reader())
    assert "surge-chart" not in client.get(story.get_absolute_url()).content.decode()
    client.force_login(moderator())
    html = client.get(story.get_absolute_url()).content.decode()
    assert "surge-chart" in html and "Discussion controls" in html


def test_the_calm_down_command_switches_off_quiet_surges(settings, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    settings.COMMENTS_SURGE_PER_MINUTE = 2
    settings.COMMENTS_SURGE_CALM_MINUTES = 1
    start = datetime(2026, 3, 10, 12, 0, 5, tzinfo=UTC)
    at(monkeypatch, start)
    story = ArticleFactory()
    burst(story, 3)
    at(monkeypatch, start + timedelta(minutes=5))
    out = StringIO()
    call_command("surges_calm_down", stdout=out)
    assert out.getvalue().strip() == "Switched surge mode off on 1 story."
    assert not Discussion.objects.get(pk=story.pk).surge_mode


def test_a_malformed_night_setting_stops_the_start():
    with pytest.raises(ValueError, match="00:00-06:00"):
        parse_night("25:00-06:00")
