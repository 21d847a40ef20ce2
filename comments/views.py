"""Reader pages and forms of the discussion: permalinks, threads, posting, editing, likes and reports."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect


def member(request, pk):
    """Where an @mention links: by account, so the link survives a change of handle."""
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    return redirect(user.get_absolute_url())
