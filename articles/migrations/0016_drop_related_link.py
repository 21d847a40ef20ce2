"""MORE links are blocks now (0015 moved them): their old table goes, and the body column keeps the blocks' words."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0015_body_into_blocks")]

    operations = [
        migrations.DeleteModel(name="RelatedLink"),
        migrations.AlterField(
            model_name="article", name="body", field=models.TextField(blank=True, editable=False)
        ),
    ]
