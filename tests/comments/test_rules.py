"""The moderation pipeline (comments.rules): the admin's rules in order, first match wins, then the classifier;
every rejection and hold in the audit log; rules read from the cache."""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments import rules, services
from comments.models import Comment, ModerationAction, ModerationRule
from tests.factories import ArticleFactory, ModerationRuleFactory, UserFactory, report, reports_rule

pytestmark = pytest.mark.django_db

REJECT, HOLD = ModerationRule.Outcome.REJECT, ModerationRule.Outcome.HOLD


@pytest.fixture(autouse=True)
def only_our_rules():
    """The migration's starting rules (empty word lists, two kinds off, reports at 3) are not these tests' business."""
    ModerationRule.objects.all().delete()


def post(body, **kwargs):
    kwargs.setdefault("article", ArticleFactory())
    kwargs.setdefault("author", UserFactory())
    return services.comment_create(body=body, **kwargs)


def logged(action):
    return list(ModerationAction.objects.filter(action=action).values_list("by", "reason"))


def test_a_banned_word_rejects_the_comment_says_why_stores_nothing_and_is_logged():
    ModerationRuleFactory(name="banned words", words="scamcoin\nbuy followers", outcome=REJECT)
    with pytest.raises(ValidationError) as refused:
        post("Get rich with SCAMCOIN today")
    assert "may not contain “scamcoin”" in refused.value.message_dict["body"][0]
    assert not Comment.objects.exists()
    assert logged(ModerationAction.Action.REJECT) == [("rule: banned words", refused.value.message_dict["body"][0])]
    assert post("Scamcoins are a word of their own").status == Comment.Status.VISIBLE  # whole words only


def test_the_reader_sees_the_rejection_beside_their_text_which_is_kept(client):
    ModerationRuleFactory(name="banned words", words="scamcoin", outcome=REJECT)
    reader, article = UserFactory(), ArticleFactory()
    client.force_login(reader)
    response = client.post(reverse("comments:post", args=[article.pk]), {"body": "My text about scamcoin, kept"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Comments may not contain “scamcoin”" in html and "My text about scamcoin, kept</textarea>" in html
    assert not Comment.objects.exists()


def test_a_suspect_word_holds_the_comment_with_its_reason_in_the_audit_log():
    ModerationRuleFactory(name="suspect words", words="cheap pills")
    held = post("Buy CHEAP pills here")
    assert held.status == Comment.Status.PENDING and held.removal_reason == "Held for review: contains “cheap pills”."
    action = ModerationAction.objects.get(action=ModerationAction.Action.HOLD)
    assert (action.comment, action.user, action.article_id, action.actor, action.by) == (
        held,
        held.author,
        held.article_id,
        None,
        "rule: suspect words",
    )


def test_links_from_young_accounts_are_held_and_old_accounts_or_plain_text_are_not():
    ModerationRuleFactory(name="links from new accounts", kind=ModerationRule.Kind.NEW_ACCOUNT_LINKS, days=3)
    young = UserFactory()
    old = UserFactory(date_joined=timezone.now() - timedelta(days=4))
    assert post("See https://example.com/offer", author=young).status == Comment.Status.PENDING
    assert post("No link at all", author=young).status == Comment.Status.VISIBLE
    assert post("See https://example.com/offer", author=old).status == Comment.Status.VISIBLE
    assert logged(ModerationAction.Action.HOLD)[0][0] == "rule: links from new accounts"


def test_readers_whose_recent_comments_were_often_removed_are_premoderated():
    ModerationRuleFactory(name="often removed", kind=ModerationRule.Kind.REMOVAL_HISTORY, count=4, percent=50)
    moderator = UserFactory(is_staff=True)
    often, once = UserFactory(), UserFactory()
    for reader, removals in ((often, 2), (once, 1)):
        written = [post(f"Comment {n}", author=reader) for n in range(4)]
        services.comment_remove(comments=written[:removals], moderator=moderator, reason="Abuse")
    assert post("And another", author=often).status == Comment.Status.PENDING
    # One removal in the last four is 25%: under the rule's half. A first comment removed is not "often" either.
    assert post("And another", author=once).status == Comment.Status.VISIBLE


def test_the_first_matching_rule_wins_and_disabled_rules_do_nothing():
    ModerationRuleFactory(name="off", words="word", outcome=REJECT, order=1, enabled=False)
    ModerationRuleFactory(name="first", words="word", outcome=HOLD, order=2)
    ModerationRuleFactory(name="second", words="word", outcome=REJECT, order=3)
    assert post("a word").status == Comment.Status.PENDING
    assert logged(ModerationAction.Action.HOLD) == [("rule: first", "Held for review: contains “word”.")]
    assert not logged(ModerationAction.Action.REJECT)


def test_staff_are_not_checked():
    ModerationRuleFactory(words="word", outcome=REJECT)
    assert post("a word", author=UserFactory(is_staff=True)).status == Comment.Status.VISIBLE


def test_an_edit_meets_the_rules_too():
    ModerationRuleFactory(name="banned", words="scamcoin", outcome=REJECT, order=1)
    ModerationRuleFactory(name="suspect", words="heldword", order=2)
    comment = post("Fine at first")
    with pytest.raises(ValidationError, match="scamcoin"):
        services.comment_edit(comment=comment, user=comment.author, body="Now with scamcoin")
    assert Comment.objects.get(pk=comment.pk).body == "Fine at first"
    edited = services.comment_edit(comment=comment, user=comment.author, body="Now with heldword")
    assert edited.status == Comment.Status.PENDING
    assert logged(ModerationAction.Action.HOLD) == [("rule: suspect", "Held for review: contains “heldword”.")]


def test_the_reports_rule_holds_a_comment_reported_by_enough_readers():
    reports_rule(2)
    comment = post("Contested")
    report(comment)
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE
    report(comment)
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.PENDING
    assert logged(ModerationAction.Action.HOLD) == [("rule: reported", "Held for review after 2 reports.")]


def test_without_a_reports_rule_reports_hold_nothing():
    comment = post("Contested")
    for _ in range(5):
        report(comment)
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.VISIBLE


def test_posting_reads_the_rules_from_the_cache_and_a_saved_rule_replaces_them():
    rule = ModerationRuleFactory(words="first")
    assert [r.words for r in rules.active_rules()] == [("first",)]
    with CaptureQueriesContext(connection) as queries:
        rules.active_rules()
    assert len(queries) == 0
    rule.words = "first\nsecond"
    rule.save()
    assert [r.words for r in rules.active_rules()] == [("first", "second")]
    rule.delete()
    assert rules.active_rules() == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "words", "words": ""}, "words"),
        ({"kind": "links", "days": None}, "days"),
        ({"kind": "history", "count": 10, "percent": None}, "percent"),
        ({"kind": "reports", "count": 3, "outcome": "reject"}, "outcome"),
    ],
)
def test_a_rule_without_what_its_kind_needs_is_refused(fields, problem):
    with pytest.raises(ValidationError) as refused:
        ModerationRule(name="a rule", **fields).full_clean()
    assert problem in refused.value.message_dict


