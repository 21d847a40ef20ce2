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


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = _("Newsroom")

    def ready(self):
        from newsroom import checks  # noqa: F401  (registers the deploy checks)

        post_migrate.connect(staff_groups_sync, sender=self)
        # Rate limits and login throttling count in the cache; a per-process cache gives every worker its own count,
        # so a production site would let each worker allow the full limit. Checked on the final settings.
        if settings.REQUIRE_SHARED_CACHE and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
            raise ImproperlyConfigured(
                "CACHE_URL must name a shared cache (e.g. redis://...) when DJANGO_DEBUG is off."
            )
