"""Reports on a hand-computed fixture (tests/reports_fixture.py), on SQLite and PostgreSQL, and through the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import needs_postgres, new_pg_database
from koachify_tui.cli import app
from koachify_tui.store import InvalidValue, Store
from koachify_tui.store.report_period import Period, period_for
from koachify_tui.store.report_types import write_csv
from reports_fixture import MARCH, build, check_all, install_clock

runner = CliRunner()


def test_reports_on_sqlite(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = build(store, install_clock(monkeypatch))
    check_all(store, ids)


@needs_postgres
def test_reports_on_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    with new_pg_database() as url:
        store = Store.open(url)
        try:
            ids = build(store, install_clock(monkeypatch))
            check_all(store, ids)
        finally:
            store.close()


def test_drill_down_lists_the_deals_and_contacts_behind_a_row(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = build(store, install_clock(monkeypatch))
    funnel = store.report("funnel", MARCH, pipeline="Sales")
    stage_c = next(r for r in funnel.rows if r["stage"] == "C")
    assert {i.id for i in store.report_items("funnel", stage_c["key"], MARCH, pipeline="Sales")} == {
        ids["d1"],
        ids["d2"],
    }
    won = store.report_items("revenue", "2026-W11", MARCH, pipeline="Sales")
    assert [i.id for i in won] == [ids["d5"], ids["d1"], ids["d3"]]  # the USD deal too, shown in USD
    assert [i.currency for i in won] == ["USD", "EUR", "EUR"]
    assert {i.id for i in store.report_items("revenue", "2026-03", MARCH)} == {
        ids["d1"],
        ids["d3"],
        ids["d5"],
        ids["d9"],
    }
    assert [i.id for i in store.report_items("lost", "lost:Price", MARCH)] == [ids["d2"]]
    ads = store.report_items("sources", "Ads", MARCH)
    assert [i.kind for i in ads] == ["contact", "contact"]
    assert len(ads) == funnel.summary["deals"] - 4  # two new contacts from Ads
    assert store.report_items("activity", "2026-W11", MARCH) == []


def _cli_json(db: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["report", *args, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_cli_json_is_the_store_s_numbers(store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(store, install_clock(monkeypatch))
    for name in ("funnel", "revenue", "sources", "lost", "activity"):
        data = _cli_json(db_path, name, "--pipeline", "Sales", "--from", "01/03/2026", "--to", "2026-03-31")
        expected = store.report(name, MARCH, pipeline="Sales").as_dict()
        assert data == json.loads(json.dumps(expected, default=str)), name


def test_cli_csv_to_stdout_and_to_a_file(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    build(store, install_clock(monkeypatch))
    args = ["report", "lost", "--from", "01/03/2026", "--to", "31/03/2026", "--db", str(db_path), "--csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["status", "reason", "count", "value_eur"],
        ["abandoned", "", "1", "300.00"],
        ["lost", "Price", "1", "500.00"],
    ]
    out = tmp_path / "lost.csv"
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0] == "status,reason,count,value_eur"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_text_and_bad_input(store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(store, install_clock(monkeypatch))
    result = runner.invoke(
        app, ["report", "revenue", "--db", str(db_path), "--from", "01/03/2026", "--to", "31/03/2026"]
    )
    assert result.exit_code == 0, result.stderr
    assert "2026-W11" in result.stdout and "1 deal in USD" in result.stdout
    for bad in (["report", "profit"], ["report", "funnel", "--from", "31/03/2026", "--to", "01/03/2026"]):
        result = runner.invoke(app, [*bad, "--db", str(db_path)])
        assert result.exit_code == 1
        assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr


def test_periods() -> None:
    today = date(2026, 5, 17)
    assert period_for("month", today) == Period(date(2026, 5, 1), date(2026, 5, 31), "month")
    assert period_for("last_month", today) == Period(date(2026, 4, 1), date(2026, 4, 30), "last_month")
    assert period_for("quarter", today) == Period(date(2026, 4, 1), date(2026, 6, 30), "quarter")
    assert period_for("quarter", date(2026, 11, 2)) == Period(date(2026, 10, 1), date(2026, 12, 31), "quarter")
    assert period_for("last_month", date(2026, 1, 9)) == Period(date(2025, 12, 1), date(2025, 12, 31), "last_month")
    assert period_for("year", today) == Period(date(2026, 1, 1), date(2026, 12, 31), "year")
    assert [b.label for b in period_for("year", today).months()][::11] == ["2026-01", "2026-12"]
    with pytest.raises(InvalidValue):
        period_for("fortnight", today)


def test_csv_money_is_decimal_and_text_excel_safe(store: Store) -> None:
    store.create_contact(first_name="X", source="=HYPERLINK()")
    period = store.report_period("all")
    out = io.StringIO()
    write_csv(store.report("sources", period), out)
    assert out.getvalue().splitlines()[1].startswith("'=HYPERLINK()")
