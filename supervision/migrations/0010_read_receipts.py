import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("supervision", "0009_report_one_per_cycle")]

    operations = [
        migrations.CreateModel(
            name="ReadReceipt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("opened_at", models.DateTimeField(verbose_name="first opened at")),
                (
                    "letter",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="receipts",
                        to="supervision.letter",
                    ),
                ),
                (
                    "notice",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="receipts",
                        to="supervision.notice",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="supervision.unit",
                        verbose_name="unit",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reader",
                    ),
                ),
            ],
            options={
                "verbose_name": "read receipt",
                "verbose_name_plural": "read receipts",
                "ordering": ["opened_at", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=Q(("letter__isnull", False), ("notice__isnull", True))
                        | Q(("letter__isnull", True), ("notice__isnull", False)),
                        name="receipt_one_document",
                    ),
                    models.UniqueConstraint(
                        condition=Q(("letter__isnull", False)), fields=("letter", "user"), name="receipt_letter_user"
                    ),
                    models.UniqueConstraint(
                        condition=Q(("notice__isnull", False)), fields=("notice", "user"), name="receipt_notice_user"
                    ),
                ],
            },
        ),
    ]
