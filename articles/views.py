"""Reader pages for stories: home, story, section, author, tag, and the "Read later" list."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import EmptyPage
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from articles import body, search, selectors, services
from articles.models import Article, Author, SavedArticle, Section, SlugHistory, Tag
from articles.services import LISTS_KEY
from newsroom.http import (
    NO_SUCH_PAGE,
    capped_count,
    keyset_page,
    live_refused,
    page_number,
    paginate,
    safe_next,
    shared_by_signed_out_readers,
    whole_number,
)

STORIES_PER_PAGE = 20


def _page(request, queryset):
    return paginate(request, queryset, STORIES_PER_PAGE)


def _newest_first(request, queryset):
    """Home and section pages: "newer" and "older" pages by publishing time, as deep as the archive goes."""
    return keyset_page(request, queryset, STORIES_PER_PAGE, time_field="publish_at")


def home(request):
    page = _newest_first(request, selectors.live_stories())
    response = render(
        request, "articles/home.html", {"page_obj": page, "lead": page[0] if page.is_first and page else None}
    )
    return shared_by_signed_out_readers(request, response, "home", LISTS_KEY)


def section_detail(request, slug):
    section = get_object_or_404(Section, slug=slug)
    page = _newest_first(request, selectors.live_stories().filter(section=section))
    response = render(request, "articles/section.html", {"section": section, "page_obj": page})
    return shared_by_signed_out_readers(request, response, section.surrogate_key, LISTS_KEY)


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    page = _page(request, selectors.live_stories().filter(bylines__author=author))
    response = render(request, "articles/author.html", {"author": author, "page_obj": page})
    return shared_by_signed_out_readers(request, response, author.surrogate_key, LISTS_KEY)


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, selectors.live_stories().filter(tags=tag))
    response = render(request, "articles/tag.html", {"tag": tag, "page_obj": page})
    return shared_by_signed_out_readers(request, response, tag.surrogate_key, LISTS_KEY)


def search_results(request):
    form = search.SearchForm(request.GET if "q" in request.GET else None)
    page = None
    if form.is_valid():
        try:
            with search.time_limit():
                results = search.search_stories(form.cleaned_data["q"]).for_listing()
                try:
                    page = search.CappedPaginator(results, STORIES_PER_PAGE).page(page_number(request))
                except EmptyPage:
                    raise Http404(str(NO_SUCH_PAGE)) from None
                page.object_list = list(page.object_list)  # read now, within the time limit
        except search.SearchTooBroad:
            form.add_error("q", _("So many stories match that the search took too long. Add a word or use a “phrase”."))
    response = render(
        request,
        "articles/search.html",
        {"form": form, "page_obj": page, "search_query": request.GET.get("q", "")[: search.MAX_QUERY_LENGTH]},
    )
    # Result pages are endless and thin: crawlers should follow the stories, not index the lists.
    response["X-Robots-Tag"] = "noindex"
    return response


def story_page_context(request, article: Article, *, preview: bool, unsaved: bool = False) -> dict:
    """What the story page's template gets: for the page itself, and for the admin's preview of an unsaved form
    (articles.preview), so the preview is the page."""
    live = live_blog_context(request, article) if article.is_live_blog and article.pk else {}
    return {
        **live,
        "article": article,
        "blocks": body.reader_blocks(body.blocks(article)),
        "authors": article.byline_authors,
        "preview": preview,
        "unsaved": unsaved,
        "saved": getattr(article, "saved", False),
        "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
    }


def article_detail(request, section, year, month, day, slug):
    stories = selectors.story_for_page(Article.objects.visible_to(request.user), reader=request.user)
    article = stories.filter(slug=slug).first()
    if article is None:
        old = SlugHistory.objects.select_related("article__section").filter(slug=slug).first()
        if old is not None and (request.user.is_staff or old.article.is_live):
            return HttpResponsePermanentRedirect(old.article.get_absolute_url())
        raise Http404(_("No story at this address."))
    if request.path != article.get_absolute_url():
        # Right story, stale section or date in the address (e.g. moved section): one canonical URL.
        return HttpResponsePermanentRedirect(article.get_absolute_url())
    preview = not article.is_live
    response = render(request, "articles/article_detail.html", story_page_context(request, article, preview=preview))
    if preview:
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
    # The story, and its section, whose name and link the page shows.
    return shared_by_signed_out_readers(request, response, article.surrogate_key, article.section.surrogate_key)


LIVE_ENTRIES_PER_PAGE = 20


def _live_url(name: str, article: Article) -> str:
    # The contract's URLs hold a literal {version}, which reverse() would percent-encode.
    return reverse(name, kwargs={"pk": article.pk, "version": "0"}).removesuffix("/0/") + "/{version}/"


def live_blog_context(request, article: Article) -> dict:
    """The live blog's part of the story page: the pinned entry, the key events, and the page of entries that the
    query asks for (?key=1 keeps the key events only; ?before= and ?after= are keyset positions)."""
    key_only = request.GET.get("key") == "1"
    page = keyset_page(
        request, selectors.live_entries(article, key_only=key_only), LIVE_ENTRIES_PER_PAGE, time_field="published_at"
    )
    pinned = selectors.live_pinned(article) if page.is_first else None
    body.load_entry_blocks([*page, *filter(None, [pinned])])
    return {
        "live_page": page,
        "live_on_page": {entry.pk for entry in page},
        "live_since_url": _live_url("articles:live_since", article),
        "live_new_url": _live_url("articles:live_new", article),
        "live_interval": settings.LIVE_POLL_INTERVAL,
        "live_key_only": key_only,
        "live_pinned": pinned,
        "live_key_events": selectors.live_key_events(article),
        # The page is being read live: new entries go on top of the newest page of the unfiltered list only.
        "live_polling": page.is_first and not key_only and article.live_ended_at is None,
    }


def _live_blog(request, pk: int) -> Article:
    # One indexed read of the few columns the answers need: every reader of the blog polls this.
    fields = ["pk", "slug", "section__slug", "publish_at", "created_at", "live_version", "live_ended_at"]
    stories = Article.objects.visible_to(request.user).filter(pk=pk, is_live_blog=True)
    article = stories.select_related("section").only(*fields).first()
    if article is None:
        raise Http404(_("No live blog at this address."))
    return article


BAD_LIVE_VERSION = gettext_lazy(
    "The version must be a whole number from 0 to the blog's current version: reload the page."
)


def _asked_version(article: Article, version: str) -> int | None:
    """The version in the address, or None when it is garbage, negative or from the future (a 400)."""
    number = whole_number(version)
    return number if number is not None and number <= article.live_version else None


def _live_shared(request, response, article: Article):
    """Cacheable at the edge for a few seconds (LIVE_SHARED_SECONDS), tagged with the story's key, which every
    entry write purges."""
    response = shared_by_signed_out_readers(request, response, article.surrogate_key)
    if response.status_code == 200 and not request.user.is_authenticated:
        # A stale answer served while refetching would be as old as the page: no longer than the age itself.
        patch_cache_control(
            response, s_maxage=settings.LIVE_SHARED_SECONDS, stale_while_revalidate=settings.LIVE_SHARED_SECONDS
        )
    return response


def live_since(request, pk: int, version: str):
    """Live-contract endpoint A: how many entries were published since `version`."""
    article = _live_blog(request, pk)
    asked = _asked_version(article, version)
    if asked is None:
        return live_refused(BAD_LIVE_VERSION, refresh=True)
    # Nothing written since: the answer most polls get, without a second query.
    new = (
        0
        if asked == article.live_version
        else capped_count(selectors.live_entries_since(article, asked), selectors.LIVE_NEW_CAP + 1)
    )
    data = {
        "version": article.live_version,
        "new": min(new, selectors.LIVE_NEW_CAP),
        "many": new > selectors.LIVE_NEW_CAP,
        "refresh": False,
    }
    return _live_shared(request, JsonResponse(data), article)


def live_new(request, pk: int, version: str):
    """Live-contract endpoint B: the entries published since `version`, as the page renders them (at most the cap)."""
    article = _live_blog(request, pk)
    asked = _asked_version(article, version)
    if asked is None:
        return live_refused(BAD_LIVE_VERSION, refresh=True)
    entries = list(selectors.live_entries_since(article, asked)[: selectors.LIVE_NEW_CAP])
    body.load_entry_blocks(entries)
    response = render(request, "articles/includes/_live_entries.html", {"article": article, "entries": entries})
    response["X-Live-Version"] = str(article.live_version)
    return _live_shared(request, response, article)


@require_POST
def read_later_toggle(request, pk):
    article = get_object_or_404(Article.objects.published(), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("articles:read_later_confirm", kwargs={"pk": article.pk}))
    saved = services.saved_article_toggle(user=request.user, article=article)
    # Named: on the Read later page the story the message is about has just left the list.
    if saved:
        messages.success(request, _("Saved “%(headline)s” to Read later.") % {"headline": article.headline})
    else:
        messages.success(request, _("Removed “%(headline)s” from Read later.") % {"headline": article.headline})
    return redirect(safe_next(request, default=article.get_absolute_url()))


@login_required
def read_later_confirm(request, pk):
    """Where a signed-out reader's "Read later" link leads once they have signed in: the story, and one button to
    save it. A link, not a form, on the page everyone shares: that page holds no CSRF token and no session."""
    article = get_object_or_404(Article.objects.published().select_related("section"), pk=pk)
    saved = SavedArticle.objects.filter(user=request.user, article=article).exists()
    return render(request, "articles/read_later_confirm.html", {"article": article, "saved": saved})


@login_required
def saved_list(request):
    stories = selectors.live_stories().filter(saved_by__user=request.user).order_by("-saved_by__saved_at")
    return render(request, "articles/saved.html", {"page_obj": _page(request, stories)})
