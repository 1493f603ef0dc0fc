"""What every report returns: a table (columns + rows), a summary, amounts in other currencies, a chart spec.

The Reports screen, `koachify report … --json` and `--csv` all render the same `Report` object, so the
numbers are the same wherever they appear."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from .report_period import Period

REPORT_NAMES = ("funnel", "revenue", "sources", "lost", "stages", "activity")


@dataclass(frozen=True)
class Column:
    """A table column. `kind`: text, int, money (minor units of the account currency), pct (0–1), days."""

    key: str
    label: str
    kind: str = "int"


@dataclass(frozen=True)
class Chart:
    """How the screen plots the rows: `bar` or `line`, x labels from `label`, one series per key."""

    kind: str
    label: str
    series: tuple[str, ...]


@dataclass
class Report:
    """One report over a period and a pipeline (None: every pipeline). Each row's `key` names what
    `Store.report_items(name, key, …)` lists behind it."""

    name: str
    title: str
    period: Period
    pipeline: str | None
    currency: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    chart: Chart
    summary: dict[str, Any] = field(default_factory=dict)
    other_currencies: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "period": self.period.as_dict(),
            "pipeline": self.pipeline,
            "currency": self.currency,
            "summary": self.summary,
            "rows": self.rows,
            "other_currencies": self.other_currencies,
            **self.extra,
        }


@dataclass(frozen=True)
class ReportItem:
    """A deal or contact behind a bar or row (`kind` "deal" or "contact")."""

    kind: str
    id: int
    title: str
    detail: str
    contact_id: int
    value_minor: int = 0
    currency: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "detail": self.detail,
            "contact_id": self.contact_id,
            "value_minor": self.value_minor,
            "currency": self.currency,
        }


def ratio(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def median_mean(values: Iterable[float]) -> tuple[float | None, float | None]:
    """Median and mean in days, rounded to 0.1; (None, None) for no values."""
    import statistics  # not at import time: this module loads with every Store

    data = list(values)
    if not data:
        return None, None
    return round(statistics.median(data), 1), round(statistics.fmean(data), 1)


def other_currency_rows(totals: dict[tuple[Any, str], tuple[int, int]], account: str, key: str) -> list[dict[str, Any]]:
    """{(group, currency): (count, minor)} → rows for the currencies that are not the account's."""
    return [
        {key: group, "currency": cur, "count": n, "value_minor": minor}
        for (group, cur), (n, minor) in sorted(totals.items(), key=lambda kv: (kv[0][1], str(kv[0][0])))
        if cur != account
    ]


def write_csv(report: Report, out: IO[str]) -> int:
    """The report's table as CSV: one header row of column keys (money columns as decimal amounts named
    `<key>_<currency>` without the `_minor`), then the rows; text cells made Excel-safe. Returns the row count."""
    import csv

    from .exporter import neutralise

    def header(c: Column) -> str:
        return f"{c.key.removesuffix('_minor')}_{report.currency.lower()}" if c.kind == "money" else c.key

    def cell(c: Column, value: Any) -> str:
        if value is None:
            return ""
        if c.kind == "money":
            return f"{value / 100:.2f}"
        return neutralise(value) if c.kind == "text" else str(value)

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header(c) for c in report.columns])
    for row in report.rows:
        writer.writerow([cell(c, row.get(c.key)) for c in report.columns])
    return len(report.rows)
