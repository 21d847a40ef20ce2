"""Reader pages for stories: what renders, who sees what, and the queries each page costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import BODY_BLOCKS, Article, SavedArticle
from comments.models import Discussion
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    LeadImageFactory,
    MoreBlockFactory,
    SectionFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_home_lists_live_stories_only(client):
    live = ArticleFactory(headline="Live story")
    ArticleFactory(headline="Draft story", status=Article.Status.DRAFT)
    ArticleFactory(headline="Scheduled story", publish_at=timezone.now() + timezone.timedelta(hours=2))
    html = client.get("/").content.decode()
    assert live.headline in html
    assert "Draft story" not in html
    assert "Scheduled story" not in html


def test_story_page_shows_headline_deck_byline_dates_image_and_body(client):
    author = AuthorFactory(name="Ana Reyes")
    article = ArticleFactory(authors=[author], body="Opening paragraph.\n\nSecond <em>emphasised</em> paragraph.")
    LeadImageFactory(article=article, caption="Boats at dawn.", image__credit="Wire / J. Doe")
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 class="story__headline">{article.headline}</h1>' in html
    assert article.deck in html
    assert "Ana Reyes" in html
    assert f'datetime="{timezone.localtime(article.publish_at).isoformat(timespec="seconds")}"' in html
    assert "Boats at dawn." in html and "Wire / J. Doe" in html
    assert "<p>Opening paragraph.</p>" in html
    assert "<em>emphasised</em>" in html
    assert 'srcset="' in html and 'width="1000" height="600"' in html


def test_story_url_is_section_date_slug():
    article = ArticleFactory(slug="rain-returns", section=SectionFactory(slug="world"))
    day = timezone.localdate(article.publish_at)
    assert article.get_absolute_url() == f"/world/{day:%Y/%m/%d}/rain-returns/"


@pytest.mark.parametrize(
    "changes",
    [{"status": Article.Status.DRAFT}, {"publish_at": timezone.now() + timezone.timedelta(days=1)}],
    ids=["draft", "scheduled"],
)
def test_unpublished_story_is_404_for_readers_and_a_noindex_preview_for_staff(client, changes):
    article = ArticleFactory(**changes)
    assert client.get(article.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "Preview:" in response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"]


def test_scheduled_story_appears_by_itself_when_its_time_comes(client):
    article = ArticleFactory(publish_at=timezone.now() + timezone.timedelta(seconds=1))
    assert client.get("/").content.decode().count(article.headline) == 0
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timezone.timedelta(seconds=1))
    assert article.headline in client.get("/").content.decode()


def test_hostile_headline_is_escaped(client):
    article = ArticleFactory(headline='<script>alert(1)</script>"><img src=x onerror=alert(2)>')
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_body_keeps_links_and_emphasis_but_strips_everything_else(client):
    article = ArticleFactory(
        body='<a href="https://example.org/x" onclick="steal()">report</a> <script>bad()</script>'
        '<a href="javascript:alert(1)">js</a> <strong>bold</strong>'
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/x">report</a>' in html
    assert "onclick" not in html and "<script>bad" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html


def test_list_pages_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    section = SectionFactory()
    for _ in range(3):
        LeadImageFactory(article=ArticleFactory(section=section, authors=[AuthorFactory(), AuthorFactory()]))
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(section.get_absolute_url()).status_code == 200
    for _ in range(10):
        LeadImageFactory(article=ArticleFactory(section=section, authors=[AuthorFactory(), AuthorFactory()]))
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(section.get_absolute_url()).status_code == 200


def test_story_page_queries_do_not_grow_with_links_and_authors(client, django_assert_max_num_queries):
    article = ArticleFactory(authors=[AuthorFactory() for _ in range(4)])
    LeadImageFactory(article=article)
    for _ in range(6):
        MoreBlockFactory(parent=article)
    client.get("/")  # the section bar of every page is cached (selectors.nav_sections)
    # 3 for the story (itself, bylines with authors, tags), one per kind of block (articles.body), 2 for its
    # discussion (its row, its threads); see tests/comments/test_views.py.
    with django_assert_max_num_queries(5 + len(BODY_BLOCKS)):
        assert client.get(article.get_absolute_url()).status_code == 200


def test_unknown_story_is_404(client):
    assert client.get("/world/2020/01/01/no-such-story/").status_code == 404


def test_read_later_for_signed_in_reader_toggles(client):
    reader = UserFactory()
    article = ArticleFactory()
    client.force_login(reader)
    client.post(reverse("articles:read_later", args=[article.pk]))
    assert SavedArticle.objects.filter(user=reader, article=article).exists()
    assert "Saved to Read later" in client.get(article.get_absolute_url()).content.decode()
    assert article.headline in client.get(reverse("articles:saved")).content.decode()
    client.post(reverse("articles:read_later", args=[article.pk]))
    assert not SavedArticle.objects.filter(user=reader, article=article).exists()


def test_anonymous_read_later_signs_in_and_comes_back_with_the_story_saved(client):
    reader = UserFactory(handle="marta")
    article = ArticleFactory()
    # The shared page holds a link, not a form; an old form's POST leads the same way.
    confirm = reverse("articles:read_later_confirm", args=[article.pk])
    assert f'href="{reverse("login")}?next={confirm}"' in client.get(article.get_absolute_url()).content.decode()
    response = client.post(reverse("articles:read_later", args=[article.pk]))
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={confirm}"
    response = client.post(
        response["Location"], {"username": "Marta", "password": "correct horse battery staple", "next": confirm}
    )
    assert response.status_code == 302 and response["Location"] == confirm
    page = client.get(confirm).content.decode()
    assert article.headline in page and "Save to Read later" in page
    response = client.post(reverse("articles:read_later", args=[article.pk]), {"next": article.get_absolute_url()})
    assert response["Location"] == article.get_absolute_url()
    assert SavedArticle.objects.filter(user=reader, article=article).exists()
    assert "is already in" in client.get(confirm).content.decode()


def test_saved_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    reader = UserFactory()
    client.force_login(reader)
    for _ in range(2):
        SavedArticle.objects.create(user=reader, article=LeadImageFactory().article)
    # Session, account, count, stories, bylines, their authors, sections.
    with django_assert_max_num_queries(7) as few:
        assert client.get(reverse("articles:saved")).status_code == 200
    for _ in range(8):
        SavedArticle.objects.create(user=reader, article=LeadImageFactory(article__authors=[AuthorFactory()]).article)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("articles:saved")).status_code == 200


def test_saved_page_needs_sign_in(client):
    response = client.get(reverse("articles:saved"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_editor_publishes_a_story_from_the_admin(editor_client):
    section = SectionFactory()
    author = AuthorFactory()
    data = {
        "section": section.pk,
        "headline": "Admin-made story",
        "deck": "Made in the admin.",
        "slug": "admin-made-story",
        "status": "published",
        "publish_at_0": "",
        "publish_at_1": "",
        "updated_at_0": "",
        "updated_at_1": "",
        "correction": "",
        "bylines-TOTAL_FORMS": "1",
        "bylines-INITIAL_FORMS": "0",
        "bylines-MIN_NUM_FORMS": "1",
        "bylines-MAX_NUM_FORMS": "1000",
        "bylines-0-author": author.pk,
        "bylines-0-order": "0",
        "lead-TOTAL_FORMS": "0",
        "lead-INITIAL_FORMS": "0",
        "lead-MIN_NUM_FORMS": "0",
        "lead-MAX_NUM_FORMS": "1",
        **{
            f"articles_{kind._meta.model_name}_set-{key}": value
            for kind in BODY_BLOCKS
            for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0"}.items()
        },
        # The body: a paragraph, then a MORE link to another story, then a subheading (placed by their ordering).
        "articles_textblock_set-TOTAL_FORMS": "1",
        "articles_textblock_set-0-text": "<p>One <em>paragraph</em>.</p><p>Two.</p>",
        "articles_textblock_set-0-region": "body",
        "articles_textblock_set-0-ordering": "10",
        "articles_moreblock_set-TOTAL_FORMS": "1",
        "articles_moreblock_set-0-target": ArticleFactory(headline="Linked story").pk,
        "articles_moreblock_set-0-region": "body",
        "articles_moreblock_set-0-ordering": "20",
        "articles_headingblock_set-TOTAL_FORMS": "1",
        "articles_headingblock_set-0-text": "What comes next",
        "articles_headingblock_set-0-level": "2",
        "articles_headingblock_set-0-region": "body",
        "articles_headingblock_set-0-ordering": "15",
        "discussion-TOTAL_FORMS": "1",
        "discussion-INITIAL_FORMS": "0",
        "discussion-MIN_NUM_FORMS": "0",
        "discussion-MAX_NUM_FORMS": "1",
        "discussion-0-mode": "premoderated",
    }
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    article = Article.objects.get(slug="admin-made-story")
    assert article.is_live
    assert Discussion.objects.get(pk=article.pk).mode == Discussion.Mode.PREMODERATED
    html = editor_client.get(article.get_absolute_url()).content.decode()
    order = ["One <em>paragraph</em>.", "<p>Two.</p>", ">What comes next</h2>", "MORE: Linked story"]
    assert [html.index(text) for text in order] == sorted(html.index(text) for text in order)
    assert article.body == "One paragraph.\nTwo.\n\nWhat comes next"  # the blocks' words, for search


def test_author_and_tag_pages_list_their_live_stories(client, django_assert_max_num_queries):
    author = AuthorFactory(name="Ines Valcourt", bio="Covers water and borders.")
    tagged = ArticleFactory(authors=[author], headline="Tagged and authored")
    tag = TagFactory(name="Water")
    tagged.tags.add(tag)
    ArticleFactory(headline="Someone else's story")
    ArticleFactory(authors=[author], headline="Unpublished by her", status=Article.Status.DRAFT)
    with django_assert_max_num_queries(6):
        html = client.get(author.get_absolute_url()).content.decode()
    assert "Ines Valcourt" in html and "Covers water and borders." in html
    assert "Tagged and authored" in html
    assert "Someone else" not in html and "Unpublished by her" not in html
    html = client.get(tag.get_absolute_url()).content.decode()
    assert "Tagged and authored" in html and "Someone else" not in html


def older_link(html: str) -> str | None:
    marker = 'rel="next" href="?'
    return html.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&") if marker in html else None


def newer_link(html: str) -> str | None:
    marker = 'rel="prev" href="?'
    return html.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&") if marker in html else None


def test_lists_page_newer_and_older_without_a_page_count(client):
    section = SectionFactory()
    now = timezone.now()
    # Two stories at the same minute straddle a page boundary: the id decides, nothing is shown twice or lost.
    times = [now - timezone.timedelta(minutes=n if n != 20 else 19) for n in range(45)]
    for n, moment in enumerate(times):
        ArticleFactory(section=section, headline=f"Story number {n:02d}", publish_at=moment)
    seen, query, pages = [], "", 0
    while True:
        html = client.get(f"{section.get_absolute_url()}?{query}").content.decode()
        assert "Page " not in html and " of " not in html.split('class="pagination"', 1)[-1].split("</nav>")[0]
        seen += [n for n in range(45) if f"Story number {n:02d}<" in html]
        pages += 1
        query = older_link(html)
        if query is None:
            break
    assert sorted(seen) == list(range(45)) and len(seen) == 45 and pages == 3
    # Back up from the second page: "newer" gives the first page again, which has no "newer".
    first = client.get(section.get_absolute_url()).content.decode()
    second = client.get(f"{section.get_absolute_url()}?{older_link(first)}").content.decode()
    back = client.get(f"{section.get_absolute_url()}?{newer_link(second)}").content.decode()
    on_page = [n for n in range(45) if f"Story number {n:02d}<" in back]
    assert on_page == [n for n in range(45) if f"Story number {n:02d}<" in first] and len(on_page) == 20
    assert newer_link(back) is None


@pytest.mark.parametrize("query", ["before=abc", "after=1.x", "before=1.2&after=1.2", "before=99999999999999999999.1"])
def test_a_position_that_is_not_ours_is_a_404(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 404


def test_home_and_section_pages_cost_the_same_queries_at_any_depth(client, django_assert_max_num_queries):
    section = SectionFactory()
    now = timezone.now()
    ArticleFactory.create_batch(3, section=section)
    urls = ("/", section.get_absolute_url())
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        small[url] = len(captured)
    for n in range(80):
        ArticleFactory(section=section, publish_at=now - timezone.timedelta(hours=n + 1))
    for url in urls:
        query, pages = "", 0
        while query is not None:  # down to the oldest page
            with django_assert_max_num_queries(small[url]):
                html = client.get(f"{url}?{query}").content.decode()
            query, pages = older_link(html), pages + 1
        assert pages == 5


def test_section_slug_cannot_shadow_the_sites_own_paths():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="one of the site's own addresses"):
        SectionFactory.build(name="Saved", slug="saved").full_clean()


def test_saved_page_removes_a_story_and_comes_back_with_a_message(client):
    reader = UserFactory()
    kept, dropped = ArticleFactory(headline="Kept for later"), ArticleFactory(headline="Read already")
    client.force_login(reader)
    for article in (kept, dropped):
        client.post(reverse("articles:read_later", args=[article.pk]))
    html = client.get(reverse("articles:saved")).content.decode()
    form = html.split(f'action="{reverse("articles:read_later", args=[dropped.pk])}"', 1)[1].split("</form>")[0]
    assert 'name="next" value="/saved/"' in form and "Remove<span" in form and "“Read already”" in form
    response = client.post(reverse("articles:read_later", args=[dropped.pk]), {"next": "/saved/"}, follow=True)
    assert response.redirect_chain == [("/saved/", 302)]
    html = response.content.decode()
    assert "Removed “Read already” from Read later." in html and "Kept for later" in html
    assert list(SavedArticle.objects.filter(user=reader).values_list("article", flat=True)) == [kept.pk]
