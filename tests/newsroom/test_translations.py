"""The translations' checks: no user-facing text left unmarked in a template, catalogues that `make messages` would
not change, and a Spanish catalogue with nothing untranslated or fuzzy; and the site answering in the language asked."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.urls import reverse

from newsroom.management.commands.makemessages import IGNORED
from tests import tools
from tests.factories import ArticleFactory, CommentFactory

ROOT = tools.ROOT
TEMPLATES = ROOT / "templates"
LOCALE = ROOT / "newsroom" / "locale"
CATALOGUES = ["django.po", "djangojs.po"]

# Attributes people read (or hear, from a screen reader).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "label"}
# Machine-read files: robots.txt is for crawlers, in its own format.
NOT_FOR_PEOPLE = {"robots.txt"}
# Names that are the same in every language: brands and formats.
ALLOWED_WORDS = {"X", "Facebook"}
LETTERS = re.compile(r"[^\W\d_]+")
# What stands in the HTML for a {{ }} or {% %} outside the translate tags: no letters, valid in a tag's name
# (<h{{ level }}>) or an attribute, and as many lines as the tag had.
PLACEHOLDER = "0"


class _TextFinder(HTMLParser):
    """The text nodes and read attributes of a template's HTML, outside scripts and styles, with their lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skipping += 1
        read = READ_ATTRIBUTES | ({"value"} if tag == "input" and attrs.get("type") in ("submit", "button") else set())
        if tag == "meta" and attrs.get("name") == "description":
            read = read | {"content"}
        for name in read & attrs.keys():
            self.found.append((self.getpos()[0], attrs[name] or ""))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        first = LETTERS.search(data)
        if first and not self.skipping:  # the line of its first word
            self.found.append((self.getpos()[0] + data[: first.start()].count("\n"), data[first.start() :]))


def unmarked_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of user-facing text in a template's source that no translate tag holds."""
    html, depth = [], 0
    for token in Lexer(source).tokenize():
        lines = PLACEHOLDER + "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans", "comment"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment"):
                depth -= 1
            html.append(lines)
        elif token.token_type == TokenType.TEXT and not depth:
            html.append(token.contents)
        else:
            html.append(lines)
    finder = _TextFinder()
    finder.feed("".join(html))
    finder.close()
    return [(line, " ".join(text.split())) for line, text in finder.found if set(LETTERS.findall(text)) - ALLOWED_WORDS]


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and p.name not in NOT_FOR_PEOPLE)


def test_every_user_facing_string_in_the_templates_is_marked_for_translation():
    unmarked = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in templates()
        for line, text in unmarked_text(path.read_text(encoding="utf-8"))
    ]
    assert unmarked == [], "text outside {% translate %}/{% blocktranslate %}:\n" + "\n".join(unmarked)


def test_the_scanner_finds_unmarked_text_attributes_and_buttons_and_passes_marked_ones():
    source = (
        '{% load i18n %}<h1>{% translate "Fine" %}</h1>\n'
        "<p>Left in English</p>\n"
        '<img alt="A cat" src="{{ url }}"><input type="submit" value="Send">\n'
        "<button aria-label=\"{% translate 'Close' %}\">×</button> {{ count }} · 42 &amp;\n"
        "{% blocktranslate %}Also fine {{ name }}{% endblocktranslate %}{# comment #}\n"
        '<script type="application/ld+json">{"headline": "Not text"}</script><a href="x">X</a>\n'
        "{% if a %}\n"
        "{% endif %}On the eighth line"
    )
    assert unmarked_text(source) == [(2, "Left in English"), (3, "A cat"), (3, "Send"), (8, "On the eighth line")]


def _catalogue(path: Path) -> str:
    return re.sub(r'^"POT-Creation-Date: .*\n', "", path.read_text(encoding="utf-8"), flags=re.M)


def test_makemessages_would_not_change_the_catalogues(tmp_path, monkeypatch, settings):
    """The committed catalogues are what `make messages` writes: run it on a copy of the sources and compare."""
    tools.gettext()
    copy = tmp_path / "site"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".*", "*.mo", "__pycache__", *IGNORED), symlinks=True)
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / "newsroom" / "locale"]
    for domain in ("django", "djangojs"):
        call_command("makemessages", domain=domain, verbosity=0)
    changed = [
        f"{po.relative_to(LOCALE)}"
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
        if _catalogue(po) != _catalogue(copy / "newsroom" / "locale" / po.relative_to(LOCALE))
    ]
    assert changed == [], f"run `make messages` and translate what it adds: {changed} would change"


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_the_spanish_catalogues_have_nothing_untranslated_or_fuzzy(catalogue):
    tools.gettext()
    path = LOCALE / "es" / "LC_MESSAGES" / catalogue
    for flag in ("--untranslated", "--only-fuzzy"):
        left = subprocess.run(["msgattrib", flag, str(path)], capture_output=True, text=True, check=True).stdout
        assert left == "", f"{catalogue}, {flag}:\n{left}"
    subprocess.run(["msgfmt", "--check", "--output-file=/dev/null", str(path)], check=True)


@pytest.mark.django_db
def test_the_same_address_answers_in_the_language_the_browser_asks_for(client):
    tools.compiled_catalogues()
    article = ArticleFactory()
    CommentFactory(article=article)
    spanish = client.get(article.get_absolute_url(), headers={"accept-language": "es-ES,es;q=0.9"}).content.decode()
    english = client.get(article.get_absolute_url(), headers={"accept-language": "en-GB,en;q=0.9"}).content.decode()
    assert '<html lang="es">' in spanish and '<html lang="en">' in english
    assert ">1 comentario</h2>" in spanish and ">1 comment</h2>" in english
    assert "Guardar para después" in spanish and "Read later" not in spanish
    assert '<script src="/jsi18n/es.js" defer>' in spanish and '<script src="/jsi18n/en.js" defer>' in english


@pytest.mark.django_db
def test_the_javascript_catalogue_is_small_shared_and_per_language(client):
    tools.compiled_catalogues()
    response = client.get(reverse("javascript_catalog", args=["es"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "Enlace copiado" in response.content.decode()
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    # Our strings only (packages=["newsroom"]), not the admin's calendar and widgets: a few kilobytes.
    assert len(response.content) < 12_000, len(response.content)
    assert "Enlace copiado" not in client.get(reverse("javascript_catalog", args=["en"])).content.decode()
    assert client.get("/jsi18n/xx.js").status_code == 404
