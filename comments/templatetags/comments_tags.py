"""The discussion's part of any page: `get_discussion` for a story, and the filters its templates use."""

from django import template
from django.urls import reverse

from comments import ages, selectors, services
from newsroom.http import page_number

register = template.Library()

# "2 hours ago", as the discussion says it everywhere.
register.filter("ago", ages.ago)


@register.simple_tag(takes_context=True)
def get_discussion(context, article) -> selectors.StoryDiscussion:
    """{% get_discussion article as discussion %}: the story's discussion for this request's reader, at the sort and
    page its address asks for (a page number that is no page is a 404). One query for the discussion's row; its
    threads are read only where comments/includes/_discussion.html renders them, and not at all when the page of
    threads comes from the fragment cache."""
    request = context["request"]
    return selectors.StoryDiscussion(
        article=article, request=request, sort=request.GET.get("sort"), page=page_number(request)
    )


@register.filter
def in_set(value, values) -> bool:
    return value in values


@register.filter
def mutes(discussion, comment) -> bool:
    """{{ discussion|mutes:comment }}: whether this page's reader muted the comment's author (False on pages without
    a discussion, and for signed-out readers, whose marks are empty)."""
    return bool(discussion) and comment.author_id in discussion.marks.muted


@register.filter
def still_editable(comment) -> bool:
    """Whether its author may still edit the comment (the edit window is open and it was not removed)."""
    return services.comment_edit_refusal(comment) is None


@register.simple_tag
def live_url(name: str, article_pk: int, thread: int | None = None) -> str:
    """{% live_url "comments:live_since" article.pk %}: the address static/js/live.js fills in, with the literal
    {version} where the page's version goes (reverse() would escape the braces)."""
    url = reverse(name, kwargs={"article_pk": article_pk, "version": "0"}).removesuffix("0/") + "{version}/"
    return f"{url}?thread={thread}" if thread else url
