"""The story admin's editing machinery, which ArticleAdmin inherits: a revision per save (articles.revisions), no
lost saves (optimistic locking by Article.edit_version), "also being edited by" (presence in the cache), and the
history with its diffs and restores."""

import datetime
import logging
import time

import reversion
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import revisions, services
from articles.models import Article

logger = logging.getLogger(__name__)

# An editor counts as having the story open this long after their page's last heartbeat (static/js/admin-presence.js
# beats every PRESENCE_INTERVAL seconds, so a closed tab drops out within a minute).
PRESENCE_INTERVAL = 20
PRESENCE_TTL = 60


class EditConflict(Exception):
    """Someone saved the story between this save's check and its write (the check holds a row lock, so only a
    database without one could get here)."""


def _hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


class StoryForm(forms.ModelForm):
    """Carries the edit version the form was loaded at; saving from an older one is refused in validation, so the
    admin re-renders everything the editor typed (inlines too) with the reason and what changed."""

    loaded_edit_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if self.instance.pk:
            self.initial["loaded_edit_version"] = self.instance.edit_version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        loaded = cleaned.get("loaded_edit_version")
        # Locked until the save commits (the admin's view is one transaction): a save racing this one waits here,
        # then reads the version this one wrote.
        current = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("edit_version", flat=True)
            .first()
        )
        if current is None or loaded == current:
            return cleaned
        latest = revisions.versions_of(self.instance).first()
        loaded_version = revisions.version_at_edit(self.instance, loaded) if loaded else None
        changes = (
            revisions.diff_revisions(loaded_version.revision, latest.revision) if loaded_version and latest else []
        )
        who = revisions.author_of(latest.revision) if latest else "someone"
        when = _hhmm(latest.revision.date_created) if latest else _hhmm(timezone.now())
        self.conflict = {"who": who, "when": when, "changes": changes, "compared": bool(loaded_version and latest)}
        # Saving again now replaces their version with this one, knowingly: the form carries the current version.
        self.data = self.data.copy()
        self.data[self.add_prefix("loaded_edit_version")] = current
        raise ValidationError(
            _(
                "%(who)s saved this story at %(when)s, after you opened it: your changes are not saved. What they "
                "changed is shown below, and everything you typed is still in the form. Save again to replace their "
                "version with yours."
            ),
            code="edit_conflict",
            params={"who": who, "when": when},
        )


