"""`koachify import FILE` (with --undo / --list-batches) and `koachify export FILE`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from ..files import AtomicFile, database_files
from ..i18n import _, ngettext, pgettext
from .common import DbOption, JsonOption, UserError, console, echo, echo_err, load_settings, open_store, print_json

PROGRESS_MIN_BYTES = 256 * 1024  # a few thousand rows: below that a bar only flickers


def _db_files(db: str | None) -> dict[Path, str]:
    """The files of the database this command opens (a target must never be one of them)."""
    from ..store import resolve_url

    return database_files(resolve_url(load_settings(db).db))


@contextmanager
def _optional(file: AtomicFile | None) -> Iterator[IO[str] | None]:
    if file is None:
        yield None
        return
    with file as fh:
        yield fh


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
    file: Annotated[
        Path | None, typer.Argument(help=_("The CSV or vCard (.vcf) file to import."), show_default=False)
    ] = None,
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
    report: Annotated[
        Path | None, typer.Option(help=_("Write rejected and flagged rows (line, reason, row) to this CSV."))
    ] = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help=_("The file has no header row: name its columns with --columns."))
    ] = False,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--columns", help=_("With --no-header: the fields of the columns in order (first_name,last_name,email).")
        ),
    ] = None,
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
        no_header=no_header,
        columns=list(columns or []),
    )
    if columns and not no_header:
        raise UserError(_("--columns goes with --no-header (for a file without a header row)"))
    # A big file starts being parsed by a second process now, while this one loads the store (~0.5 s).
    report_file = None
    if report is not None:  # checked before anything is read or written: never the input or the database
        protected = {file: _("the input file"), **_db_files(db)}
        report_file = AtomicFile(report, protected=protected, encoding="utf-8-sig", newline="")
    parser = start_parser(file, options, Settings.load(db=db).region)
    try:
        from ..store.importer import run_import

        with _store_for(db, dry_run=dry_run) as store, _optional(report_file) as report_fh:
            with _progress(file, quiet=json_out) as progress:
                result = run_import(
                    store, file, options, progress=progress, report=report_fh, parser=parser, waiting=echo_err
                )
            if report_file is not None and result.counts.rejected == 0 and not result.findings.get("shared_numbers"):
                report_file.discard()  # nothing rejected or flagged: no report (a file there stays as it was)
            duplicates = _possible_duplicates(store, result)
    except FileError as exc:
        raise UserError(str(exc)) from None
    finally:
        if parser is not None:
            parser.close()
    if json_out:
        print_json({**result.as_dict(), "possible_duplicates": duplicates})
        return
    _print_result(result, report)
    if duplicates:
        echo_err(
            ngettext(
                "{n} possible duplicate among the imported contacts: see `koachify duplicates list --batch {id}`",
                "{n} possible duplicates among the imported contacts: see `koachify duplicates list --batch {id}`",
                duplicates,
            ).format(n=duplicates, id=result.batch_id)
        )


def _possible_duplicates(store: Any, result: Any) -> int | None:
    """Groups of likely duplicates holding a contact of the batch (None for a dry run or nothing written)."""
    if result.dry_run or result.batch_id is None:
        return None
    import time

    started = time.perf_counter()
    found = len(store.batch_duplicates(result.batch_id))
    result.timings["duplicates"] = time.perf_counter() - started  # after the import's own phases
    return found


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
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
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
    from rich.table import Table
    from rich.text import Text

    out = console()
    err = console(stderr=True, soft_wrap=True)
    if result.dry_run:
        mapping = Table(_("Column"), _("Goes to"), box=None, header_style="bold", title=_("Mapping (dry run)"))
        for column in result.columns:
            mapping.add_row(Text(column.header), Text(column.describe()))
        out.print(mapping)
        if result.new_fields:
            out.print(Text(_("New custom fields: {fields}").format(fields=", ".join(result.new_fields))))
    for note in result.notes:
        err.print(Text(_("note: {note}").format(note=note)))
    if result.dry_run:
        _print_decisions(out, result)
    _print_findings(err, result.findings)
    counts = result.counts
    table = Table(box=None, show_header=False, title=_("Would import") if result.dry_run else _("Imported"))
    table.add_column(justify="left")
    table.add_column(justify="right")
    for label, value in (
        (pgettext("import counts", "rows"), counts.rows),
        (pgettext("import counts", "created"), counts.created),
        (pgettext("import counts", "updated"), counts.updated),
        (pgettext("import counts", "merged"), counts.merged),
        (pgettext("import counts", "unchanged"), counts.unchanged),
        (pgettext("import counts", "skipped"), counts.skipped),
        (pgettext("import counts", "rejected"), counts.rejected),
        (pgettext("import counts", "warnings"), counts.warnings),
    ):
        table.add_row(label, str(value))
    out.print(table)
    for reject in result.rejects[:10]:
        err.print(Text(_("line {line}: {reason}").format(line=reject.line, reason=reject.reason)))
    if counts.rejected > 10:
        more = counts.rejected - 10
        err.print(Text(ngettext("… {n} more rejected row", "… {n} more rejected rows", more).format(n=more)))
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


DECISIONS_SHOWN = 20


def _print_decisions(console: Any, result: Any) -> None:
    """The merges a dry run would make, with the key that matched."""
    from rich.text import Text

    if not result.decisions:
        return
    console.print(Text(_("Merges (dry run):"), style="bold"))
    for line, text in result.decisions[:DECISIONS_SHOWN]:
        console.print(Text(_("  line {line}: {decision}").format(line=line, decision=text)))
    more = result.counts.merged + result.counts.updated - DECISIONS_SHOWN
    if more > 0:
        console.print(Text(_("  … {n} more (--json lists the first 1000)").format(n=more)))


def _print_findings(err: Any, findings: dict[str, dict[str, int]]) -> None:
    """Values that were not used to match people: placeholders, values shared by several people, numbers
    shared by contacts kept apart."""
    from rich.text import Text

    titles = {
        "placeholders": _("Placeholder values read as empty (rows):"),
        "shared": _("Shared by several people, not used to match (rows):"),
        "shared_numbers": _("Shared numbers, contacts kept apart (rows):"),
    }
    for kind, title in titles.items():
        found = findings.get(kind) or {}
        if not found:
            continue
        err.print(Text(title, style="bold"))
        for value, rows in list(found.items())[:10]:
            err.print(Text(f"  {value}  ×{rows}"))
        if len(found) > 10:
            err.print(Text(_("  … {n} more").format(n=len(found) - 10)))


def _undo(db: str | None, batch_id: int, json_out: bool) -> None:
    from ..store.importer import undo_batch

    with open_store(db) as store:
        result = undo_batch(store, batch_id)
    if json_out:
        print_json(result.as_dict())
        return
    echo(
        ngettext(
            "Undid batch {id}: {n} contact removed, {restored} restored",
            "Undid batch {id}: {n} contacts removed, {restored} restored",
            result.removed,
        ).format(id=batch_id, n=result.removed, restored=result.restored)
    )
    for cid, why in result.contacts_kept:
        echo(_("  kept contact #{id}: {why}").format(id=cid, why=why))
    for kept in result.changes_kept:
        where = f"#{kept.contact_id}" if kept.entity == "contact" else f"{kept.entity} #{kept.entity_id}"
        echo(_("  kept {where} {field}, {why}").format(where=where, field=kept.field, why=kept.reason))
    if not result.complete:
        echo(
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
    console().print(table)


def export(
    file: Annotated[Path, typer.Argument(help=_("The CSV file to write ('-' for stdout; a .vcf name writes vCards)."))],
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
    target = None
    vcard = file.suffix.lower() == ".vcf" and not opportunities
    if str(file) != "-":  # refused before the store opens: a directory, the database or its WAL/SHM
        encoding = "utf-8-sig" if bom and not vcard else "utf-8"
        target = AtomicFile(file, protected=_db_files(db), encoding=encoding, newline="")
    with open_store(db) as store:
        if target is None:
            count = _run_export(store, sys.stdout, opportunities, delimiter, tag, smart_list)
        elif vcard:
            from ..store.vcard_export import export_vcard

            with target as out:  # the same temp-file-and-rename as the CSV
                count = export_vcard(store, out, tags=list(tag or []), smart_list=smart_list or None)
        else:
            with target as out:  # written beside the target, renamed over it only when complete
                count = _run_export(store, out, opportunities, delimiter, tag, smart_list)
    if opportunities:
        what = ngettext("{n} opportunity", "{n} opportunities", count).format(n=count)
    else:
        what = ngettext("{n} contact", "{n} contacts", count).format(n=count)
    echo(_("Exported {what} to {path}").format(what=what, path=file), err=True)


def _run_export(store: Any, out: Any, opportunities: bool, delimiter: str, tag: list[str] | None, smart: str) -> int:
    from ..store.exporter import export_contacts, export_opportunities

    if opportunities:
        return export_opportunities(store, out, delimiter=delimiter)
    return export_contacts(store, out, delimiter=delimiter, tags=list(tag or []), smart_list=smart or None)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
