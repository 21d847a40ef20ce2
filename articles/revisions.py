"""A story's revisions (django-reversion): what a revision holds, a readable diff of two, and a restore that keeps
what it can when a picture or another row it names has gone from the library since.

One revision is the story row together with the rows that belong to it (FOLLOWED), so that restoring a story
brings back its bylines, lead image and links as they were, not only its headline and body."""

import difflib
import re
from dataclasses import dataclass, field
from html import unescape

import reversion
from django.db import models, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django_prose_editor.fields import ProseEditorField
from reversion.models import Version

from articles import services
from articles.models import BODY_BLOCKS, Article

# The relations of a story that its revisions hold (their names on Article): the one list to change when a story
# gains rows of its own. Each kind of body block is a table of its own, reached by its `parent` key.
FOLLOWED = (
    "bylines",
    "lead",
    *(block._meta.get_field("parent").remote_field.get_accessor_name() for block in BODY_BLOCKS),
)
# Not a story's content: kept out of revisions and diffs (the search column is the database's own).
NOT_SNAPSHOTTED = ["search_document"]
# `body` is the blocks' words, written after the blocks are saved (services.article_body_refresh), so a revision's
# copy lags behind: the blocks themselves are compared and restored. A block's place shows as its order in the list.
NOT_DIFFED = {"edit_version", "created_at", "modified_at", "id", "body", "region", "ordering"}
# A value longer than this, or with a line break, is diffed word by word rather than shown as old → new.
LONG_TEXT = 80


def followed() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """Each followed relation as (its model, its foreign key to the story)."""
    return [(rel.related_model, rel.field) for rel in map(Article._meta.get_field, FOLLOWED)]


def register() -> None:
    """Called once from ArticlesConfig.ready."""
    if reversion.is_registered(Article):
        return
    for model, _parent in followed():
        reversion.register(model)
    reversion.register(Article, follow=FOLLOWED, exclude=NOT_SNAPSHOTTED)


def versions_of(article: Article):
    """The story's versions, newest first, each with its revision and who made it."""
    return Version.objects.get_for_object(article).select_related("revision__user").order_by("-pk")


def version_at_edit(article: Article, edit_version: int) -> Version | None:
    """The revision saved at the story's `edit_version` (what an editor's form was loaded from)."""
    for version in versions_of(article)[:200]:
        if version.field_dict.get("edit_version") == edit_version:
            return version
    return None


def keep_baseline(article: Article) -> None:
    """A revision of the story as it is, when its latest revision is not (a story from before revisions, or one
    written by a script): what an editor opens can then be compared with and restored."""
    latest = versions_of(article).first()
    if latest is not None and latest.field_dict.get("edit_version") == article.edit_version:
        return
    with reversion.create_revision():
        reversion.add_to_revision(article)
        reversion.set_comment("The story as it was when opened in the admin (no revision of it before).")


def author_of(revision) -> str:
    user = revision.user
    if user is None:
        return "someone (no account)"
    return getattr(user, "get_full_name", lambda: "")() or str(user)


# ----------------------------------------------------------------------------------------------------------------
# Snapshots and diffs
# ----------------------------------------------------------------------------------------------------------------


def _display(model, name: str, value) -> str:
    """A stored value as an editor reads it: a related row by its name, a choice by its label, a date local."""
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        return str(value)
    if value in (None, ""):
        return ""
    if isinstance(model_field, models.ManyToManyField):
        names = dict(model_field.related_model._default_manager.filter(pk__in=value).values_list("pk", "name"))
        return ", ".join(names.get(pk, f"(deleted #{pk})") for pk in value)
    if isinstance(model_field, models.ForeignKey):
        target = model_field.related_model._default_manager.filter(pk=value).first()
        return (
            str(target) if target is not None else f"(deleted {model_field.related_model._meta.verbose_name} #{value})"
        )
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, ProseEditorField):
        # Rich text (django-prose-editor's HTML) read as words; a paragraph or item a line.
        lines = re.sub(r"</(p|li|h\d|blockquote)>|<br\s*/?>", "\n", str(value))
        return " / ".join(line.strip() for line in unescape(strip_tags(lines)).splitlines() if line.strip())
    if isinstance(model_field, models.DateTimeField):
        parsed = models.DateTimeField().to_python(value)
        return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M") if parsed else str(value)
    return str(value)


def _row_line(model, parent, data: dict) -> str:
    """A related row (a byline, a lead image, a block) as one readable line of its fields."""
    parts = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in NOT_DIFFED or model_field.name in NOT_SNAPSHOTTED or model_field == parent:
            continue
        shown = _display(model, model_field.name, data.get(model_field.attname))
        if shown:
            parts.append(f"{model_field.verbose_name}: {shown}")
    return "; ".join(parts)


