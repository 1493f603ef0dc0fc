"""Reports: funnel, revenue, sources, lost reasons, time in stage and activity, charted with the numbers beside.

Every figure comes from `Store.report` (the same object `koachify report --json` prints), so the screen, the
JSON and the CSV never disagree."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tab, Tabs
from textual_plotext import PlotextPlot

from ..formatting import date_short
from ..i18n import _
from ..messages import StoreChanged
from ..report_view import (
    PERIOD_LABELS,
    REPORT_TITLES,
    cell_text,
    chart_series,
    other_currencies_text,
    summary_text,
    value_axis,
)
from ..store import InvalidValue, NotFound
from ..store.report_period import Period
from ..store.report_types import Report, ReportItem
from .base import AppAccess

#: Below this width the chart sits above the table instead of beside it.
NARROW = 120


def today() -> date:
    """The day the relative periods count from (a seam for tests and snapshots)."""
    return date.today()


_REPORT_KEYS = {"funnel": "f", "revenue": "r", "sources": "s", "lost": "l", "stages": "t", "activity": "a"}


class ReportsScreen(AppAccess, Screen[None]):
    """Charts and tables over a period and a pipeline; `enter` lists the deals or contacts behind a row.

    | Key | Action |
    | --- | --- |
    | f, r, s, l, t, a | Funnel, revenue, sources, lost reasons, time in stage, activity |
    | d | Period: this month, last month, quarter, year, all time, custom |
    | p | Pipeline |
    | j, k, ↑, ↓ | Move through the rows (the bar is highlighted) |
    | enter | List the deals or contacts behind the row, and open one |
    """

    TITLE = _("Reports")
    CSS_PATH = "reports.tcss"
    BINDINGS = [
        *(
            Binding(key, f"show('{name}')", REPORT_TITLES[name], id=f"reports.{name}", tooltip=REPORT_TITLES[name])
            for name, key in _REPORT_KEYS.items()
        ),
        Binding("d", "period", _("Period"), id="reports.period", tooltip=_("Choose the period of the reports")),
        Binding("p", "pipeline", _("Pipeline"), id="reports.pipeline", tooltip=_("Choose the pipeline")),
        Binding("j", "cursor(1)", _("Down"), id="reports.down", show=False),
        Binding("k", "cursor(-1)", _("Up"), id="reports.up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report_name = "revenue"
        self.period_kind = "all"
        self.custom: tuple[date, date] | None = None
        self.pipeline: int | None = None  # None: every pipeline (funnel and time in stage: the first)
        self.report: Report | None = None
        self.period: Period | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        tabs = (Tab(REPORT_TITLES[n], id=f"tab-{n}") for n in _REPORT_KEYS)
        yield Tabs(*tabs, active=f"tab-{self.report_name}", id="reports-tabs")
        yield Static("", id="reports-scope", markup=False)
        with Container(id="reports-body"):
            yield PlotextPlot(id="reports-chart")
            yield DataTable(id="reports-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="reports-summary", markup=False)
        yield Static("", id="reports-currencies", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reports-table", DataTable).focus()
        # no load here: ScreenResume follows the first mount too, and loads once

    def on_resize(self, event: Resize) -> None:
        self.query_one("#reports-body").set_class(event.size.width < NARROW, "narrow")

    # --- loading ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="reports-load")
    def load(self) -> None:
        store = self.store
        try:
            if self.custom is not None and self.period_kind == "custom":
                period = store.report_period("custom", start=self.custom[0], end=self.custom[1])
            else:
                period = store.report_period(self.period_kind, today())
            report = store.report(
                self.report_name, period, pipeline=self.pipeline, currency=self.koachify.settings.currency
            )
        except (InvalidValue, NotFound) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, report)

    def _show(self, report: Report) -> None:
        self.report, self.period = report, report.period
        locale = self.locale
        table = self.query_one("#reports-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for c in report.columns:
            table.add_column(c.label, key=c.key)
        for row in report.rows:
            cells = [cell_text(c, row.get(c.key), report.currency, locale) for c in report.columns]
            table.add_row(
                *(
                    Text(v, justify="left" if c.kind == "text" else "right")
                    for c, v in zip(report.columns, cells, strict=True)
                ),
                key=str(row["key"]),
            )
        if report.rows:
            table.move_cursor(row=min(max(keep, 0), len(report.rows) - 1))
        table.border_title = report.title
        p = report.period
        scope = _("{period} · {start} – {end} · {pipeline}").format(
            period=PERIOD_LABELS.get(p.kind, p.kind),
            start=date_short(p.start, locale),
            end=date_short(p.end, locale),
            pipeline=report.pipeline or _("All pipelines"),
        )
        self.query_one("#reports-scope", Static).update(scope)
        self.query_one("#reports-summary", Static).update(summary_text(report, locale))
        self.query_one("#reports-currencies", Static).update(other_currencies_text(report, locale))
        self._plot()

    def _plot(self) -> None:
        """Draw the report's chart; the bar of the row under the cursor is marked ">"."""
        report = self.report
        chart = self.query_one("#reports-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        if report is None or not report.rows:
            plt.title(_("Nothing in this period"))
            chart.refresh()
            return
        spec = report.chart
        label_column = next(c for c in report.columns if c.key == spec.label)
        labels = [cell_text(label_column, r[spec.label], "", "")[:18] for r in report.rows]
        values = chart_series(report)
        ticks = value_axis(report, values, self.locale)
        if spec.kind == "line":
            x = [float(i) for i in range(1, len(labels) + 1)]
            for key in spec.series:
                name = next((c.label for c in report.columns if c.key == key), key)
                plt.plot(x, values[key], label=name, marker="braille")
            step = max(1, len(labels) // 6)
            plt.xticks(x[::step], [label[-3:] for label in labels[::step]])
            plt.yticks(*ticks)
        else:
            self._plot_bars(chart, labels, values[spec.series[0]], ticks)
        name = next((c.label for c in report.columns if c.key == spec.series[0]), "")
        plt.title(f"{report.title}: {name}" if spec.kind == "bar" else report.title)
        chart.refresh()

    def _plot_bars(
        self, chart: PlotextPlot, labels: list[str], values: list[float], ticks: tuple[list[float], list[str]]
    ) -> None:
        plt = chart.plt
        assert self.report is not None
        if self.report.chart.label not in ("bucket", "week"):
            # horizontal, every label shown: mark the row under the cursor; the first label is drawn at the bottom
            cursor = self.query_one("#reports-table", DataTable).cursor_row
            if 0 <= cursor < len(labels):
                labels[cursor] = "> " + labels[cursor]
            plt.bar(labels[::-1], values[::-1], orientation="horizontal", width=0.6)
            plt.xticks(*ticks)
            return
        # plotext would pick which month/week labels fit by itself: choose them here, evenly
        x = [float(i) for i in range(1, len(labels) + 1)]
        plt.bar(x, values, width=0.6)
        step = max(1, -(-len(labels) * 9 // max(chart.size.width - 10, 9)))
        plt.xticks(x[::step], labels[::step])
        plt.yticks(*ticks)

    # --- actions ------------------------------------------------------------------------------------

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @on(Tabs.TabActivated, "#reports-tabs")
    def _tab(self, event: Tabs.TabActivated) -> None:
        name = (event.tab.id or "").removeprefix("tab-")
        if name and name != self.report_name:
            self.report_name = name
            self.load()

    def action_show(self, name: str) -> None:
        self.query_one("#reports-tabs", Tabs).active = f"tab-{name}"  # TabActivated loads it

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#reports-table", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    @on(DataTable.RowHighlighted, "#reports-table")
    def _highlighted(self) -> None:
        if self.report is not None and self.report.chart.kind == "bar":
            self._plot()

    def action_period(self) -> None:
        from .pickers import ChoicePicker

        def done(kind: str | None) -> None:
            if kind == "custom":
                self._ask_custom()
            elif kind:
                self.period_kind = kind
                self.load()

        options = [(label, kind) for kind, label in PERIOD_LABELS.items()]
        options[-1] = (_("Custom…"), "custom")
        self.app.push_screen(ChoicePicker(_("Period"), options, current=self.period_kind), done)

    def _ask_custom(self) -> None:
        from ..store.dates import parse_date
        from .pickers import TextPrompt

        def done(text: str | None) -> None:
            if not text:
                return
            parts = [p for p in re.split(r"\s*(?:–|—|\s-\s|\s+to\s+|\s+)\s*", text.strip()) if p]
            try:
                if len(parts) != 2:
                    raise InvalidValue(_("write two dates: from – to"))
                start, end = parse_date(parts[0]), parse_date(parts[1])
                Period(start, end)
            except InvalidValue as exc:
                self.notify(str(exc), severity="error")
                return
            self.custom, self.period_kind = (start, end), "custom"
            self.load()

        current = f"{self.period.start:%d/%m/%Y} – {self.period.end:%d/%m/%Y}" if self.period else ""
        self.app.push_screen(
            TextPrompt(_("Period: from – to"), current, placeholder=_("01/03/2026 – 31/03/2026")), done
        )

    def action_pipeline(self) -> None:
        from .pickers import ChoicePicker

        def done(pid: int | None) -> None:
            if pid is not None:
                self.pipeline = pid or None
                self.load()

        options: list[tuple[str, int]] = [(_("All pipelines"), 0)]
        options += [(p.name, p.id) for p in self.store.list_pipelines()]
        self.app.push_screen(ChoicePicker(_("Pipeline"), options, current=self.pipeline or 0), done)

    @on(DataTable.RowSelected, "#reports-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if self.report is not None and event.row_key.value is not None:
            self.drill(self.report, event.row_key.value)

    @work(thread=True, exclusive=True, group="reports-drill")
    def drill(self, report: Report, key: str) -> None:
        items = self.store.report_items(report.name, key, report.period, pipeline=self.pipeline)
        self.app.call_from_thread(self._list_items, report, key, items)

    def _list_items(self, report: Report, key: str, items: list[ReportItem]) -> None:
        from ..formatting import money
        from .pickers import ChoicePicker

        if not items:
            self.notify(_("Nothing to list behind this row"))
            return
        options: list[tuple[str, Any]] = []
        for item in items:
            value = f" · {money(item.value_minor, item.currency, self.locale)}" if item.kind == "deal" else ""
            options.append((f"{item.title} — {item.detail}{value}", item))
        title = _("{report}: {row} ({n})").format(report=report.title, row=key.replace(":", " · "), n=len(items))
        self.app.push_screen(ChoicePicker(title, options), self._open_item)

    def _open_item(self, item: ReportItem | None) -> None:
        if item is None:
            return
        if item.kind == "deal":
            from .opportunity_detail import OpportunityDetail

            self.app.push_screen(OpportunityDetail(item.id))
        else:
            self.koachify.show_contact(item.contact_id)
