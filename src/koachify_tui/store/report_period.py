"""Report periods and their buckets (months, ISO weeks), in the user's local time.

Boundaries are computed here, in Python, and handed to SQL as parameters: a `CASE column < :b1 … END`
puts a row in its bucket on SQLite and PostgreSQL alike, with no dialect date functions, and a deal won at
00:30 on the 1st (local time) lands in the month the user sees on the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from .errors import InvalidValue

PERIOD_KINDS = ("month", "last_month", "quarter", "year", "all", "custom")


def local_midnight(day: date) -> datetime:
    """The UTC instant of local midnight starting `day`."""
    return datetime(day.year, day.month, day.day).astimezone().astimezone(UTC)


def local_day(value: datetime) -> date:
    """The user's calendar day of a stored (UTC) instant."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone().date()


@dataclass(frozen=True)
class Bucket:
    """One month or week of a period: `label` ("2026-03", "2026-W10"), from `start` (inclusive) to `end`."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    """A range of whole local days, `start` and `end` both included."""

    start: date
    end: date
    kind: str = "custom"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValue(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """UTC instants: [start, end) over the whole local days."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def months(self) -> list[Bucket]:
        out: list[Bucket] = []
        day = self.start
        while day <= self.end:
            nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            last = min(nxt, self.end + timedelta(days=1))
            out.append(Bucket(f"{day.year:04d}-{day.month:02d}", local_midnight(day), local_midnight(last)))
            day = nxt
        return out

    def weeks(self) -> list[Bucket]:
        """ISO weeks (Monday first); the first and last may be partial."""
        out: list[Bucket] = []
        day = self.start
        while day <= self.end:
            nxt = day + timedelta(days=7 - day.weekday())
            last = min(nxt, self.end + timedelta(days=1))
            year, week, _ = day.isocalendar()
            out.append(Bucket(f"{year:04d}-W{week:02d}", local_midnight(day), local_midnight(last)))
            day = nxt
        return out

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat()}


def period_for(
    kind: str,
    today: date | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    first: date | None = None,
) -> Period:
    """This month, last month, this quarter, this year (each as whole calendar units), everything from
    `first` (the oldest record's day) to today, or a custom range."""
    today = today or date.today()
    if kind == "all" and start is None and end is None:
        return Period(min(first or today, today), today, "all")
    if kind == "custom" or start is not None or end is not None:
        if start is None or end is None:
            raise InvalidValue("a custom period needs both a start and an end date")
        return Period(start, end, "custom")
    if kind == "month":
        first = today.replace(day=1)
    elif kind == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, kind)
    elif kind == "quarter":
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        nxt = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
        return Period(first, nxt - timedelta(days=1), kind)
    elif kind == "year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31), kind)
    else:
        raise InvalidValue(f"unknown period {kind!r} ({', '.join(PERIOD_KINDS)})")
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Period(first, nxt - timedelta(days=1), kind)


def bucket_of(column: Any, buckets: list[Bucket], first: int = 0) -> ColumnElement[int]:
    """The index of the bucket a timestamp falls in (rows must already be inside the period): a balanced tree of
    CASEs, so a year of weeks costs six comparisons a row, not fifty."""
    if len(buckets) == 1:
        return literal(first)
    mid = len(buckets) // 2
    return case(
        (column < buckets[mid].start, bucket_of(column, buckets[:mid], first)),
        else_=bucket_of(column, buckets[mid:], first + mid),
    )
