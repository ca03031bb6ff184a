"""Progress reports learn which cycle they belong to (its calendar index), and when they were
last amended. Filled and de-duplicated in 0008; unique per assignment and cycle from 0009."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("supervision", "0006_notification_links")]

    operations = [
        migrations.AddField(
            model_name="progressreport",
            name="cycle_seq",
            field=models.IntegerField(blank=True, null=True, verbose_name="cycle"),
        ),
        migrations.AddField(
            model_name="progressreport",
            name="amended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="amended at"),
        ),
    ]
