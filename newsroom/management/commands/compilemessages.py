"""Django's compilemessages over our catalogues only (newsroom/locale): the .mo files are build products, made by
`make install`/`run`/`test` and the Dockerfile, never committed; installed packages ship their own."""

from django.core.management.commands import compilemessages

from newsroom.management.commands.makemessages import IGNORED


class Command(compilemessages.Command):
    def handle(self, *args, **options):
        # ".*": the virtualenv (.venv, .bench-venv), whose packages' catalogues are theirs.
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), ".*", *IGNORED]
        super().handle(*args, **options)
