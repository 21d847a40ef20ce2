"""Deployment checks of our own settings, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

__all__ = ["base_url_check", "webhooks_private_hosts_check"]


@register(Tags.security, deploy=True)
def base_url_check(app_configs, **kwargs):
    """Links in e-mail are built from NEWSROOM_BASE_URL outside any request: production must name its https address."""
    if settings.DEBUG or settings.NEWSROOM_BASE_URL.startswith("https://"):
        return []
    return [
        Warning(
            f"NEWSROOM_BASE_URL is {settings.NEWSROOM_BASE_URL!r}: links in e-mail would point there.",
            hint="Set NEWSROOM_BASE_URL to the site's public https address, e.g. https://news.example.com.",
            id="newsroom.W001",
        )
    ]


@register(Tags.security, deploy=True)
def webhooks_private_hosts_check(app_configs, **kwargs):
    """WEBHOOKS_ALLOW_PRIVATE_HOSTS is for the tests' loopback receiver: in production it lets staff point webhooks
    at the site's own network (server-side request forgery)."""
    if not settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS:
        return []
    return [
        Warning(
            "WEBHOOKS_ALLOW_PRIVATE_HOSTS is on: webhook endpoints may be loopback and private addresses.",
            hint="Leave WEBHOOKS_ALLOW_PRIVATE_HOSTS unset in production (docs/api.md, “Webhooks”).",
            id="newsroom.W002",
        )
    ]
