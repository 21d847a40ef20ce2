"""Revisions of a story: every admin save and publishing action keeps one (who, when, what changed); the history
compares any two, readably and escaped; a restore is itself a revision, goes through the edit version, and keeps
what it can when a picture it names was deleted since."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles import revisions, services
from articles.models import Article, Byline, ImageBlock, LeadImage, TextBlock
from newsroom.services import reporters_group
from tests.articles.test_admin import admin_post_data
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, LeadImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def save(client, article, **changes):
    response = client.post(change_url(article), admin_post_data(client.get(change_url(article)), **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    return response


def test_an_admin_save_keeps_a_revision_with_who_and_the_changed_fields(editor_client, editor):
    article = ArticleFactory(headline="Old headline")
    save(editor_client, article, headline="New headline", deck="A new deck.")
    latest = revisions.versions_of(article).first()
    assert latest.revision.user == editor
    assert "Headline" in latest.revision.get_comment() and "Deck" in latest.revision.get_comment()
    assert latest.field_dict["headline"] == "New headline"
    # The revision holds the story's byline with it, which restoring needs.
    assert {v._model for v in latest.revision.version_set.all()} >= {Article, Byline}


def test_publishing_and_unpublishing_keep_revisions(editor):
    article = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    services.article_publish(article=article, by=editor)
    services.article_unpublish(article=article, by=editor)
    comments = [v.revision.get_comment() for v in revisions.versions_of(article)]
    assert comments == ["Unpublished.", "Published."]
    assert article.edit_version == 3


def test_the_history_compares_any_two_revisions_word_by_word_and_escaped(editor_client):
    words = "The council met on Monday, and the vote on the harbour wall was put off until its next session."
    article = ArticleFactory(correction=words)
    save(
        editor_client,
        article,
        correction=words.replace("The council", "The city council").replace("Monday", "<Tuesday>"),
    )
    save(editor_client, article, headline="A headline with <script>alert(1)</script>")
    history = editor_client.get(reverse("admin:articles_article_history", args=[article.pk])).content.decode()
    ids = [v.pk for v in revisions.versions_of(article)]
    assert len(ids) == 3 and all(f'value="{pk}"' in history for pk in ids)
    compare = reverse("admin:articles_article_compare", args=[article.pk])

    first_to_last = editor_client.get(compare, {"from": ids[-1], "to": ids[0]}).content.decode()
    assert "The<ins> city</ins> council" in first_to_last
    assert "<del>Monday,</del>" in first_to_last and "<ins>&lt;Tuesday&gt;,</ins>" in first_to_last
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first_to_last and "<script>alert" not in first_to_last
    # The two latest: only the headline differs (and the order chosen does not matter).
    last_two = editor_client.get(compare, {"from": ids[0], "to": ids[1]}).content.decode()
    assert "Tuesday" not in last_two and "Headline" in last_two
    assert editor_client.get(compare, {"from": "x", "to": ids[0]}).status_code == 302
    other = ArticleFactory()
    assert (
        editor_client.get(compare, {"from": Version.objects.get_for_object(other).count(), "to": 99999}).status_code
        == 404
    )


def test_related_rows_show_as_readable_lines(editor_client):
    article = ArticleFactory(authors=[AuthorFactory(name="Ana Reyes")])
    first = revisions.versions_of(article)
    assert not first.exists()
    editor_client.get(change_url(article))  # a story from before revisions: opening it keeps its baseline
    Byline.objects.create(article=article, author=AuthorFactory(name="Ben Okafor"), order=1)
    services.article_add_block(article=article, block=TextBlock(text="<p>The tide <em>turned</em> at noon.</p>"))
    save(editor_client, article, headline="Two authors now")
    older, newer = list(revisions.versions_of(article))[::-1]
    changes = {c.label: c for c in revisions.diff_revisions(older.revision, newer.revision)}
    assert "author: Ben Okafor; order: 1" in changes["Bylines"].new
    assert "<ins>author: Ben Okafor; order: 1" in changes["Bylines"].html
    assert "Text: text: The tide turned at noon." in changes["Body"].new


def restore(client, article, version, edit_version=None):
    url = reverse("admin:articles_article_restore", args=[article.pk, version.pk])
    return client.post(url, {"edit_version": article.edit_version if edit_version is None else edit_version})


def test_a_restore_brings_back_the_story_and_its_bylines_as_a_new_revision(editor_client):
    ana, ben = AuthorFactory(name="Ana Reyes"), AuthorFactory(name="Ben Okafor")
    article = ArticleFactory(headline="As first written", authors=[ana])
    editor_client.get(change_url(article))
    Byline.objects.filter(article=article).update(author=ben)
    save(editor_client, article, headline="Rewritten")
    first = list(revisions.versions_of(article))[-1]

    response = restore(editor_client, article, first)
    assert response.status_code == 302 and response["Location"] == change_url(article)
    article.refresh_from_db()
    assert article.headline == "As first written" and article.byline_authors == [ana]
    assert revisions.versions_of(article).count() == 3
    assert revisions.versions_of(article).first().revision.get_comment().startswith("Restored the revision of")
    # The restored story is the current version: it saves, and a form loaded before the restore is refused.
    assert revisions.versions_of(article).first().field_dict["edit_version"] == article.edit_version


def test_a_restore_from_a_history_someone_saved_past_is_refused(editor_client):
    article = ArticleFactory(headline="First")
    editor_client.get(change_url(article))
    stale = article.edit_version
    save(editor_client, article, headline="Second")
    first = list(revisions.versions_of(article))[-1]
    response = restore(editor_client, article, first, edit_version=stale)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Second"
    page = editor_client.get(response["Location"]).content.decode()
    assert "saved this story after you opened its history: nothing was restored" in page


def test_a_restore_whose_lead_image_was_deleted_says_so_and_restores_the_rest(editor_client):
    old_picture, new_picture = ImageFactory(alt_text="The old quay"), ImageFactory(alt_text="The new quay")
    article = ArticleFactory(headline="With the old picture")
    LeadImageFactory(article=article, image=old_picture, caption="Old caption")
    editor_client.get(change_url(article))
    LeadImage.objects.filter(article=article).update(image=new_picture)
    save(editor_client, article, headline="With the new picture")
    old_picture.delete()  # no story uses it any more, so the library lets it go
    first = list(revisions.versions_of(article))[-1]

    response = restore(editor_client, article, first)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "With the old picture"
    assert LeadImage.objects.get(article=article).image == new_picture  # today's lead image stays in its place
    page = editor_client.get(response["Location"]).content.decode()
    assert "except: lead image (it named image #" in page and "deleted since" in page


def test_a_restore_whose_inline_image_was_deleted_keeps_the_other_blocks_and_says_so(editor_client):
    picture = ImageFactory(alt_text="The flooded square")
    article = ArticleFactory(headline="Before")
    services.article_add_block(article=article, block=TextBlock(text="<p>The water rose.</p>"))
    services.article_add_block(article=article, block=ImageBlock(image=picture, caption="The square at noon"))
    editor_client.get(change_url(article))
    ImageBlock.objects.filter(parent=article).delete()
    picture.delete()
    save(editor_client, article, headline="After")
    first = list(revisions.versions_of(article))[-1]

    response = restore(editor_client, article, first)
    article.refresh_from_db()
    assert article.headline == "Before" and "The water rose." in article.body
    assert not ImageBlock.objects.filter(parent=article).exists()
    page = editor_client.get(response["Location"]).content.decode()
    assert "(it named image #" in page and "deleted since" in page


def test_a_reporters_restore_keeps_the_storys_publishing_state(client, editor):
    """A revision from when the story was published, restored by a reporter after it was unpublished: the words
    come back, the story stays a draft (only editors publish)."""
    reporter = UserFactory(handle="cub", is_staff=True)
    reporter.groups.add(reporters_group())
    article = ArticleFactory(headline="Published words", status=Article.Status.DRAFT, publish_at=None)
    services.article_publish(article=article, by=editor)
    services.article_unpublish(article=article, by=editor)
    Article.objects.filter(pk=article.pk).update(headline="Draft words")
    published = [v for v in revisions.versions_of(article) if v.revision.get_comment() == "Published."][0]
    client.force_login(reporter)
    article.refresh_from_db()
    restore(client, article, published)
    article.refresh_from_db()
    assert article.headline == "Published words" and article.status == Article.Status.DRAFT and not article.is_live
