"""The story body with the editor's "MORE:" links, and old addresses that keep working."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles import services
from articles.models import Article
from articles.selectors import story_for_page, story_layout
from tests.factories import ArticleFactory, RelatedLinkFactory, SectionFactory

pytestmark = pytest.mark.django_db

BODY = "One.\n\nTwo.\n\nThree.\n\nFour."


def layout_of(article):
    return story_layout(story_for_page().get(pk=article.pk))


def kinds(layout):
    return [item if kind == "paragraph" else f"MORE {item.text}" for kind, item in layout.blocks]


def test_inline_links_sit_after_their_paragraph_and_end_links_at_the_end(client):
    article = ArticleFactory(body=BODY)
    RelatedLinkFactory(article=article, target__headline="Inline one", after_paragraph=1)
    RelatedLinkFactory(article=article, target__headline="Inline two", after_paragraph=3)
    RelatedLinkFactory(article=article, target__headline="Closing", after_paragraph=None)
    layout = layout_of(article)
    assert kinds(layout) == ["One.", "MORE Inline one", "Two.", "Three.", "MORE Inline two", "Four."]
    assert [link.text for link in layout.end_links] == ["Closing"]
    html = client.get(article.get_absolute_url()).content.decode()
    assert "(<a href=" in html and ">MORE: Inline one</a>)" in html
    assert ">MORE: Closing</a></p>" in html


def test_placement_past_the_last_paragraph_falls_back_to_the_end():
    article = ArticleFactory(body=BODY)
    RelatedLinkFactory(article=article, target__headline="Far away", after_paragraph=40)
    layout = layout_of(article)
    assert "MORE Far away" not in kinds(layout)
    assert [link.text for link in layout.end_links] == ["Far away"]


@pytest.mark.parametrize(
    "target_changes",
    [{"status": Article.Status.DRAFT}, {"publish_at": timezone.now() + timezone.timedelta(days=2)}],
    ids=["draft", "scheduled"],
)
def test_unpublished_more_link_disappears(client, target_changes):
    article = ArticleFactory(body=BODY)
    RelatedLinkFactory(
        article=article, target=ArticleFactory(headline="Hidden target", **target_changes), after_paragraph=1
    )
    RelatedLinkFactory(article=article, target=ArticleFactory(headline="Hidden at end", **target_changes))
    layout = layout_of(article)
    assert kinds(layout) == ["One.", "Two.", "Three.", "Four."]
    assert layout.end_links == []
    assert "Hidden target" not in client.get(article.get_absolute_url()).content.decode()


def test_link_text_follows_the_target_headline_unless_labelled(client):
    target = ArticleFactory(headline="Old headline")
    article = ArticleFactory(body=BODY)
    RelatedLinkFactory(article=article, target=target, after_paragraph=1)
    RelatedLinkFactory(article=article, target=target, label="Editor's words", after_paragraph=2)
    Article.objects.filter(pk=target.pk).update(headline="New headline")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "MORE: New headline" in html and "Old headline" not in html
    assert "MORE: Editor&#x27;s words" in html


def test_outside_link_renders_with_its_label(client):
    article = ArticleFactory(body=BODY)
    RelatedLinkFactory(article=article, target=None, url="https://example.org/report", label="The full report")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/report">MORE: The full report</a>' in html


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
