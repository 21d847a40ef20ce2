"""Disqus in and out: read its export format, bring a file's discussions in, write ours out in the same format.

Kept apart from the rest of `comments` so that the core (models, services, selectors, views) reads in one sitting.
One module per job: `reader` streams an export's threads and posts, `text` reduces a message's HTML to our plain
text, `writer` writes the format, `planning` decides one story's imported trees, `importer` and `exporter` do the
database work, and `report` is what an import tells the person running it. The management commands
`import_disqus` and `export_comments` only parse arguments, call `importer` or `exporter` and print the report.
"""
