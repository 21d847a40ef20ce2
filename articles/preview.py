"""The story admin's preview: the form as it stands, unsaved, shown as the story page would be, at desktop and
mobile widths. The form and its inlines are saved inside a transaction that is rolled back once the page is
rendered, so the preview runs the real page's code (blocks, bylines, MORE links, the discussion) and stores nothing;
callbacks on commit (tasks) never run. Private, never cached, never indexed."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.formsets import all_valid
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles import selectors, services
from articles.models import Article
from articles.views import story_page_context

__all__ = ["StoryPreviewAdmin", "WIDTHS"]

# The widths the preview offers: a laptop and a common phone (CSS pixels).
WIDTHS = {"desktop": 1280, "mobile": 375}


def _errors(form, formsets) -> list[str]:
    """Every error of the form and its inlines, as sentences an editor can act on."""
    found = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        found += [f"{label}: {error}" if label else str(error) for error in errors]
    for formset in formsets:
        title = formset.model._meta.verbose_name
        found += [f"{title}: {error}" for error in formset.non_form_errors()]
        for inline in formset.forms:
            for name, errors in inline.errors.items():
                label = inline.fields[name].label if name in inline.fields else ""
                found += [f"{title}, {label}: {error}" if label else f"{title}: {error}" for error in errors]
    return found


class StoryPreviewAdmin:
    """Mixed into ArticleAdmin: POST the change or add form to `preview/` (the form's Preview button)."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="articles_article_preview_new"),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="articles_article_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id=None):
        return require_POST(self._preview)(request, object_id)

    def _preview(self, request, object_id):
        story = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and story is None:
            raise Http404(_("No story with that id."))
        allowed = self.has_change_permission(request, story) if story else self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        page, errors = "", []
        with transaction.atomic():
            form = self.get_form(request, story, change=story is not None)(request.POST, request.FILES, instance=story)
            valid = form.is_valid()
            article = form.save(commit=False) if valid else form.instance
            formsets, _inlines = self._create_formsets(request, article, change=story is not None)
            if valid and all_valid(formsets):
                if article.status == Article.Status.PUBLISHED and article.publish_at is None:
                    article.publish_at = timezone.now()
                article.save()
                form.save_m2m()
                for formset in formsets:
                    formset.save()
                services.article_body_refresh(article=article)
                shown = selectors.story_for_page(Article.objects.filter(pk=article.pk)).get()
                context = story_page_context(request, shown, preview=True, unsaved=True)
                page = render_to_string("articles/article_detail.html", context, request=request)
            else:
                errors = _errors(form, formsets)
            transaction.set_rollback(True)
        response = TemplateResponse(
            request,
            "admin/articles/article/preview.html",
            {
                **self.admin_site.each_context(request),
                "title": "Preview",
                "opts": self.model._meta,
                "original": story,
                "page": page,
                "errors": errors,
                "widths": WIDTHS,
            },
            status=200 if page else 400,
        )
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
