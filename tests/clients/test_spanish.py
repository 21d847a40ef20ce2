"""The site in Spanish, in Chromium with a Spanish browser (Accept-Language es-ES): reading a story, its dates, share
and read-later, the discussion, and posting a comment and a reply, with the scripts' words from the catalogue."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import Comment
from tests import tools
from tests.clients.conftest import TIMEOUT_MS
from tests.factories import ArticleFactory, CommentFactory, UserFactory


@pytest.fixture
def context(browser, live_server):
    """A Spanish browser: its Accept-Language and navigator.language are es-ES."""
    context = browser.new_context(base_url=live_server.url, locale="es-ES", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def story(db):
    article = ArticleFactory(headline="Reabre el puerto tras la tormenta", publish_at=timezone.now())
    CommentFactory(article=article, body="¿Quién paga las reparaciones?")
    return article


def test_a_spanish_reader_reads_a_story_and_joins_the_discussion_in_spanish(page, sign_in, story):
    tools.compiled_catalogues()
    sign_in(UserFactory(handle="lucia"))
    page.goto(story.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "es")
    # The headline area: byline and dates in Spanish ("3 de diciembre de 2026, 14:21 UTC"), share and read later.
    expect(page.locator(".story__byline p").first).to_contain_text(re.compile(r"^Por "))
    spanish_date = re.compile(r"^\d{1,2} de [a-z]+ de \d{4}, \d\d:\d\d ")
    expect(page.locator(".story__dates time").first).to_have_text(spanish_date)
    share = page.get_by_role("group", name="Compartir esta noticia")
    expect(share).to_contain_text("Compartir")
    expect(page.get_by_role("button", name="Guardar para después")).to_be_visible()
    expect(page.get_by_role("heading", name="1 comentario", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Cuenta").get_by_role("button", name="Cerrar sesión")).to_be_visible()

    # The counter under the box is the script's (comments.js), in Spanish words and numbers.
    box = page.get_by_label("Tu comentario")
    box.fill("Me alegra ver los barcos de vuelta.")
    expect(page.locator(".counter")).to_have_text(re.compile(r"^35 / 5[.\s]?000 caracteres$"))
    page.get_by_role("button", name="Publicar comentario").click()
    comment = Comment.objects.get(body="Me alegra ver los barcos de vuelta.")
    expect(page).to_have_url(re.compile(rf"#comment-{comment.pk}$"))
    expect(page.get_by_role("heading", name="2 comentarios", exact=True)).to_be_visible()

    # Reply in place: the form the script makes says "Tu respuesta" and "Publicar respuesta".
    first = page.locator(f"#comment-{Comment.objects.get(body='¿Quién paga las reparaciones?').pk}")
    first.get_by_role("link", name="Responder").click()
    form = first.locator("form.reply-inline")
    expect(form.get_by_label("Tu respuesta")).to_be_focused()
    form.get_by_label("Tu respuesta").fill("El ayuntamiento.")
    form.get_by_role("button", name="Publicar respuesta").click()
    reply = Comment.objects.get(body="El ayuntamiento.")
    expect(page).to_have_url(re.compile(rf"#comment-{reply.pk}$"))
    expect(page.locator(f"#comment-{reply.pk}")).to_have_class(re.compile(r"\bindent-1\b"))
    expect(page.locator(f"#comment-{reply.pk}").get_by_role("link", name="Editar")).to_be_visible()
