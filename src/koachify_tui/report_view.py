"""How a report's numbers read to a person, shared by the Reports screen and `koachify report` (text)."""

from __future__ import annotations

import math
from typing import Any

from .formatting import money
from .i18n import _, ngettext
from .store.report_types import Column, Report

PERIOD_LABELS = {
    "month": _("This month"),
    "last_month": _("Last month"),
    "quarter": _("This quarter"),
    "year": _("This year"),
    "all": _("All time"),
    "custom": _("Custom period"),
}
REPORT_TITLES = {
    "funnel": _("Funnel"),
    "revenue": _("Revenue"),
    "sources": _("Sources"),
    "lost": _("Lost reasons"),
    "stages": _("Time in stage"),
    "activity": _("Activity"),
}
_SUMMARY_LABELS = {
    "deals": _("deals added"),
    "won": _("won"),
    "win_conversion": _("won of those added"),
    "won_minor": _("won value"),
    "average_minor": _("average deal"),
    "won_all_currencies": _("won (all currencies)"),
    "lost": _("lost"),
    "abandoned": _("abandoned"),
    "win_rate": _("win rate"),
    "cycle_median_days": _("sales cycle, median days"),
    "cycle_mean_days": _("mean days"),
    "new_contacts": _("new contacts"),
    "converted": _("became clients"),
    "value_minor": _("value lost"),
    "notes": _("notes"),
    "calls": _("calls"),
    "messages": _("messages"),
    "tasks_done": _("tasks done"),
}


def cell_text(column: Column, value: Any, currency: str, locale: str) -> str:
    """One table cell: money in the account currency, ratios as percentages, "–" for nothing."""
    if value is None:
        return "–"
    if column.kind == "money":
        return money(int(value), currency, locale)
    if column.kind == "pct":
        return f"{value * 100:.1f}%"
    if column.kind == "days":
        return f"{value:.1f}"
    if column.kind == "text":
        return str(value) or (_("(none)") if column.key in ("source", "reason") else "")
    return str(value)


def summary_text(report: Report, locale: str) -> str:
    """The summary as one line: "36 won · 45.485,00 € won value · 57.1% win rate · …"."""
    parts = []
    for key, value in report.summary.items():
        if key == "won_all_currencies" and not report.other_currencies:
            continue  # the same as "won"
        kind = "money" if key.endswith("_minor") else "pct" if key in ("win_rate", "win_conversion") else ""
        if key.endswith("_days"):
            kind = "days"
        text = cell_text(Column(key, "", kind or "int"), value, report.currency, locale)
        parts.append(f"{text} {_SUMMARY_LABELS.get(key, key)}")
    stuck = report.extra.get("stuck") or []
    if stuck:
        longest = ", ".join(
            _("{title} ({stage}, {days:.0f} days)").format(title=s["title"], stage=s["stage"], days=s["days"])
            for s in stuck[:3]
        )
        parts.append(_("stuck longest: {deals}").format(deals=longest))
    return " · ".join(parts)


def other_currencies_text(report: Report, locale: str) -> str:
    """Deals in other currencies, never added to the totals: "Also 1 deal in USD: $1,200.00 (not in the totals)"."""
    parts = []
    for row in report.other_currencies:
        n = int(row["count"])
        parts.append(
            ngettext("{n} deal in {cur}: {value}", "{n} deals in {cur}: {value}", n).format(
                n=n, cur=row["currency"], value=money(int(row["value_minor"]), row["currency"], locale)
            )
        )
    if not parts:
        return ""
    return _("Also {deals} (not in the totals)").format(deals="; ".join(parts))


def axis_ticks(
    top: float, locale: str, *, money_in: str = "", whole: bool = False, count: int = 4
) -> tuple[list[float], list[str]]:
    """Round tick values from 0 to just above `top` and their labels in the locale ("1.500", "2,5 k€"):
    plotext's own labels are Python floats ("8797.5") whatever the language."""
    if top <= 0:
        return [0.0], [_compact(0.0, locale, money_in)]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0) if whole else step  # counts have no half deals
    values = [round(i * step, 9) for i in range(math.ceil(top / step - 1e-9) + 1)]
    return values, [_compact(v, locale, money_in) for v in values]


def _compact(value: float, locale: str, currency: str) -> str:
    from babel.numbers import format_compact_currency, format_compact_decimal

    from .formatting import _locale

    if currency:
        return str(format_compact_currency(value, currency, locale=_locale(locale), fraction_digits=1))
    return str(format_compact_decimal(value, locale=_locale(locale), fraction_digits=1))


def chart_series(report: Report) -> dict[str, list[float]]:
    """The chart's series by column key, money in major units (the axis shows euros, not cents)."""
    money_keys = {c.key for c in report.columns if c.kind == "money"}
    return {
        key: [(r[key] or 0) / 100 if key in money_keys else (r[key] or 0) for r in report.rows]
        for key in report.chart.series
    }


def value_axis(report: Report, series: dict[str, list[float]], locale: str) -> tuple[list[float], list[str]]:
    """Ticks and locale labels for the chart's value axis, from its first series' column kind."""
    kind = next((c.kind for c in report.columns if c.key == report.chart.series[0]), "int")
    top = max((v for values in series.values() for v in values), default=0)
    ticks, labels = axis_ticks(top, locale, money_in=report.currency if kind == "money" else "", whole=kind == "int")
    if kind == "pct":
        from babel.numbers import format_percent

        from .formatting import _locale

        labels = [str(format_percent(v, locale=_locale(locale))) for v in ticks]
    return ticks, labels
