from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("supervision", "0008_report_cycle_fill")]

    operations = [
        migrations.AddConstraint(
            model_name="progressreport",
            constraint=models.UniqueConstraint(
                fields=("assignment", "cycle_seq"), condition=Q(kind="progress"), name="report_one_per_cycle"
            ),
        ),
    ]
