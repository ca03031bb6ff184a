"""A small run of the batch-actions benchmark (bench/batch.py): both paths claim and write off
what they should, and the BENCHMARKS.md section and history line render. The figures
themselves belong in BENCHMARKS.md, not here."""

from __future__ import annotations

import pytest

from bench import batch, world
from supervision.models import AuditEvent, Letter, LetterState


@pytest.mark.django_db(transaction=True)
def test_a_small_run_claims_and_writes_off_through_both_paths():
    w = world.build(2)
    result = batch.run(w, size=5, rounds=2)
    assert (result.size, result.rounds) == (5, 2)
    for action in batch.ACTIONS:
        timing = result.timings[action]
        assert len(timing.batch_s) == len(timing.single_s) == 2
        batch_per_task, single_per_task = result.statements[action]
        assert batch_per_task > 0 and single_per_task > 0
    # The statement pass, the warm-up and two rounds: two letters each, all closed.
    assert Letter.objects.filter(state=LetterState.CLOSED).count() == 2 * 4
    # One record per batch run: a claim and a write-off per round, warm-up and statement pass.
    assert AuditEvent.objects.filter(action="batch.ran").count() == 2 * 4
    section = "\n".join(batch.report_section(result, 6))
    assert section.startswith("## 6. Batch actions (批量办理)") and "write-off (销号)" in section
    assert "batch of 5:" in batch.history_fragment(result)
