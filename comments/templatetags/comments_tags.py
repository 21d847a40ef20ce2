"""Template filters of the discussion."""

from django import template

from comments import ages

register = template.Library()

# "2 hours ago", as the comments themselves say it (comments.selectors builds their rows with the same function).
register.filter("ago", ages.ago)
