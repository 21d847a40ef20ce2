"""Disqus in and out: read its export format, plan and write imported discussions, export ours in the same format.

Kept apart from the rest of `comments` so that the core (models, services, selectors, views) reads in one sitting;
the management commands `import_disqus` and `export_comments` are thin shells over `importer` and `exporter`.
"""