# A classifier is any callable (comment_text, *, author, article) -> float; these are for the tests below.
def scores_high(comment_text, *, author, article):
    return 0.95


def scores_low(comment_text, *, author, article):
    return 0.1


def breaks(comment_text, *, author, article):
    raise RuntimeError("the model is on fire")


def answers_nonsense(comment_text, *, author, article):
    return 7


def test_a_classifier_scoring_over_the_threshold_holds_with_its_score_logged(settings):
    settings.COMMENTS_CLASSIFIER = "tests.comments.test_rules.scores_high"
    settings.COMMENTS_CLASSIFIER_HOLD = 0.8
    held = post("Anything")
    assert held.status == Comment.Status.PENDING
    action = ModerationAction.objects.get(action=ModerationAction.Action.HOLD)
    assert (action.by, action.note) == ("classifier: scores_high", "score 0.950 (holds from 0.8)")
    settings.COMMENTS_CLASSIFIER = "tests.comments.test_rules.scores_low"
    assert post("Anything").status == Comment.Status.VISIBLE


def test_the_rules_decide_before_the_classifier(settings):
    settings.COMMENTS_CLASSIFIER = "tests.comments.test_rules.breaks"
    ModerationRuleFactory(name="banned", words="scamcoin", outcome=REJECT)
    with pytest.raises(ValidationError):
        post("scamcoin")
    assert [by for by, _ in logged(ModerationAction.Action.REJECT)] == ["rule: banned"]


@pytest.mark.parametrize("classifier", ["breaks", "answers_nonsense", "no_such_classifier"])
def test_a_classifier_that_fails_never_blocks_posting_and_is_logged(settings, caplog, classifier):
    settings.COMMENTS_CLASSIFIER = f"tests.comments.test_rules.{classifier}"
    with caplog.at_level(logging.ERROR, logger="comments.classifiers"):
        comment = post("Anything")
    assert comment.status == Comment.Status.VISIBLE
    assert "classifier" in caplog.text
    assert not ModerationAction.objects.exists()
