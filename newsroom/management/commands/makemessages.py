"""Django's makemessages with the project's way of writing its catalogues (newsroom/locale), so that `make messages`
and the check in tests/newsroom/test_translations.py write the same files: no source locations (a moved line
changes nothing and two branches' catalogues merge with msgcat), no obsolete entries, our sources only, and by
default every offered language but the one the site is written in."""

from django.conf import settings
from django.core.management.commands import makemessages

# Beside our apps and templates: installed packages, front-end tools, build output and uploads, and the code that
# holds no user-facing text.
IGNORED = ["node_modules", "staticfiles", "media", "build", "var", "backups", "bench", "docs", "deploy", "tests"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        options["no_location"] = True
        options["no_obsolete"] = True
        if not (options["locale"] or options["exclude"] or options["all"]):
            options["locale"] = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        super().handle(*args, **options)
