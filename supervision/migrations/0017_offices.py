"""Several offices in one deployment, and rankings at every level.

Cycles and scoring rule sets become the office's own (numbered from 1 per office, one open cycle
and one current rule set per office); a ranking's results and escalations name who ranked them
(the cycle's office, or a unit ranking the units below it); a unit may be set to rank its
sub-units. What existed belonged to the one office there was: its cycles, rules and results are
given to it (see ``_give_to_the_office``)."""

import django.db.models.deletion
from django.db import migrations, models

PEER_GROUPS = [
    ("office", "Office"),
    ("county", "Counties"),
    ("department", "Departments"),
    ("work_team", "Work teams"),
    ("township", "Townships"),
    ("city", "Cities"),
]


def _owner(apps):
    """The office the rows written before several offices existed belong to: the one office, or,
    if several were already set up, the one that issued the most letters (then a top-level one,
    then the office listed first). With no office at all, one is created to hold them, since a
    ranking nobody owns cannot be shown; nothing is created when there is nothing to own."""
    Unit = apps.get_model("supervision", "Unit")
    Letter = apps.get_model("supervision", "Letter")
    offices = list(Unit.objects.filter(kind="office").order_by("sort_order", "pk"))
    if not offices:
        name, n = "领导小组办公室", 1
        while Unit.objects.filter(name=name).exists():
            n += 1
            name = f"领导小组办公室（{n}）"
        return Unit.objects.create(name=name, short_name="办公室", kind="office", peer_group="office")
    letters = {
        row["office_id"]: row["n"]
        for row in Letter.objects.values("office_id").annotate(n=models.Count("pk")).order_by()
    }
    return min(offices, key=lambda o: (-letters.get(o.pk, 0), o.parent_id is not None, o.sort_order, o.pk))


