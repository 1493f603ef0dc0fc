"""The Reports screen: switching reports, the period and pipeline pickers, drill-down into deals and contacts."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.opportunity_detail import OpportunityDetail
from koachify_tui.screens.pickers import ChoicePicker
from koachify_tui.screens.reports import ReportsScreen
from koachify_tui.store import Store
from reports_fixture import MARCH, build, install_clock


async def _settle(app: KoachifyApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _rows(screen: ReportsScreen) -> list[list[str]]:
    table = screen.query_one("#reports-table", DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def _march(app: KoachifyApp, pilot: Any) -> None:
    """Pick the custom period March 2026 through the period picker."""
    await pilot.press("d")
    await pilot.pause()
    picker = app.screen
    assert isinstance(picker, ChoicePicker)
    picker.dismiss("custom")
    await pilot.pause()
    await pilot.press("ctrl+a", "ctrl+k", *"01/03/2026 - 31/03/2026", "enter")
    await _settle(app, pilot)


async def test_period_change_and_reports(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    build(store, install_clock(monkeypatch))
    app = make_app(settings, store, start="reports")
    async with app.run_test(size=(160, 48)) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert screen.report is not None and screen.report.name == "revenue" and screen.report.period.kind == "all"
        await _march(app, pilot)
        assert screen.report.period == MARCH
        assert [r[0] for r in _rows(screen)] == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
        assert _rows(screen)[2][1:3] == ["2", "3.000,00\xa0€"]  # d1 and d3
        assert _rows(screen)[4][1:3] == ["1", "100,00\xa0€"]  # the Corsi deal: every pipeline counts
        currencies = str(screen.query_one("#reports-currencies", Static).render())
        assert "USD" in currencies and "not in the totals" in currencies
        # the numbers on screen are the store's (and so the CLI's)
        assert screen.report.as_dict() == store.report("revenue", MARCH).as_dict()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
        app.screen.dismiss(store.get_pipeline("Sales").id)
        await _settle(app, pilot)
        assert screen.report.pipeline == "Sales"
        assert _rows(screen)[4][1:3] == ["0", "0,00\xa0€"]
        await pilot.press("f")
        await _settle(app, pilot)
        assert screen.report.name == "funnel"
        assert [r[:2] for r in _rows(screen)] == [["A", "6"], ["B", "4"], ["C", "2"], ["D", "1"]]
        assert screen.query_one("#reports-chart", PlotextPlot).plt is not None
        for key, name in (("s", "sources"), ("l", "lost"), ("t", "stages"), ("a", "activity")):
            await pilot.press(key)
            await _settle(app, pilot)
            assert screen.report.name == name


async def test_drill_down_opens_a_deal_and_a_contact(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = build(store, install_clock(monkeypatch))
    app = make_app(settings, store, start="reports")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert screen.query_one("#reports-body").has_class("narrow")  # chart above the table at 80 columns
        await _march(app, pilot)
        await pilot.press("l")
        await _settle(app, pilot)
        await pilot.press("down", "enter")  # lost: Price
        await _settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, ChoicePicker)
        assert [value.id for _label, value in picker.options] == [ids["d2"]]
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, OpportunityDetail) and app.screen.opportunity_id == ids["d2"]
        await pilot.press("escape")
        await _settle(app, pilot)
        await pilot.press("s")
        await _settle(app, pilot)
        await pilot.press("down", "enter")  # sources: Form → contact c1
        await _settle(app, pilot)
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.current_mode == "contacts"
