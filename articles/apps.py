from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ArticlesConfig(AppConfig):
    name = "articles"

    def ready(self):
        from articles import revisions, search

        revisions.register()

        # SQLite's search index is kept by triggers that call back into Python for a story's plain text.
        connection_created.connect(search.sqlite_functions, dispatch_uid="articles_sqlite_functions")
