"""Stand-ins (授权代理) and one-person units.

The audit column is nullable and without a default, so adding it rewrites no row: on PostgreSQL
it is a catalogue change the append-only trigger never sees, and SQLite adds it with ALTER TABLE
(keeping its no-update trigger) instead of rebuilding the table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0010_read_receipts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="on_behalf_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="on behalf of",
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="one_person",
            field=models.BooleanField(
                default=False,
                help_text="Its sign-offs may be made by whoever submitted them; each such sign-off is recorded.",
                verbose_name="one-person unit",
            ),
        ),
        migrations.CreateModel(
            name="StandIn",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("starts_on", models.DateField(verbose_name="from")),
                ("ends_on", models.DateField(verbose_name="until")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("ended_at", models.DateTimeField(blank=True, null=True, verbose_name="ended at")),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "deputy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stand_ins_held",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="stand-in",
                    ),
                ),
                (
                    "ended_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="ended by",
                    ),
                ),
                (
                    "principal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stand_ins_given",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="on behalf of",
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
            ],
            options={
                "verbose_name": "stand-in",
                "verbose_name_plural": "stand-ins",
                "ordering": ["-starts_on", "-id"],
                "indexes": [
                    models.Index(fields=["deputy", "ends_on"], name="standin_deputy_ends"),
                    models.Index(fields=["principal", "ends_on"], name="standin_principal_ends"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ends_on__gte", models.F("starts_on"))), name="standin_dates_in_order"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("principal", models.F("deputy")), _negated=True),
                        name="standin_not_oneself",
                    ),
                ],
            },
        ),
    ]
