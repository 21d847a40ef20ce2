"""The moderation pipeline: the admin's rules (ModerationRule) in order, then the optional classifier. The first
that matches decides what happens to a new or edited comment; comments.services acts on the verdict."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from comments import classifiers, text
from comments.models import Comment, ModerationRule
from comments.tokens import tokenize

__all__ = ["Rule", "Verdict", "active_rules", "check", "report_threshold", "forget_rules"]

logger = logging.getLogger(__name__)

# The enabled rules as plain values, read by every post: one cache read instead of a query, replaced on any change.
CACHE_KEY = "comments:moderation-rules"
CACHE_SECONDS = 600


@dataclass(frozen=True)
class Rule:
    """A ModerationRule as the pipeline reads it (picklable, so the cache can keep it)."""

    name: str
    kind: str
    outcome: str
    words: tuple[str, ...] = ()
    days: int | None = None
    count: int | None = None
    percent: int | None = None


@dataclass(frozen=True)
class Verdict:
    """What the pipeline decided: `outcome` (ModerationRule.Outcome), who decided (`by`, for the audit log), the
    reason told to the reader, and a note for moderators (a classifier's score)."""

    outcome: str
    by: str
    reason: str
    note: str = ""

    @property
    def rejects(self) -> bool:
        return self.outcome == ModerationRule.Outcome.REJECT


def active_rules() -> list[Rule]:
    """The enabled rules in order, from the cache (the database on a miss, or when the cache is unreachable)."""
    try:
        rules = cache.get(CACHE_KEY)
    except Exception:  # the default cache ignores a Redis outage already; any other backend's error is a miss too
        rules = None
    if rules is None:
        rules = [
            Rule(
                name=row.name,
                kind=row.kind,
                outcome=row.outcome,
                words=tuple(row.word_list),
                days=row.days,
                count=row.count,
                percent=row.percent,
            )
            for row in ModerationRule.objects.filter(enabled=True)
        ]
        try:
            cache.set(CACHE_KEY, rules, CACHE_SECONDS)
        except Exception:
            logger.warning("The moderation rules could not be cached", exc_info=True)
    return rules


@receiver(post_save, sender=ModerationRule)
@receiver(post_delete, sender=ModerationRule)
def forget_rules(**kwargs) -> None:
    """A rule changed: drop the cached rules now, and again once the change commits (a post in between may have
    cached the old ones)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def _has_link(body: str) -> bool:
    return any(token.kind == "url" for token in tokenize(body))


def _often_removed(author, rule: Rule) -> bool:
    """Whether at least `percent` of the author's last `count` decided comments (visible or removed) were removed,
    counted against `count` itself: a reader with one comment, removed, is not "often" removed. One query of at most
    `count` rows through the author index."""
    statuses = list(
        Comment.objects.filter(author=author, status__in=[Comment.Status.VISIBLE, Comment.Status.REMOVED])
        .order_by("-created_at")
        .values_list("status", flat=True)[: rule.count]
    )
    removed = statuses.count(Comment.Status.REMOVED)
    return removed > 0 and removed * 100 >= rule.percent * rule.count


def _match(rule: Rule, *, body: str, author) -> str | None:
    """The reason `rule` gives for this comment, or None when it does not match."""
    if rule.kind == ModerationRule.Kind.WORDS:
        word = text.find_banned_word(body, rule.words)
        if word is None:
            return None
        if rule.outcome == ModerationRule.Outcome.REJECT:
            return gettext(
                "Comments may not contain “%(word)s”. Change your text and post it again; it is kept below."
            ) % {"word": word}
        return gettext("Held for review: contains “%(word)s”.") % {"word": word}
    if rule.kind == ModerationRule.Kind.NEW_ACCOUNT_LINKS:
        if author.date_joined > timezone.now() - timedelta(days=rule.days) and _has_link(body):
            return ngettext(
                "Links from accounts younger than %(days)d day are checked by a moderator first.",
                "Links from accounts younger than %(days)d days are checked by a moderator first.",
                rule.days,
            ) % {"days": rule.days}
        return None
    if rule.kind == ModerationRule.Kind.REMOVAL_HISTORY:
        if _often_removed(author, rule):
            return gettext(
                "Several of your recent comments were removed, so a moderator checks yours before they appear."
            )
        return None
    return None  # the reports rule acts on reports (report_threshold), not on posts


def check(*, body: str, author, article, classify: bool = True) -> Verdict | None:
    """Run a comment through the pipeline: the rules in order, the first match deciding; when none matches, the
    classifier (COMMENTS_CLASSIFIER), which holds at or over COMMENTS_CLASSIFIER_HOLD. None: it goes up (as far as
    the pipeline is concerned; the story's own controls may still hold it). Staff are never checked. A classifier
    that fails is logged and ignored (comments.classifiers.score): the rules' outcome stands."""
    if author.is_staff:
        return None
    for rule in active_rules():
        reason = _match(rule, body=body, author=author)
        if reason is not None:
            return Verdict(outcome=rule.outcome, by=f"rule: {rule.name}", reason=reason)
    if not classify:
        return None
    score = classifiers.score(body, author=author, article=article)
    if score is not None and score >= settings.COMMENTS_CLASSIFIER_HOLD:
        return Verdict(
            outcome=ModerationRule.Outcome.HOLD,
            by=f"classifier: {classifiers.name()}",
            reason=gettext("Held for review: our automatic check asks a moderator to look at it first."),
            note=f"score {score:.3f} (holds from {settings.COMMENTS_CLASSIFIER_HOLD})",
        )
    return None


def report_threshold() -> tuple[str, int] | None:
    """The first enabled reports rule, as (its audit name, how many readers' reports hold a comment); None: reports
    hold nothing."""
    for rule in active_rules():
        if rule.kind == ModerationRule.Kind.REPORTS:
            return f"rule: {rule.name}", rule.count
    return None
