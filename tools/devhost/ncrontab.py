"""NCRONTAB schedules as the Functions timer trigger reads them (pure, UTC).

Six fields ``{second} {minute} {hour} {day} {month} {day-of-week}`` (five-field expressions get second 0,
as NCrontab does). Fields accept ``*``, numbers, lists, ranges, steps (``*/5``, ``10-30/10``, ``5/15``) and
English month/day names. Like NCrontab (and unlike Vixie cron), a time must satisfy BOTH the day-of-month
and the day-of-week fields. A ``hh:mm:ss`` TimeSpan schedule is also accepted (a fixed interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}

# (name, low, high, names)
_FIELDS = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)

_SEARCH_HORIZON_DAYS = 366 * 8  # covers 29 February in leap years


class ScheduleError(ValueError):
    """The expression is not a valid NCRONTAB / TimeSpan schedule."""


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday

    def next_after(self, moment: datetime) -> datetime:
        """First occurrence strictly after ``moment`` (UTC)."""
        start = _as_utc(moment).replace(microsecond=0) + timedelta(seconds=1)
        day = start.date()
        for _ in range(_SEARCH_HORIZON_DAYS):
            if day.month in self.months and day.day in self.days and _sunday_based(day) in self.days_of_week:
                first_of_day = start.time() if day == start.date() else None
                found = self._first_time_in_day(first_of_day)
                if found is not None:
                    h, m, s = found
                    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=timezone.utc)
            day += timedelta(days=1)
        raise ScheduleError(f"schedule {self.expression!r} never fires")

    def _first_time_in_day(self, not_before) -> tuple[int, int, int] | None:
        for h in self.hours:
            if not_before is not None and h < not_before.hour:
                continue
            for m in self.minutes:
                if not_before is not None and (h, m) < (not_before.hour, not_before.minute):
                    continue
                for s in self.seconds:
                    if not_before is not None and (h, m, s) < (
                        not_before.hour,
                        not_before.minute,
                        not_before.second,
                    ):
                        continue
                    return h, m, s
        return None


@dataclass(frozen=True)
class IntervalSchedule:
    """TimeSpan schedule (``00:05:00``): fires every ``interval`` after the previous run."""

    expression: str
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return _as_utc(moment) + self.interval


Schedule = CronSchedule | IntervalSchedule


def parse_schedule(expression: str) -> Schedule:
    """Parse an NCRONTAB (6 or 5 fields) or ``[d.]hh:mm:ss`` TimeSpan expression."""
    text = " ".join(expression.split())
    if not text:
        raise ScheduleError("empty schedule")
    if ":" in text and " " not in text:
        return _parse_timespan(text)
    fields = text.split(" ")
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ScheduleError(f"{expression!r}: expected 6 fields (second minute hour day month day-of-week)")
    parsed = [_parse_field(f, spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    return CronSchedule(
        expression=text,
        seconds=tuple(sorted(parsed[0])),
        minutes=tuple(sorted(parsed[1])),
        hours=tuple(sorted(parsed[2])),
        days=frozenset(parsed[3]),
        months=frozenset(parsed[4]),
        days_of_week=frozenset(parsed[5]),
    )


def _parse_field(text: str, spec: tuple) -> set[int]:
    name, low, high, _names = spec
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"empty list item in {name} field {text!r}")
        range_text, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"invalid step in {name} field {text!r}")
            step = int(step_text)
        if range_text == "*":
            first, last = low, high
        elif "-" in range_text:
            a, b = range_text.split("-", 1)
            first, last = _value(a, spec), _value(b, spec)
        else:
            first = _value(range_text, spec)
            last = high if step_text else first
        if first > last:
            raise ScheduleError(f"range {range_text!r} is reversed in {name} field")
        values.update(range(first, last + 1, step))
    return values


def _value(token: str, spec: tuple) -> int:
    name, low, high, names = spec
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise ScheduleError(f"invalid {name} value {token!r}")
    number = int(token)
    if not low <= number <= high:
        raise ScheduleError(f"{name} value {number} outside {low}-{high}")
    return number


def _parse_timespan(text: str) -> IntervalSchedule:
    days = 0
    rest = text
    if "." in text.split(":", 1)[0]:
        day_text, rest = text.split(".", 1)
        days = int(day_text)
    try:
        h, m, s = (int(p) for p in rest.split(":"))
    except ValueError as exc:
        raise ScheduleError(f"invalid TimeSpan schedule {text!r}") from exc
    interval = timedelta(days=days, hours=h, minutes=m, seconds=s)
    if interval <= timedelta(0):
        raise ScheduleError(f"TimeSpan schedule {text!r} must be positive")
    return IntervalSchedule(expression=text, interval=interval)


def _sunday_based(day) -> int:
    return (day.weekday() + 1) % 7


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
