"""Live blogs (issue 18): Article.is_live_blog, live_ended_at and live_version, and LiveEntry. SQLite would rebuild
the story table to add NOT NULL columns, which the search index's view over it (0006) forbids: there the columns are
added in place, with their defaults (as 0018 does)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


FIELDS = {
    "is_live_blog": models.BooleanField(
        default=False,
        help_text="The story page lists live entries under the summary, newest first, and readers are offered new "
        "ones as they are published.",
        verbose_name="live blog",
    ),
    "live_ended_at": models.DateTimeField(
        blank=True,
        help_text="When the live coverage ended; empty while it runs. Readers' pages stop asking for new entries.",
        null=True,
        verbose_name="live coverage ended",
    ),
    "live_version": models.PositiveIntegerField(default=0, editable=False),
}

SQLITE_COLUMNS = [
    "is_live_blog bool NOT NULL DEFAULT 0",
    "live_ended_at datetime NULL",
    "live_version integer unsigned NOT NULL DEFAULT 0 CHECK (live_version >= 0)",
]


def add_columns(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    if schema_editor.connection.vendor == "sqlite":
        for column in SQLITE_COLUMNS:
            schema_editor.execute(f"ALTER TABLE articles_article ADD COLUMN {column}")
        return
    for name, field in FIELDS.items():
        field = field.clone()
        field.set_attributes_from_name(name)
        schema_editor.add_field(Article, field)


def drop_columns(apps, schema_editor):
    # Run with the state before this migration, which has no such fields to hand to the schema editor.
    for name in FIELDS:
        schema_editor.execute(f"ALTER TABLE articles_article DROP COLUMN {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0018_article_edit_version'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(model_name="article", name=name, field=field) for name, field in FIELDS.items()
            ],
        ),
        migrations.CreateModel(
            name='LiveEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('headline', models.CharField(blank=True, help_text='Optional: one line above the entry.', max_length=200)),
                ('body', models.TextField(help_text='What happened: one or more paragraphs or a list.')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='published', max_length=10)),
                ('published_at', models.DateTimeField(default=django.utils.timezone.now, help_text='The time shown on the entry; entries are listed newest first by it.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('is_key_event', models.BooleanField(default=False, help_text='Listed under “Key events” at the top and kept by the filter.', verbose_name='key event')),
                ('is_pinned', models.BooleanField(default=False, help_text='Shown first, above the key events; one pinned entry per live blog.', verbose_name='pinned')),
                ('correction', models.TextField(blank=True, help_text='A correction note shown under the entry.')),
                ('version', models.PositiveIntegerField(default=0, editable=False)),
                ('article', models.ForeignKey(help_text='The live blog this entry belongs to.', limit_choices_to={'is_live_blog': True}, on_delete=django.db.models.deletion.CASCADE, related_name='live_entries', to='articles.article')),
                ('authors', models.ManyToManyField(blank=True, help_text='Who wrote the entry; shown beside its time.', related_name='live_entries', to='articles.author')),
                ('promoted_to', models.OneToOneField(blank=True, help_text="The story made from this entry (the admin's “Promote to a story”); the entry links to it.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='live_source', to='articles.article')),
            ],
            options={
                'verbose_name': 'live entry',
                'verbose_name_plural': 'live entries',
                'ordering': ['-published_at', '-pk'],
                'indexes': [models.Index(fields=['article', '-published_at', '-id'], name='liveentry_blog_time_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_pinned', True)), fields=('article',), name='liveentry_one_pinned', violation_error_message='This live blog already has a pinned entry: unpin it first.')],
            },
        ),
    ]
