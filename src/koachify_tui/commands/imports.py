"""`koachify import FILE` (with --undo / --list-batches) and `koachify export FILE`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..i18n import _
from .common import DbOption, JsonOption, UserError, echo_err, open_store, print_json

PROGRESS_MIN_BYTES = 256 * 1024  # a few thousand rows: below that a bar only flickers


def _store_for(db: str | None, *, dry_run: bool) -> Any:
    """The import's store. A dry run on a database file that does not exist yet must not create it."""
    if dry_run:
        from ..config import Settings
        from ..store import resolve_url
        from ..store.db import is_sqlite

        url = resolve_url(Settings.load(db=db).db)
        if is_sqlite(url) and url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            return open_store(":memory:", must_exist=False, origin="import")
    return open_store(db, must_exist=False, origin="import")


def import_(
    file: Annotated[Path | None, typer.Argument(help=_("The CSV file to import."), show_default=False)] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", "-m", help=_('Map a column: "Column header=field" (repeatable; field "ignore" or "custom:Label").')
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help=_("Show the mapping and the counts; write nothing."))
    ] = False,
    encoding: Annotated[str | None, typer.Option(help=_("File encoding (default: detected)."))] = None,
    delimiter: Annotated[
        str | None, typer.Option(help=_("Field delimiter: ',' ';' 'tab' (default: detected)."))
    ] = None,
    region: Annotated[
        str | None, typer.Option(help=_("Default country for phones without +prefix (default: config, IT)."))
    ] = None,
    on_duplicate: Annotated[
        str, typer.Option("--on-duplicate", help=_("merge (fill blanks, add tags) | update (file wins) | skip."))
    ] = "merge",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help=_("Add this tag to every imported contact."))
    ] = None,
    source: Annotated[str | None, typer.Option(help=_('Source of the contacts (default: "CSV import").'))] = None,
    ignore_unknown: Annotated[
        bool, typer.Option("--ignore-unknown", help=_("Skip unknown columns instead of making custom fields."))
    ] = False,
    report: Annotated[Path | None, typer.Option(help=_("Write rejected rows (line, reason, row) to this CSV."))] = None,
    undo: Annotated[
        int | None, typer.Option("--undo", help=_("Undo the import batch with this id."), show_default=False)
    ] = None,
    list_batches: Annotated[bool, typer.Option("--list-batches", help=_("List past import batches."))] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import contacts from a CSV (Google, Outlook, HubSpot, Mailchimp, Excel…), or undo/list imports."""
    from ..config import Settings
    from ..store.importer.options import ImportOptions
    from ..store.importer.producer import start_parser
    from ..store.importer.reader import FileError

    if undo is not None:
        _undo(db, undo, json_out)
        return
    if list_batches:
        _list(db, json_out)
        return
    if file is None:
        raise UserError(_("give a CSV file to import (or --undo BATCH, --list-batches)"))
    options = ImportOptions(
        on_duplicate=on_duplicate.lower(),
        region=region,
        source=source,
        tags=list(tag or []),
        mapping=list(mapping or []),
        ignore_unknown=ignore_unknown,
        encoding=encoding,
        delimiter=delimiter,
        dry_run=dry_run,
    )
    # A big file starts being parsed by a second process now, while this one loads the store (~0.5 s).
    parser = start_parser(file, options, Settings.load(db=db).region)
    report_fh = None
    try:
        from ..store.importer import run_import

        with _store_for(db, dry_run=dry_run) as store:
            if report is not None:
                report_fh = report.open("w", encoding="utf-8-sig", newline="")
            with _progress(file, quiet=json_out) as progress:
                result = run_import(
                    store, file, options, progress=progress, report=report_fh, parser=parser, waiting=echo_err
                )
    except FileError as exc:
        raise UserError(str(exc)) from None
    finally:
        if parser is not None:
            parser.close()
        if report_fh is not None:
            report_fh.close()
    if report is not None and result.counts.rejected == 0:
        report.unlink(missing_ok=True)  # no rejects: no stale report lying around
    if json_out:
        print_json(result.as_dict())
        return
    _print_result(result, report)


class _progress:
    """A Rich progress bar on stderr for big files on a terminal; nothing otherwise."""

    def __init__(self, file: Path, *, quiet: bool) -> None:
        try:
            big = file.stat().st_size >= PROGRESS_MIN_BYTES
        except OSError:
            big = False
        self.enabled = big and not quiet and sys.stderr.isatty()
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task(_("Importing"), total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_result(result: Any, report: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    err = Console(stderr=True, soft_wrap=True)
    if result.dry_run:
        mapping = Table(_("Column"), _("Goes to"), box=None, header_style="bold", title=_("Mapping (dry run)"))
        for column in result.columns:
            mapping.add_row(Text(column.header), Text(column.describe()))
        console.print(mapping)
        if result.new_fields:
            console.print(Text(_("New custom fields: {fields}").format(fields=", ".join(result.new_fields))))
    counts = result.counts
    table = Table(box=None, show_header=False, title=_("Would import") if result.dry_run else _("Imported"))
    table.add_column(justify="left")
    table.add_column(justify="right")
    for label, value in (
        (_("rows"), counts.rows),
        (_("created"), counts.created),
        (_("updated"), counts.updated),
        (_("merged"), counts.merged),
        (_("unchanged"), counts.unchanged),
        (_("skipped"), counts.skipped),
        (_("rejected"), counts.rejected),
        (_("warnings"), counts.warnings),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for reject in result.rejects[:10]:
        err.print(Text(_("line {line}: {reason}").format(line=reject.line, reason=reject.reason)))
    if counts.rejected > 10:
        err.print(Text(_("… {n} more rejected rows").format(n=counts.rejected - 10)))
    for line, message in result.warnings[:10]:
        err.print(Text(_("line {line}: warning: {message}").format(line=line, message=message)))
    if report is not None and counts.rejected:
        err.print(Text(_("Rejected rows written to {path}").format(path=report)))
    if result.batch_id is not None:
        err.print(
            Text(
                _("Batch {id} in {seconds:.1f} s (undo with `koachify import --undo {id}`)").format(
                    id=result.batch_id, seconds=result.seconds
                )
            )
        )


def _undo(db: str | None, batch_id: int, json_out: bool) -> None:
    from ..store.importer import undo_batch

    with open_store(db) as store:
        result = undo_batch(store, batch_id)
    if json_out:
        print_json(result.as_dict())
        return
    typer.echo(
        _("Undid batch {id}: {removed} contacts removed, {restored} restored").format(
            id=batch_id, removed=result.removed, restored=result.restored
        )
    )
    for cid, why in result.contacts_kept:
        typer.echo(_("  kept contact #{id}: {why}").format(id=cid, why=why))
    for kept in result.changes_kept:
        where = f"#{kept.contact_id}" if kept.entity == "contact" else f"{kept.entity} #{kept.entity_id}"
        typer.echo(_("  kept {where} {field}: {why}").format(where=where, field=kept.field, why=kept.reason))
    if not result.complete:
        typer.echo(
            _("Batch {id} is partly undone: what was changed after it stays. Run the undo again to revert the rest "
              "once those changes are gone.").format(id=batch_id)
        )  # fmt: skip


def _list(db: str | None, json_out: bool) -> None:
    from ..store.importer import list_batches

    with open_store(db) as store:
        batches = list_batches(store, limit=None)
    if json_out:
        print_json([b.as_dict() for b in batches])
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(_("Batch"), _("File"), _("When"), _("Created"), _("Updated"), _("Rejected"), _("Undone"), box=None)
    for b in batches:
        table.add_row(
            str(b.id),
            Text(b.filename),
            f"{b.started_at:%Y-%m-%d %H:%M}",
            str(b.counts.get("created", 0)),
            str(b.counts.get("updated", 0) + b.counts.get("merged", 0)),
            str(b.counts.get("rejected", 0)),
            f"{b.undone_at:%Y-%m-%d %H:%M}" if b.undone_at else "",
        )
    Console().print(table)


def export(
    file: Annotated[Path, typer.Argument(help=_("The CSV file to write ('-' for stdout)."))],
    opportunities: Annotated[
        bool, typer.Option("--opportunities", help=_("Export opportunities instead of contacts."))
    ] = False,
    delimiter: Annotated[str, typer.Option(help=_("Field delimiter: ',' ';' or 'tab'."))] = ",",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help=_("Only contacts with this tag (all of them)."))
    ] = None,
    smart_list: Annotated[str, typer.Option("--list", help=_("Only the contacts of this smart list."))] = "",
    bom: Annotated[
        bool, typer.Option("--bom/--no-bom", help=_("Start with a UTF-8 BOM so Excel reads accents."))
    ] = True,
    db: DbOption = None,
) -> None:
    """Export contacts (or opportunities) to CSV: every field, tags and custom fields, Excel-safe."""
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1:
        raise UserError(_("the delimiter must be one character (or 'tab')"))
    with open_store(db) as store:
        if str(file) == "-":
            out = sys.stdout
            count = _run_export(store, out, opportunities, delimiter, tag, smart_list)
        else:
            with file.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
                count = _run_export(store, out, opportunities, delimiter, tag, smart_list)
    what = _("opportunities") if opportunities else _("contacts")
    typer.echo(_("Exported {n} {what} to {path}").format(n=count, what=what, path=file), err=True)


def _run_export(store: Any, out: Any, opportunities: bool, delimiter: str, tag: list[str] | None, smart: str) -> int:
    from ..store.exporter import export_contacts, export_opportunities

    if opportunities:
        return export_opportunities(store, out, delimiter=delimiter)
    return export_contacts(store, out, delimiter=delimiter, tags=list(tag or []), smart_list=smart or None)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
