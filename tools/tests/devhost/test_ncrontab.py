"""NCRONTAB schedules fire when the Functions documentation says they do (UTC)."""

from datetime import datetime, timedelta, timezone

import pytest

from tools.devhost.ncrontab import ScheduleError, parse_schedule

START = datetime(2024, 1, 1, 8, 59, 58, tzinfo=timezone.utc)  # a Monday


def occurrences(expression: str, count: int, start: datetime = START) -> list[datetime]:
    schedule = parse_schedule(expression)
    out, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        out.append(moment)
    return out


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_every_five_minutes():
    assert occurrences("0 */5 * * * *", 3) == [at(2024, 1, 1, 9, 0), at(2024, 1, 1, 9, 5), at(2024, 1, 1, 9, 10)]


def test_top_of_every_hour_and_every_two_hours():
    assert occurrences("0 0 * * * *", 2) == [at(2024, 1, 1, 9), at(2024, 1, 1, 10)]
    assert occurrences("0 0 */2 * * *", 2) == [at(2024, 1, 1, 10), at(2024, 1, 1, 12)]


def test_hourly_between_nine_and_five():
    got = occurrences("0 0 9-17 * * *", 10)
    assert got[0] == at(2024, 1, 1, 9) and got[8] == at(2024, 1, 1, 17) and got[9] == at(2024, 1, 2, 9)


def test_weekdays_at_nine_thirty():
    # 2024-01-05 is a Friday; the next run after it is Monday 2024-01-08.
    got = occurrences("0 30 9 * * 1-5", 6)
    assert got[:5] == [at(2024, 1, d, 9, 30) for d in range(1, 6)]
    assert got[5] == at(2024, 1, 8, 9, 30)


def test_names_for_months_and_days():
    got = occurrences("0 30 9 * Jan Mon", 5)
    assert got == [at(2024, 1, d, 9, 30) for d in (1, 8, 15, 22, 29)]
    assert occurrences("0 30 9 * Jan Mon", 6)[5] == at(2025, 1, 6, 9, 30)


def test_second_field_and_lists():
    assert occurrences("5 * * * * *", 2) == [at(2024, 1, 1, 9, 0, 5), at(2024, 1, 1, 9, 1, 5)]
    assert occurrences("10,20 0 0 * * *", 3) == [
        at(2024, 1, 2, 0, 0, 10),
        at(2024, 1, 2, 0, 0, 20),
        at(2024, 1, 3, 0, 0, 10),
    ]


def test_every_second_is_strictly_after():
    assert occurrences("* * * * * *", 2) == [START + timedelta(seconds=1), START + timedelta(seconds=2)]
    assert parse_schedule("*/1 * * * * *").next_after(START.replace(microsecond=500_000)) == START + timedelta(
        seconds=1
    )


def test_day_of_month_and_day_of_week_must_both_match():
    # NCrontab semantics: the 13th AND a Friday.
    assert occurrences("0 0 0 13 * 5", 1) == [at(2024, 9, 13)]


def test_leap_day_is_found():
    assert occurrences("0 0 0 29 2 *", 1) == [at(2024, 2, 29)]


def test_five_field_expressions_fire_at_second_zero():
    assert occurrences("*/15 * * * *", 1) == [at(2024, 1, 1, 9, 0)]


def test_timespan_schedule_is_an_interval():
    assert parse_schedule("00:05:00").next_after(START) == START + timedelta(minutes=5)


@pytest.mark.parametrize(
    "expression",
    ["", "0 */5 * * *  * *", "60 * * * * *", "0 0 25 * * *", "0 0 0 * 13 *", "0 */0 * * * *", "0 5-1 * * * *"],
)
def test_invalid_expressions(expression):
    with pytest.raises(ScheduleError):
        parse_schedule(expression)
