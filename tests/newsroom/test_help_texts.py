"""Help texts, labels and verbose names are text: the admin and Django's form templates render help text as HTML,
so a tag written in one becomes markup on the page (issue 11: an unclosed <a> in a help text turned the rest of
the story form into a link that reloaded it and emptied the editor's work)."""

import importlib
import importlib.util

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.utils.safestring import SafeData

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = ["newsroom", "articles", "comments"]


def texts_of_form(form_class, where: str):
    for name, field in form_class.base_fields.items():
        yield f"{where}.{name} label", field.label
        yield f"{where}.{name} help_text", field.help_text


def every_text():
    """(where, text) for every verbose name, help text and label of our models, their admin forms and site forms."""
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            where = model._meta.label
            yield f"{where} verbose_name", model._meta.verbose_name
            yield f"{where} verbose_name_plural", model._meta.verbose_name_plural
            for field in model._meta.get_fields():
                if not field.auto_created or field.concrete:
                    yield f"{where}.{field.name} verbose_name", getattr(field, "verbose_name", "")
                    yield f"{where}.{field.name} help_text", getattr(field, "help_text", "")
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        yield from texts_of_form(model_admin.get_form(request), f"{type(model_admin).__name__} form")
        for inline in model_admin.get_inline_instances(request):
            where = type(inline).__name__
            yield f"{where} verbose_name", inline.verbose_name
            yield f"{where} verbose_name_plural", inline.verbose_name_plural
            yield from texts_of_form(inline.get_formset(request).form, f"{where} form")
    for label in OUR_APPS:
        if importlib.util.find_spec(f"{label}.forms"):
            importlib.import_module(f"{label}.forms")
    pending = [forms.BaseForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        if form_class.__module__.partition(".")[0] in OUR_APPS and hasattr(form_class, "base_fields"):
            yield from texts_of_form(form_class, f"{form_class.__module__}.{form_class.__name__}")


def test_no_help_text_label_or_verbose_name_carries_markup_unless_marked_safe():
    checked = list(every_text())
    # str() resolves a lazy text to what the template gets, which keeps Django's own deliberate SafeStrings safe.
    resolved = [(where, str(text)) for where, text in checked]
    markup = [(where, text) for where, text in resolved if "<" in text and not isinstance(text, SafeData)]
    assert markup == []
    # The walk reaches models, admin forms and inlines, and the site's own forms.
    wheres = " ".join(where for where, _ in checked)
    assert "articles.EmbedBlock.url help_text" in wheres
    assert "moreblock" in wheres.lower() and "form.target" in wheres
    assert "newsroom.forms.SignUpForm" in wheres and "comments.forms.CommentForm" in wheres
