"""Request helpers shared by every app's views."""

from django.utils.http import url_has_allowed_host_and_scheme

__all__ = ["safe_next"]


def safe_next(request, default: str = "/") -> str:
    """The `next` address if it stays on this site, else `default`: no form ever sends a reader to another host."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
