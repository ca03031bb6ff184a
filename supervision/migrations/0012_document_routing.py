"""送签 / 退回修改: a letter or a notice awaits the signature of a named director."""

import django.db.models.deletion
import viewflow.fsm.fields
from django.conf import settings
from django.db import migrations, models


def _routing_fields(model_name: str, related_name: str) -> list:
    return [
        migrations.AddField(
            model_name=model_name,
            name="routed_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name=related_name,
                to=settings.AUTH_USER_MODEL,
                verbose_name="sent for signature to",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="sign_comment",
            field=models.TextField(blank=True, verbose_name="signing comment"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent for signature at"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0011_stand_ins"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *_routing_fields("letter", "letters_routed"),
        *_routing_fields("notice", "notices_routed"),
        migrations.AlterField(
            model_name="letter",
            name="state",
            field=viewflow.fsm.fields.FSMField(
                choices=[
                    ("draft", "Draft"),
                    ("pending_signature", "Awaiting signature"),
                    ("signed", "Signed"),
                    ("issued", "Issued"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn"),
                ],
                db_index=True,
                default="draft",
                max_length=20,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="state",
            field=viewflow.fsm.fields.FSMField(
                choices=[
                    ("draft", "Draft"),
                    ("pending_signature", "Awaiting signature"),
                    ("signed", "Signed"),
                    ("published", "Published"),
                ],
                default="draft",
                max_length=20,
                verbose_name="state",
            ),
        ),
    ]
