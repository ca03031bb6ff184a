"""整改时限 as offices write it, read into a date and a deadline kind."""

from __future__ import annotations

import datetime as dt

import pytest

from notices.deadlines import IMMEDIATE_DAYS, DeadlineError, parse_deadline, read_deadline

BY, PHASE, NOW = "by_date", "phase_then_ongoing", "immediate"
TODAY = dt.date(2023, 6, 20)


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
        ("9月底前", (dt.date(2023, 9, 30), BY)),
        ("2023年12月31日", (dt.date(2023, 12, 31), BY)),
        ("８月１５日前取得阶段性成效并长期坚持", (dt.date(2023, 8, 15), PHASE)),
        ("8月15日前取得阶段性成效\n并长期坚持", (dt.date(2023, 8, 15), PHASE)),
        ("立行立改，2023年9月1日前", (dt.date(2023, 9, 1), NOW)),  # as the project's export writes it
    ],
)
def test_deadlines_offices_write(written, expected):
    assert parse_deadline(written, 2023) == expected
    assert read_deadline(written, 2023, today=TODAY).warning == ""


@pytest.mark.parametrize(
    ("written", "expected", "says"),
    [
        ("长期坚持", (dt.date(2023, 12, 31), PHASE), "“长期坚持” without a date: the first results are measured on"),
        (" 长期 坚持 ", (dt.date(2023, 12, 31), PHASE), "the end of the year"),
        ("立行立改", (TODAY + dt.timedelta(days=IMMEDIATE_DAYS), NOW), "立行立改: to be fixed at once; checked on"),
        ("立即整改", (TODAY + dt.timedelta(days=IMMEDIATE_DAYS), NOW), "15 days after the import"),
        ("立行立改并长期坚持", (TODAY + dt.timedelta(days=IMMEDIATE_DAYS), NOW), "立行立改"),
        (45153, (dt.date(2023, 8, 15), BY), "The number 45153 was read as an Excel date"),  # a date pasted as a value
        (45153.0, (dt.date(2023, 8, 15), BY), "Excel date"),
        ("45153", (dt.date(2023, 8, 15), BY), "Excel date"),
        ("４５１５３", (dt.date(2023, 8, 15), BY), "Excel date"),
    ],
)
def test_deadlines_without_a_date_are_given_one_and_say_so(written, expected, says):
    found = read_deadline(written, 2023, today=TODAY)
    assert (found.date, found.kind) == expected
    assert says in found.warning


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("长期", "Write the deadline as a date"),
        ("立行立改，尽快", "Write the deadline as a date"),
        ("尽快", "Write the deadline as a date"),
        ("2月30日前", "is not a date"),
        ("13月底前", "no month 13"),
        ("2023-13-01", "is not a date"),
        ("8月15日前后", "only"),
        ("8月15日前完成一半", "only"),
        (12, "Write the deadline as a date"),  # a number that is no date of this century
        (45153.5, "Write the deadline as a date"),
        (True, "Write the deadline as a date"),
    ],
)
def test_what_is_not_a_deadline_is_said_so(written, says):
    with pytest.raises(DeadlineError, match=says):
        parse_deadline(written, 2023)
