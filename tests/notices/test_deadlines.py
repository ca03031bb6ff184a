"""整改时限 as offices write it, read into a date and a deadline kind."""

from __future__ import annotations

import datetime as dt

import pytest

from notices.deadlines import DeadlineError, parse_deadline

BY, PHASE = "by_date", "phase_then_ongoing"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("8月15日前", (dt.date(2023, 8, 15), BY)),
        ("8月15日", (dt.date(2023, 8, 15), BY)),
        ("8月15号之前完成", (dt.date(2023, 8, 15), BY)),
        ("2024年8月15日", (dt.date(2024, 8, 15), BY)),
        ("2024年8月15日前完成整改", (dt.date(2024, 8, 15), BY)),
        ("2024-08-15", (dt.date(2024, 8, 15), BY)),
        ("2024/8/5", (dt.date(2024, 8, 5), BY)),
        ("2024.8.5", (dt.date(2024, 8, 5), BY)),
        ("２０２４年８月１５日前", (dt.date(2024, 8, 15), BY)),  # full-width digits
        (" 8 月 15 日 前 ", (dt.date(2023, 8, 15), BY)),
        ("8月底前", (dt.date(2023, 8, 31), BY)),
        ("2024年2月底前", (dt.date(2024, 2, 29), BY)),
        ("2月底", (dt.date(2023, 2, 28), BY)),
        ("年底前", (dt.date(2023, 12, 31), BY)),
        ("2024年底前完成", (dt.date(2024, 12, 31), BY)),
        ("8月15日前取得阶段性成效并长期坚持", (dt.date(2023, 8, 15), PHASE)),
        ("8月15日前取得阶段性成效，并长期坚持", (dt.date(2023, 8, 15), PHASE)),
        ("2024年6月底前取得明显成效并长期坚持", (dt.date(2024, 6, 30), PHASE)),
        ("8月15日前长期坚持", (dt.date(2023, 8, 15), PHASE)),
        (dt.datetime(2024, 8, 15, 0, 0), (dt.date(2024, 8, 15), BY)),  # an Excel date cell
        (dt.date(2024, 8, 15), (dt.date(2024, 8, 15), BY)),
    ],
)
def test_deadlines_offices_write(written, expected):
    assert parse_deadline(written, 2023) == expected


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("长期坚持", "needs a date"),
        ("尽快", "Write the deadline as a date"),
        ("2月30日前", "is not a date"),
        ("13月底前", "no month 13"),
        ("2023-13-01", "is not a date"),
        ("8月15日前后", "only"),
        ("8月15日前完成一半", "only"),
        (45153, "Write the deadline as a date"),  # a bare number is not a date cell
    ],
)
def test_what_is_not_a_deadline_is_said_so(written, says):
    with pytest.raises(DeadlineError, match=says):
        parse_deadline(written, 2023)
