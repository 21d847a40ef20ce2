"""The story body: blocks in the editor's order, every kind as readers see it, MORE links that stay where they
were put, follow their story's headline and disappear while it is not live, and old addresses that keep working."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from articles import body, services
from articles.models import BODY_BLOCKS, Article, EmbedBlock, MoreBlock, TextBlock
from tests.factories import ArticleFactory, MoreBlockFactory, SectionFactory, add_blocks, story_with_every_block

pytestmark = pytest.mark.django_db


def story_text(client, article) -> str:
    html = client.get(article.get_absolute_url()).content.decode()
    return html[html.index('<div class="story__body">') : html.index("</article>")]


def test_every_kind_of_block_renders_in_the_editors_order(client):
    article = story_with_every_block()
    html = story_text(client, article)
    order = [
        'on <em>Monday</em> after <a href="https://example.org/"',
        '<h2 class="story__subhead">What changes for fishermen</h2>',
        '<aside class="pullquote"',
        '<p class="pullquote__by">Ana Reyes, skipper</p>',
        '<figure class="quote"><blockquote><p>The quay is safe.</p></blockquote><figcaption>The harbour master',
        "<ul><li><p>New moorings.</p></li>",
        "<ol><li><p>Apply for a berth.</p></li>",
        'alt="A crane lifts a block of stone"',
        "Work on the pier.",
        '<section class="gallery" aria-label="Gallery: The harbour in pictures">',
        "3 of 3.</span> Nets drying in the sun.",
        ">MORE: The sea wall vote, explained</a>",
        "Video on YouTube",
        "Boats were back by evening.",
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)


def test_an_embed_is_a_link_card_that_loads_nothing_from_the_service(client):
    article = add_blocks(ArticleFactory(body=""), EmbedBlock(url="https://vimeo.com/1084537", title="Big Buck Bunny"))
    html = story_text(client, article)
    assert '<a href="https://vimeo.com/1084537" rel="noopener external">Big Buck Bunny</a>' in html
    # The player's address is data for the click, never a frame, script or image that loads with the page.
    assert "<iframe" not in html and "<script" not in html
    assert not re.search(r'(src|srcset)="https://(?!testserver)', html)
    assert 'data-player="https://player.vimeo.com/video/1084537?dnt=1&amp;autoplay=1"' in html
    assert "https://player.vimeo.com" in client.get(article.get_absolute_url())["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url",
    ["https://example.org/video", "http://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://youtube.com/watch?v=x"],
)
def test_an_embed_not_on_the_allow_list_is_refused_naming_the_allowed_kinds(url):
    with pytest.raises(ValidationError) as refused:
        services.article_add_block(article=ArticleFactory(), block=EmbedBlock(url=url, title="Clip"))
    message = " ".join(refused.value.messages)
    assert "cannot be embedded" in message and "YouTube videos" in message and "Vimeo videos" in message


def test_markup_the_editor_does_not_offer_is_cleaned_before_it_is_stored(client):
    article = ArticleFactory(body="")
    block = services.article_add_block(
        article=article,
        block=TextBlock(
            text='<p onclick="x()">Kept <strong>bold</strong><script>alert(1)</script><img src=x onerror=alert(2)>'
            '<a href="javascript:alert(3)">link</a></p><h1>Big</h1>'
        ),
    )
    block.refresh_from_db()
    assert "<script" not in block.text and "onclick" not in block.text and "<img" not in block.text
    assert "javascript:" not in block.text and "<h1>" not in block.text
    assert "Kept <strong>bold</strong>" in block.text and "Big" in block.text


def test_a_more_link_stays_where_it_was_put_when_text_is_added_before_it(client):
    article = ArticleFactory(body="Opening paragraph.")
    MoreBlockFactory(parent=article, target__headline="Placed after the opening")
    add_blocks(article, TextBlock(text="<p>Closing paragraph.</p>"))
    # An editor adds an update above everything: the link still follows the paragraph it followed.
    services.article_add_block(article=article, block=TextBlock(text="<p>UPDATE: new figures.</p>"), ordering=1)
    html = story_text(client, article)
    order = ["UPDATE: new figures.", "Opening paragraph.", "MORE: Placed after the opening", "Closing paragraph."]
    assert [html.index(text) for text in order] == sorted(html.index(text) for text in order)


@pytest.mark.parametrize(
    "target_changes",
    [{"status": Article.Status.DRAFT}, {"publish_at": timezone.now() + timezone.timedelta(days=2)}],
    ids=["draft", "scheduled"],
)
def test_a_more_link_to_a_story_that_is_not_live_disappears_until_it_is(client, editor, target_changes):
    article = ArticleFactory()
    link = MoreBlockFactory(parent=article, target=ArticleFactory(headline="Hidden target", **target_changes))
    assert "Hidden target" not in story_text(client, article)
    services.article_publish(article=link.target, by=editor, at=timezone.now() - timezone.timedelta(minutes=1))
    assert "MORE: Hidden target" in story_text(client, article)


def test_a_more_link_to_a_deleted_story_disappears_and_the_admin_lists_it_as_broken(client, editor_client):
    article = ArticleFactory()
    target = ArticleFactory(headline="Soon deleted")
    MoreBlockFactory(parent=article, target=target)
    target.delete()
    (link,) = MoreBlock.objects.filter(parent=article)
    assert link.is_broken and link.target_headline == "Soon deleted"
    assert "MORE:" not in story_text(client, article)
    admin = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "The MORE link to “Soon deleted” points at a story that was deleted" in admin
    listed = editor_client.get(reverse("admin:articles_article_changelist") + "?more_links=broken").content.decode()
    assert article.headline in listed and target.headline not in listed
    assert ArticleFactory().headline not in listed


def test_link_text_follows_the_target_headline_unless_labelled(client):
    target = ArticleFactory(headline="Old headline")
    article = ArticleFactory()
    MoreBlockFactory(parent=article, target=target)
    MoreBlockFactory(parent=article, target=target, label="Editor's words")
    Article.objects.filter(pk=target.pk).update(headline="New headline")
    html = story_text(client, article)
    assert "MORE: New headline" in html and "Old headline" not in html
    assert "MORE: Editor&#x27;s words" in html


def test_an_outside_more_link_needs_a_label_and_renders_with_it(client):
    article = ArticleFactory()
    with pytest.raises(ValidationError, match="needs a label"):
        MoreBlockFactory(parent=article, target=None, url="https://example.org/report")
    MoreBlockFactory(parent=article, target=None, url="https://example.org/report", label="The full report")
    assert '<a href="https://example.org/report">MORE: The full report</a>' in story_text(client, article)


def test_the_body_column_holds_the_blocks_words_for_search_and_structured_data():
    article = story_with_every_block()
    article.refresh_from_db()
    words = article.body
    assert "What changes for fishermen" in words and "We lost a whole season." in words
    assert "— Ana Reyes, skipper" in words and "A longer pier." in words and "Nets drying in the sun." in words
    assert "<" not in words and "MORE" not in words and "The sea wall vote" not in words
    assert body.word_count(words) == len(words.split())


def test_the_story_page_queries_do_not_grow_with_its_blocks(client, django_assert_max_num_queries):
    small = ArticleFactory()
    big = story_with_every_block()
    add_blocks(big, *(TextBlock(text=f"<p>More text {n}.</p>") for n in range(20)))
    client.get("/")  # the section bar is cached
    # The story (4), its discussion (2), one query per kind of block, and the gallery's pictures (1).
    for article in (small, big):
        with django_assert_max_num_queries(6 + len(BODY_BLOCKS) + 1):
            assert client.get(article.get_absolute_url()).status_code == 200


def test_old_slug_redirects_permanently_to_the_new_address(client):
    article = ArticleFactory(slug="first-slug")
    old_url = article.get_absolute_url()
    article.slug = "second-slug"
    article.save()
    services.article_record_slug_change(article=article, old_slug="first-slug")
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_slug_taken_back_stops_redirecting(client):
    article = ArticleFactory(slug="first-slug")
    services.article_record_slug_change(article=article, old_slug="other")
    article.slug = "other"
    article.save()
    services.article_record_slug_change(article=article, old_slug="first-slug")
    article.slug = "first-slug"
    article.save()
    services.article_record_slug_change(article=article, old_slug="other")
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get(article.get_absolute_url().replace("first-slug", "other")).status_code == 301


def test_stale_section_in_address_redirects_to_canonical(client):
    article = ArticleFactory(section=SectionFactory(slug="science"))
    stale = article.get_absolute_url().replace("/science/", "/world/")
    response = client.get(stale)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_old_slug_of_an_unpublished_story_is_404_for_readers(client):
    article = ArticleFactory(slug="new", status=Article.Status.DRAFT)
    services.article_record_slug_change(article=article, old_slug="old")
    assert client.get(article.get_absolute_url().replace("/new/", "/old/")).status_code == 404


def test_scheduled_publish_sets_the_time_and_unpublish_hides(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    later = timezone.now() + timezone.timedelta(hours=3)
    services.article_publish(article=article, by=editor, at=later)
    assert article.is_scheduled and not Article.objects.published().filter(pk=article.pk).exists()
    services.article_publish(article=article, by=editor)
    assert article.is_live
    services.article_unpublish(article=article, by=editor)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_publishing_and_unpublishing_need_the_publish_permission(reporter, editor):
    draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    with pytest.raises(PermissionDenied):
        services.article_publish(article=draft, by=reporter)
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    live = ArticleFactory()
    with pytest.raises(PermissionDenied):
        services.article_unpublish(article=live, by=reporter)
    live.refresh_from_db()
    assert live.is_live
    services.article_unpublish(article=live, by=editor)
    assert not live.is_live
