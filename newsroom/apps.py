from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def staff_groups_sync(sender, using, **kwargs):
    """After every migrate, the staff groups exist with exactly their permissions, on every deployment (not only
    where the demo is seeded)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from newsroom import services

    # auth creates each app's permissions as that app's own post_migrate runs, and newsroom's runs before the
    # apps whose permissions the groups hold: create those first (it adds only what is missing).
    for label in {*services.EDITOR_PERMISSIONS, *services.REPORTER_PERMISSIONS, *services.MODERATOR_PERMISSIONS}:
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    services.editors_group()
    services.reporters_group()
    services.moderators_group()


def webhooks_connect():
    """The site's webhooks hear the stories' and the discussion's events (articles.signals, comments.signals)."""
    from articles import signals as story_signals
    from comments import signals as comment_signals
    from newsroom import webhooks

    for signal, receiver in [
        (story_signals.story_published, webhooks.on_story_published),
        (story_signals.story_updated, webhooks.on_story_updated),
        (comment_signals.comment_created, webhooks.on_comment_created),
        (comment_signals.comment_edited, webhooks.on_comment_edited),
        (comment_signals.comment_moderated, webhooks.on_comment_moderated),
        (comment_signals.comment_reported, webhooks.on_comment_reported),
    ]:
        signal.connect(receiver, dispatch_uid=f"webhooks.{receiver.__name__}")


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = _("Newsroom")

    def ready(self):
        from newsroom import checks  # noqa: F401  (registers the deploy checks)
        from newsroom.api import add_routers

        add_routers()

        post_migrate.connect(staff_groups_sync, sender=self)
        webhooks_connect()
        # Rate limits and login throttling count in the cache; a per-process cache gives every worker its own count,
        # so a production site would let each worker allow the full limit. Checked on the final settings.
        if settings.REQUIRE_SHARED_CACHE and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
            raise ImproperlyConfigured(
                "CACHE_URL must name a shared cache (e.g. redis://...) when DJANGO_DEBUG is off."
            )