class StoryEditingAdmin:
    """Mixed into ArticleAdmin (before admin.ModelAdmin)."""

    form = StoryForm
    object_history_template = "admin/articles/article/revisions.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/presence/", wrap(self.presence_view), name="articles_article_presence"),
            path("<path:object_id>/history/compare/", wrap(self.compare_view), name="articles_article_compare"),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                wrap(self.restore_view),
                name="articles_article_restore",
            ),
            *super().get_urls(),
        ]

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin-presence.js", "js/admin-autosave.js"])

    # Revisions: every save through the admin is one, with who made it and the admin's own change message.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with reversion.create_revision():
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        reversion.set_comment(entry.get_change_message() or "Created.")
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        reversion.set_comment(entry.get_change_message() or _("Saved with no changes."))
        return entry

    def save_model(self, request, obj, form, change):
        if change:
            loaded = form.cleaned_data.get("loaded_edit_version") or 0
            if not services.article_claim_edit_version(article_pk=obj.pk, loaded=loaded):
                raise EditConflict(obj.pk)
            obj.edit_version = loaded + 1
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        article = self.get_object(request, unquote(object_id))
        if article is not None:
            if request.method == "GET":
                revisions.keep_baseline(article)
            others = presence_touch(article.pk, request.user)
            context.update(
                presence_text=presence_text(others or []),
                presence_url=reverse("admin:articles_article_presence", args=[article.pk]),
                presence_interval=PRESENCE_INTERVAL,
            )
        return super().change_view(request, object_id, form_url, context)

    # Presence.

    def presence_view(self, request, object_id):
        """The heartbeat of an open change form: record this editor, answer with the others."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        article = self.get_object(request, unquote(object_id))
        if article is None or not self.has_change_permission(request, article):
            raise PermissionDenied
        if request.POST.get("leave"):
            presence_leave(article.pk, request.user)
            return JsonResponse({"others": [], "text": ""})
        others = presence_touch(article.pk, request.user)
        return JsonResponse(
            {"others": others or [], "text": presence_text(others or []), "unavailable": others is None}
        )

    # History, compare, restore.

    def history_view(self, request, object_id, extra_context=None):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        versions = list(revisions.versions_of(article)[:200])
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {article}",
            "subtitle": None,
            "object": article,
            "opts": self.model._meta,
            "versions": versions,
            "can_restore": self.has_change_permission(request, article),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def compare_view(self, request, object_id):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        ids = []
        for name in ("from", "to"):
            try:
                ids.append(int(request.GET.get(name, "")))
            except ValueError:
                messages.error(request, _("Choose two revisions to compare."))
                return redirect("admin:articles_article_history", article.pk)
        older, newer = (get_object_or_404(revisions.versions_of(article), pk=pk) for pk in sorted(ids))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Changes to %(story)s") % {"story": article},
            "object": article,
            "opts": self.model._meta,
            "older": older,
            "newer": newer,
            "changes": revisions.diff_revisions(older.revision, newer.revision),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/articles/article/revision_compare.html", context)

    @transaction.atomic
    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return redirect("admin:articles_article_history", unquote(object_id))
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        version = get_object_or_404(revisions.versions_of(article), pk=version_id)
        try:
            loaded = int(request.POST.get("edit_version", ""))
        except ValueError:
            loaded = -1
        # The same path as a save: a restore chosen from a history someone has saved past is refused.
        if not services.article_claim_edit_version(article_pk=article.pk, loaded=loaded):
            latest = revisions.versions_of(article).first()
            who = revisions.author_of(latest.revision) if latest else _("someone")
            messages.error(
                request,
                _(
                    "%(who)s saved this story after you opened its history: nothing was restored. Look at the "
                    "history again and choose the revision to restore."
                )
                % {"who": who},
            )
            return redirect("admin:articles_article_history", article.pk)
        restored = revisions.restore(article=article, version=version, user=request.user, edit_version=loaded + 1)
        when = timezone.localtime(version.revision.date_created).strftime("%Y-%m-%d %H:%M")
        if restored.left_out:
            messages.warning(
                request,
                _("Restored the revision of %(when)s, except: %(left_out)s. Choose a replacement and save.")
                % {"when": when, "left_out": "; ".join(restored.left_out)},
            )
        else:
            messages.success(
                request, _("Restored the revision of %(when)s. The restore is itself a new revision.") % {"when": when}
            )
        return redirect("admin:articles_article_change", article.pk)


# ----------------------------------------------------------------------------------------------------------------
# Presence: who has a story's change form open, kept in the cache ({user pk: {name, since, seen}} per story).
# The cache may be down (Redis, in production): the admin page then shows no one, and never fails for it.
# ----------------------------------------------------------------------------------------------------------------


def _presence_key(article_pk: int) -> str:
    return f"article-editors:{article_pk}"


def presence_touch(article_pk: int, user) -> list[dict] | None:
    """Record that `user` has the story open; the other editors who do, or None when the cache cannot tell."""
    now = time.time()
    try:
        entries = cache.get(_presence_key(article_pk)) or {}
        entries = {pk: entry for pk, entry in entries.items() if now - entry["seen"] < PRESENCE_TTL}
        since = entries.get(user.pk, {}).get("since", now)
        entries[user.pk] = {"name": user.get_full_name() or str(user), "since": since, "seen": now}
        cache.set(_presence_key(article_pk), entries, PRESENCE_TTL)
    except Exception as error:  # whatever the cache backend raises when its server is gone
        logger.warning("Presence is unavailable (the cache is unreachable): %s", error)
        return None
    others = sorted((entry for pk, entry in entries.items() if pk != user.pk), key=lambda entry: entry["since"])
    return [
        {"name": entry["name"], "since": _hhmm(datetime.datetime.fromtimestamp(entry["since"], tz=datetime.UTC))}
        for entry in others
    ]


def presence_leave(article_pk: int, user) -> None:
    try:
        entries = cache.get(_presence_key(article_pk)) or {}
        if entries.pop(user.pk, None) is not None:
            cache.set(_presence_key(article_pk), entries, PRESENCE_TTL)
    except Exception as error:
        logger.warning("Presence is unavailable (the cache is unreachable): %s", error)


def presence_text(others: list[dict]) -> str:
    return "; ".join(
        _("Also being edited by %(name)s (since %(since)s)") % {"name": other["name"], "since": other["since"]}
        for other in others
    )
