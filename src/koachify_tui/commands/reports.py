"""`koachify report funnel|revenue|sources|lost|stages|activity`: the Reports screen's numbers, as a table,
JSON or CSV."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ..i18n import _
from .common import DbOption, JsonOption, UserError, open_store

NAMES = ("funnel", "revenue", "sources", "lost", "stages", "activity")


def report(
    name: Annotated[str, typer.Argument(metavar="funnel|revenue|sources|lost|stages|activity", help=_("Report."))],
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", "-p", help=_("Only this pipeline (funnel, stages: default the first)."))
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help=_("First day, dd/mm/yyyy or yyyy-mm-dd."))] = None,
    end: Annotated[str | None, typer.Option("--to", help=_("Last day (included)."))] = None,
    period: Annotated[
        str, typer.Option(help=_("month, last_month, quarter, year or all (ignored with --from/--to)."))
    ] = "all",
    by: Annotated[str | None, typer.Option(help=_("Revenue per month or week (default: by the period)."))] = None,
    json_out: JsonOption = False,
    csv_out: Annotated[bool, typer.Option("--csv", help=_("Print the table as CSV."))] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help=_("Write the JSON/CSV to this file instead of stdout."))
    ] = None,
    db: DbOption = None,
) -> None:
    """Print a report for a period and a pipeline (the same numbers as the Reports screen)."""
    from ..config import Settings
    from ..store.dates import parse_date

    if name not in NAMES:
        raise UserError(_("unknown report {name!r} (one of: {names})").format(name=name, names=", ".join(NAMES)))
    if json_out and csv_out:
        raise UserError(_("choose one of --json and --csv"))
    settings = Settings.load(db=db)
    with open_store(db) as store:
        if start is not None or end is not None:
            # --from alone runs to today, --to alone from the oldest record
            first = parse_date(start) if start else store.report_period("all").start
            chosen = store.report_period("custom", start=first, end=parse_date(end) if end else date.today())
        else:
            chosen = store.report_period(period, date.today())
        result = store.report(name, chosen, pipeline=pipeline, currency=settings.currency, by=by)
    if json_out or csv_out:
        _write(output, lambda out: _dump(result, out, csv_out))
        return
    if output is not None:
        raise UserError(_("--output needs --json or --csv"))
    _print_table(result, settings.locale)


def _dump(result: Any, out: Any, csv_out: bool) -> None:
    import json

    from ..store.report_types import write_csv

    if csv_out:
        write_csv(result, out)
    else:
        out.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n")


def _write(path: Path | None, dump: Any) -> None:
    """To stdout, or to a temp file beside `path` renamed over it once complete (never a half-written file)."""
    if path is None:
        dump(sys.stdout)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            dump(out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(_("Wrote {path}").format(path=path), err=True)


def _print_table(result: Any, locale: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..report_view import PERIOD_LABELS, cell_text, other_currencies_text, summary_text

    p = result.period
    console = Console()
    console.print(
        Text(
            f"{result.title} · {PERIOD_LABELS.get(p.kind, p.kind)} {p.start:%d/%m/%Y}–{p.end:%d/%m/%Y}"
            + (f" · {result.pipeline}" if result.pipeline else ""),
            style="bold",
        )
    )
    table = Table(*(c.label for c in result.columns), box=None, header_style="bold")
    for row in result.rows:
        table.add_row(*(Text(cell_text(c, row.get(c.key), result.currency, locale)) for c in result.columns))
    console.print(table)
    console.print(Text(summary_text(result, locale)))
    others = other_currencies_text(result, locale)
    if others:
        console.print(Text(others, style="yellow"))
