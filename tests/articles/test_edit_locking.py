"""No lost saves: a save from a form loaded before someone else's save is refused with who, when and what changed,
and keeps what was typed; "also being edited by" while another editor has the story open."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from articles import services
from articles.models import Article
from newsroom.models import User
from newsroom.services import editors_group
from tests.articles.test_admin import admin_post_data
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def editor_named(name: str, handle: str):
    user = UserFactory(handle=handle, display_name=name, is_staff=True)
    user.groups.add(editors_group())
    client = Client()
    client.force_login(user)
    return client


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def test_a_save_from_an_older_form_is_refused_with_who_when_and_what_changed_and_keeps_what_was_typed():
    article = ArticleFactory(headline="Harbour reopens", deck="Boats return.")
    ana, ben = editor_named("Ana Reyes", "ana"), editor_named("Ben Okafor", "ben")
    form_a, form_b = ana.get(change_url(article)), ben.get(change_url(article))

    saved = ana.post(change_url(article), admin_post_data(form_a, headline="Harbour reopens after the storm"))
    assert saved.status_code == 302
    typed = admin_post_data(form_b, deck="Boats return <at dawn>.", correction="A fix by Ben.")
    refused = ben.post(change_url(article), typed)

    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Ana Reyes saved this story at" in html and "your changes are not saved" in html
    # What Ana changed, word by word; and everything Ben typed is still in the form, escaped.
    assert "<del>Harbour reopens</del> → <ins>Harbour reopens after the storm</ins>" in html
    assert '<th scope="row">Publish at' not in html  # saved to the second: nothing an editor reads changed
    assert "Boats return &lt;at dawn&gt;." in html and "A fix by Ben." in html
    article.refresh_from_db()
    assert (article.headline, article.deck, article.correction) == (
        "Harbour reopens after the storm",
        "Boats return.",
        "",
    )

    # Saving again, knowingly, from the re-rendered form replaces Ana's version with Ben's.
    carried = refused.context["adminform"].form["loaded_edit_version"].value()
    again = ben.post(change_url(article), {**typed, "loaded_edit_version": carried})
    assert again.status_code == 302
    article.refresh_from_db()
    assert article.deck == "Boats return <at dawn>." and article.headline == "Harbour reopens"


def test_a_save_from_the_current_form_bumps_the_edit_version():
    article = ArticleFactory()
    ana = editor_named("Ana Reyes", "ana")
    before = article.edit_version
    assert ana.post(change_url(article), admin_post_data(ana.get(change_url(article)))).status_code == 302
    article.refresh_from_db()
    assert article.edit_version == before + 1


def test_publishing_from_the_list_refuses_a_save_from_a_form_opened_before():
    article = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    ana = editor_named("Ana Reyes", "ana")
    form = ana.get(change_url(article))
    services.article_publish(article=article, by=User.objects.get(handle="ana"))
    refused = ana.post(change_url(article), admin_post_data(form, headline="A new headline"))
    assert refused.status_code == 200 and "your changes are not saved" in refused.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_from_forms_loaded_at_the_same_version_one_wins_one_is_refused():
    """Two requests in two threads, each with its own database connection, released together: the lock check and
    the conditional update let exactly one through, on SQLite and PostgreSQL alike."""
    article = ArticleFactory(headline="Original")
    clients = [editor_named("Ana Reyes", "ana"), editor_named("Ben Okafor", "ben")]
    posts = [
        admin_post_data(client.get(change_url(article)), headline=f"Headline by {name}")
        for client, name in zip(clients, ["Ana", "Ben"], strict=True)
    ]
    barrier = threading.Barrier(2)
    results = {}

    def save(index):
        try:
            barrier.wait()
            results[index] = clients[index].post(change_url(article), posts[index])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(response.status_code for response in results.values())
    assert codes == [200, 302]
    refused = next(response for response in results.values() if response.status_code == 200)
    assert "your changes are not saved" in refused.content.decode()
    article.refresh_from_db()
    winner = next(i for i, response in results.items() if response.status_code == 302)
    assert article.headline == ["Headline by Ana", "Headline by Ben"][winner]
    assert article.edit_version == 2


def test_the_change_form_names_who_else_has_the_story_open():
    article = ArticleFactory()
    ana, ben = editor_named("Ana Reyes", "ana"), editor_named("Ben Okafor", "ben")
    first = ana.get(change_url(article)).content.decode()
    assert 'aria-live="polite"' in first and "Also being edited" not in first
    html = ben.get(change_url(article)).content.decode()
    assert "Also being edited by Ana Reyes (since " in html

    presence = reverse("admin:articles_article_presence", args=[article.pk])
    answer = ana.post(presence).json()
    assert [other["name"] for other in answer["others"]] == ["Ben Okafor"]
    assert answer["text"].startswith("Also being edited by Ben Okafor (since ")
    ben.post(presence, {"leave": "1"})
    assert ana.post(presence).json()["others"] == []
    assert ana.get(presence).status_code == 405


def test_a_cache_outage_leaves_the_story_form_working_without_presence(monkeypatch):
    article = ArticleFactory(headline="Still editable")
    ana = editor_named("Ana Reyes", "ana")

    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    from articles import admin_editing

    monkeypatch.setattr(admin_editing.cache, "get", unreachable)
    response = ana.get(change_url(article))
    assert response.status_code == 200 and "Still editable" in response.content.decode()
    answer = ana.post(reverse("admin:articles_article_presence", args=[article.pk])).json()
    assert answer == {"others": [], "text": "", "unavailable": True}
    assert ana.post(change_url(article), admin_post_data(response, headline="Saved anyway")).status_code == 302


def test_a_reader_cannot_beat_presence():
    article = ArticleFactory()
    reader = Client()
    reader.force_login(UserFactory())
    response = reader.post(reverse("admin:articles_article_presence", args=[article.pk]))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
