from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from newsroom import checks  # noqa: F401  (registers the deploy checks)

        # Rate limits and login throttling count in the cache; a per-process cache gives every worker its own count,
        # so a production site would let each worker allow the full limit. Checked on the final settings.
        if settings.REQUIRE_SHARED_CACHE and settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
            raise ImproperlyConfigured(
                "CACHE_URL must name a shared cache (e.g. redis://...) when DJANGO_DEBUG is off."
            )
