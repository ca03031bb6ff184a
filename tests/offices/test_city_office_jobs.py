"""Background jobs in a deployment with several offices: a job's page, file and retry are its
requester's and their office's staff's, never another city's."""

from __future__ import annotations

from supervision import clock
from supervision.models import Job, JobState
from supervision.services.jobs import may_manage


def _job(user) -> Job:
    return Job.objects.create(
        kind="ledger_xlsx", params={}, title="台账", requested_by=user, state=JobState.FAILED, created_at=clock.now()
    )


def test_a_county_s_job_is_looked_after_by_its_own_city_office_only(province):
    w = province
    county_job = _job(w.liaison_a)  # 甲县 is placed under the world's city office
    assert may_manage(w.liaison_a, county_job)
    assert may_manage(w.clerk, county_job)
    assert not may_manage(w.other.clerk, county_job)
    assert not may_manage(w.liaison_b, county_job)
    # The other city's county: its own office, not this one.
    d_job = _job(w.other.liaison_d)
    assert may_manage(w.other.clerk, d_job) and not may_manage(w.clerk, d_job)