def snapshot(revision) -> dict[str, str]:
    """A revision as {label: text}: the story's fields one by one, then each kind of related row as lines."""
    versions = list(revision.version_set.all())
    story = next((v for v in versions if v._model is Article), None)
    result = {}
    if story is not None:
        data = story.field_dict
        for model_field in Article._meta.get_fields():
            name = model_field.name
            if not getattr(model_field, "concrete", False) or name in NOT_DIFFED or name in NOT_SNAPSHOTTED:
                continue
            key = getattr(model_field, "attname", name)
            if key in data:
                result[str(model_field.verbose_name).capitalize()] = _display(Article, name, data[key])
    body = []
    for model, parent in followed():
        rows = sorted(
            (v.field_dict for v in versions if v._model is model),
            key=lambda d: (d.get("ordering", d.get("order", 0)) or 0, d.get("id") or 0),
        )
        if model in BODY_BLOCKS:
            # One list of the body's blocks in their order, each named by its kind: a move shows as a move.
            body += [
                (d.get("ordering") or 0, f"{model._meta.verbose_name.capitalize()}: {_row_line(model, parent, d)}")
                for d in rows
            ]
        else:
            result[_label(model)] = "\n".join(_row_line(model, parent, d) for d in rows)
    result["Body"] = "\n".join(line for _ordering, line in sorted(body, key=lambda item: item[0]))
    return result


def _label(model) -> str:
    return str(model._meta.verbose_name_plural).capitalize()


def _tokens(text: str, *, lines: bool) -> list[str]:
    return [line + "\n" for line in text.splitlines()] if lines else re.split(r"(\s+)", text)


def diff_text(old: str, new: str, *, lines: bool = False) -> SafeString:
    """Old and new text as one, escaped, with what went in <del> and what came in <ins>: by words for prose, by
    lines for lists of rows."""
    a, b = _tokens(old, lines=lines), _tokens(new, lines=lines)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(out))


@dataclass
class Change:
    label: str
    old: str
    new: str
    html: SafeString = field(default_factory=SafeString)


def diff_revisions(old_revision, new_revision) -> list[Change]:
    """What differs between two revisions, field by field (only what changed)."""
    old, new = snapshot(old_revision), snapshot(new_revision)
    row_lists = {"Body", *(_label(model) for model, _parent in followed())}
    changes = []
    for label in dict.fromkeys([*old, *new]):
        before, after = old.get(label, ""), new.get(label, "")
        if before == after:
            continue
        if len(before) > LONG_TEXT or len(after) > LONG_TEXT or "\n" in before + after:
            html = diff_text(before, after, lines=label in row_lists)
        else:
            html = format_html("<del>{}</del> → <ins>{}</ins>", before or "(empty)", after or "(empty)")
        changes.append(Change(label, before, after, html))
    return changes


# ----------------------------------------------------------------------------------------------------------------
# Restoring
# ----------------------------------------------------------------------------------------------------------------


def _missing_targets(obj) -> list[str]:
    """The required rows `obj` points at that exist no more (a deleted library picture); an optional one gone is
    cleared instead."""
    missing = []
    for model_field in obj._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):
            continue
        value = getattr(obj, model_field.attname)
        if value is None or model_field.related_model._default_manager.filter(pk=value).exists():
            continue
        if model_field.null:
            setattr(obj, model_field.attname, None)
            continue
        missing.append(f"{model_field.related_model._meta.verbose_name} #{value}")
    return missing


@dataclass
class Restored:
    article: Article
    left_out: list[str]


@transaction.atomic
def restore(*, article: Article, version: Version, user, edit_version: int) -> Restored:
    """Put the story and its rows back as `version`'s revision holds them, as a new revision at `edit_version`.

    A row naming something deleted since (the lead image's picture, say) is left out and said so; the rest is
    restored. The caller has claimed `edit_version` (articles.admin_editing), so the story is locked meanwhile."""
    revision = version.revision
    versions = list(revision.version_set.all())
    kept = {(v._model, str(v.object_id)) for v in versions}
    # Rows the story has now that the revision does not: removed first, so a restored byline of the same author
    # does not collide with today's.
    current = []
    parents = {}
    for model, parent in followed():
        parents[model] = parent
        rows = model._default_manager.filter(**{parent.name: article})
        current += [row for row in rows if (model, str(row.pk)) not in kept]
    if current:
        collector = Collector(using=article._state.db)
        collector.collect(current)
        collector.delete()
    left_out = []
    with reversion.create_revision(atomic=False):
        for version_row in sorted(versions, key=lambda v: v._model is not Article):
            deserialized = version_row._object_version
            obj = deserialized.object
            parent = parents.get(version_row._model)
            if version_row._model is not Article and (parent is None or getattr(obj, parent.attname) != article.pk):
                continue
            missing = _missing_targets(obj)
            if missing:
                left_out.append(f"{obj._meta.verbose_name} (it named {', '.join(missing)}, deleted since)")
                continue
            if isinstance(obj, Article):
                obj.edit_version = edit_version
                if not user.has_perm(services.PUBLISH_PERMISSION) and (obj.status, obj.publish_at) != (
                    article.status,
                    article.publish_at,
                ):
                    # Restoring is not a way around the publish permission: the story stays as live as it is.
                    obj.status, obj.publish_at = article.status, article.publish_at
                    left_out.append("the publishing state (only editors publish, schedule and unpublish)")
                for name, pks in list(deserialized.m2m_data.items()):
                    related_model = Article._meta.get_field(name).related_model
                    exists = set(related_model._default_manager.filter(pk__in=pks).values_list("pk", flat=True))
                    deserialized.m2m_data[name] = [pk for pk in pks if pk in exists]
            deserialized.save()
        note = f"Restored the revision of {timezone.localtime(revision.date_created):%Y-%m-%d %H:%M}"
        note += f" by {author_of(revision)}."
        if left_out:
            note += " Not restored: " + "; ".join(left_out) + "."
        reversion.set_user(user)
        reversion.set_comment(note)
    article.refresh_from_db()
    services.article_body_refresh(article=article)
    return Restored(article, left_out)
