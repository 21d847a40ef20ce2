"""Reads that span tables: the story page and the lists of stories."""

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _

from articles.models import Article, Byline, LeadImage, LiveEntry, MoreBlock, SavedArticle, Section

__all__ = [
    "nav_sections",
    "forget_nav_sections",
    "story_for_page",
    "live_stories",
    "prepublish_problems",
    "live_entries",
    "live_key_events",
    "live_pinned",
    "live_entries_since",
    "LIVE_NEW_CAP",
]


def live_stories() -> QuerySet[Article]:
    return Article.objects.published().for_listing()


def _story_prefetches() -> list:
    bylines = Byline.objects.select_related("author")
    return [Prefetch("bylines", queryset=bylines), "tags"]


def story_for_page(queryset: QuerySet[Article] | None = None, *, reader=None) -> QuerySet[Article]:
    """Everything the story page shows but its body (articles.body, one query per kind of block), in a fixed number
    of queries whatever the number of authors or tags; with
    a signed-in `reader`, whether they saved it (`saved`), in the same query."""
    # live_source: the live entry a promoted story came from, and its blog ("From our live coverage of ...").
    stories = (queryset if queryset is not None else Article.objects.all()).select_related(
        "section", "lead__image", "live_source__article__section"
    )
    stories = stories.prefetch_related(*_story_prefetches())
    if reader is not None and reader.is_authenticated:
        stories = stories.annotate(saved=Exists(SavedArticle.objects.filter(user=reader, article=OuterRef("pk"))))
    return stories


HEADLINE_MAX = 120
DECK_MAX = 300


def prepublish_problems(article: Article) -> list[str]:
    """What an editor should fix before the story goes out; shown in the admin form, never blocking."""
    problems = []
    if len(article.headline) > HEADLINE_MAX:
        problems.append(
            _("The headline is %(length)d characters; keep it under %(limit)d.")
            % {"length": len(article.headline), "limit": HEADLINE_MAX}
        )
    if len(article.deck) > DECK_MAX:
        problems.append(
            _("The deck is %(length)d characters; keep it under %(limit)d.")
            % {"length": len(article.deck), "limit": DECK_MAX}
        )
    if article.pk is None:
        return problems
    lead = LeadImage.objects.select_related("image").filter(article=article).first()
    if lead is None:
        problems.append(_("The story has no lead image."))
    else:
        if not lead.image.alt_text.strip():
            problems.append(_("The lead image has no alt text."))
        if not lead.effective_credit.strip():
            problems.append(_("The lead image has no credit, in the library or for this story."))
    for link in MoreBlock.objects.filter(parent=article).select_related("target").order_by("ordering"):
        if link.is_broken:
            problems.append(
                _(
                    "The MORE link to “%(headline)s” points at a story that was deleted: readers do not see it; "
                    "remove it or choose another story."
                )
                % {"headline": link.target_headline or _("a story")}
            )
        elif link.target_id and not link.target.is_live:
            if link.target.is_scheduled:
                problem = _("The MORE link to “%(headline)s” is scheduled: readers will not see it until it is.")
            else:
                problem = _("The MORE link to “%(headline)s” is not published: readers will not see it until it is.")
            problems.append(problem % {"headline": link.target.headline})
    return problems


_NAV_SECTIONS_KEY = "articles:nav-sections"


def nav_sections() -> list[Section]:
    """The section bar of every page, from the cache: sections change a few times a year, pages are read all day.
    The admin forgets it on every change (forget_nav_sections); five minutes bound any other change."""
    return cache.get_or_set(_NAV_SECTIONS_KEY, lambda: list(Section.objects.all()), timeout=300)


def forget_nav_sections() -> None:
    cache.delete(_NAV_SECTIONS_KEY)


# ------------------------------------------------------------------------------
# Live blogs
# ------------------------------------------------------------------------------
# At most this many new entries are sent to a reader's page at once; past it the page is told to reload.
LIVE_NEW_CAP = 20


def live_entries(article: Article, *, key_only: bool = False) -> QuerySet[LiveEntry]:
    """A blog's entries readers see, newest first (keyset pages read them through liveentry_blog_time_idx)."""
    entries = LiveEntry.objects.published().filter(article=article).for_page()
    return entries.filter(is_key_event=True) if key_only else entries


def live_key_events(article: Article) -> list[LiveEntry]:
    """The "Key events" list: headline or first words, time and anchor of each; newest first."""
    return list(LiveEntry.objects.published().filter(article=article, is_key_event=True)[:50])


def live_pinned(article: Article) -> LiveEntry | None:
    return live_entries(article).filter(is_pinned=True).first()


def live_entries_since(article: Article, version: int) -> QuerySet[LiveEntry]:
    """The entries first published after `version` (LiveEntry.version), newest first."""
    return live_entries(article).filter(version__gt=version)