def _give_to_the_office(apps, schema_editor):
    Cycle = apps.get_model("supervision", "Cycle")
    RuleSet = apps.get_model("supervision", "RuleSet")
    UnitResult = apps.get_model("supervision", "UnitResult")
    Escalation = apps.get_model("supervision", "Escalation")
    if not (Cycle.objects.exists() or RuleSet.objects.exists()):
        return
    office = _owner(apps)
    Cycle.objects.update(office=office)
    RuleSet.objects.update(office=office)
    UnitResult.objects.update(ranked_by=office)
    Escalation.objects.update(ranked_by=office)
    if schema_editor.connection.vendor == "postgresql":
        # The foreign keys' deferred checks run now: PostgreSQL refuses to alter a table with
        # trigger events pending, and the columns are made NOT NULL next.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0016_hand_down"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="cycle",
            options={"ordering": ["office", "-number"], "verbose_name": "cycle", "verbose_name_plural": "cycles"},
        ),
        migrations.AlterModelOptions(
            name="escalation",
            options={
                "ordering": ["cycle", "ranked_by", "-level", "peer_group"],
                "verbose_name": "escalation",
                "verbose_name_plural": "escalations",
            },
        ),
        migrations.AlterModelOptions(
            name="ruleset",
            options={
                "ordering": ["office", "-version"],
                "verbose_name": "scoring rule set",
                "verbose_name_plural": "scoring rule sets",
            },
        ),
        migrations.AlterModelOptions(
            name="unitresult",
            options={
                "ordering": ["cycle", "ranked_by", "peer_group", "rank", "unit"],
                "verbose_name": "unit result",
                "verbose_name_plural": "unit results",
            },
        ),
        migrations.RemoveConstraint(model_name="cycle", name="cycle_one_open"),
        migrations.RemoveConstraint(model_name="escalation", name="escalation_cycle_unit"),
        migrations.RemoveConstraint(model_name="ruleset", name="ruleset_one_current"),
        migrations.RemoveConstraint(model_name="unitresult", name="result_cycle_unit"),
        migrations.RemoveIndex(model_name="escalation", name="escalation_cycle_level"),
        migrations.RemoveIndex(model_name="unitresult", name="result_cycle_group_rank"),
        migrations.RemoveIndex(model_name="unitresult", name="result_last"),
        migrations.AlterField(
            model_name="cycle", name="number", field=models.PositiveIntegerField(verbose_name="number")
        ),
        migrations.AlterField(model_name="cycle", name="seq", field=models.IntegerField(verbose_name="calendar index")),
        migrations.AlterField(
            model_name="ruleset", name="version", field=models.PositiveIntegerField(verbose_name="version")
        ),
        # Nullable while the existing rows are given to their office, then required.
        migrations.AddField(
            model_name="cycle",
            name="office",
            field=models.ForeignKey(
                null=True,
                limit_choices_to={"kind": "office"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cycles",
                to="supervision.unit",
                verbose_name="office",
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="office",
            field=models.ForeignKey(
                null=True,
                limit_choices_to={"kind": "office"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rule_sets",
                to="supervision.unit",
                verbose_name="office",
            ),
        ),
        migrations.AddField(
            model_name="unitresult",
            name="ranked_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rankings_made",
                to="supervision.unit",
                verbose_name="ranked by",
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="ranked_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="supervision.unit",
                verbose_name="ranked by",
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="ranks_sub_units",
            field=models.BooleanField(
                default=False,
                help_text="Rank the units below it every cycle, over the sub-tasks it handed down to them.",
                verbose_name="ranks its sub-units",
            ),
        ),
        migrations.RunPython(_give_to_the_office, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="cycle",
            name="office",
            field=models.ForeignKey(
                limit_choices_to={"kind": "office"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cycles",
                to="supervision.unit",
                verbose_name="office",
            ),
        ),
        migrations.AlterField(
            model_name="ruleset",
            name="office",
            field=models.ForeignKey(
                limit_choices_to={"kind": "office"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rule_sets",
                to="supervision.unit",
                verbose_name="office",
            ),
        ),
        migrations.AlterField(
            model_name="unitresult",
            name="ranked_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rankings_made",
                to="supervision.unit",
                verbose_name="ranked by",
            ),
        ),
        migrations.AlterField(
            model_name="escalation",
            name="ranked_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="supervision.unit",
                verbose_name="ranked by",
            ),
        ),
        migrations.AlterField(
            model_name="escalation",
            name="peer_group",
            field=models.CharField(choices=PEER_GROUPS, max_length=20, verbose_name="peer group"),
        ),
        migrations.AlterField(
            model_name="unit",
            name="peer_group",
            field=models.CharField(choices=PEER_GROUPS, db_index=True, max_length=20, verbose_name="peer group"),
        ),
        migrations.AlterField(
            model_name="unitresult",
            name="peer_group",
            field=models.CharField(choices=PEER_GROUPS, max_length=20, verbose_name="peer group"),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(fields=["cycle", "ranked_by", "level"], name="escalation_ranker_level"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["cycle", "ranked_by", "peer_group", "rank"], name="result_cycle_ranker_rank"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(fields=["ranked_by", "cycle"], name="result_ranker_cycle"),
        ),
        migrations.AddIndex(
            model_name="unitresult",
            index=models.Index(
                condition=models.Q(("last_streak__gt", 0)),
                fields=["cycle", "ranked_by", "last_streak"],
                name="result_ranker_last",
            ),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.UniqueConstraint(fields=("office", "number"), name="cycle_office_number"),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.UniqueConstraint(fields=("office", "seq"), name="cycle_office_seq"),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")), fields=("office",), name="cycle_one_open"
            ),
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(
                fields=("cycle", "ranked_by", "unit"), name="escalation_cycle_ranker_unit"
            ),
        ),
        migrations.AddConstraint(
            model_name="ruleset",
            constraint=models.UniqueConstraint(fields=("office", "version"), name="ruleset_office_version"),
        ),
        migrations.AddConstraint(
            model_name="ruleset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)), fields=("office",), name="ruleset_one_current"
            ),
        ),
        migrations.AddConstraint(
            model_name="unitresult",
            constraint=models.UniqueConstraint(fields=("cycle", "ranked_by", "unit"), name="result_cycle_ranker_unit"),
        ),
    ]
