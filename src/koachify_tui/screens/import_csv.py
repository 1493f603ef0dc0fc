"""The "Import CSV…" dialog: a file, options, a dry-run preview (mapping, counts, first rejects), then the import.

Both steps run `store.importer.run_import` in a thread worker (the preview with `dry_run=True`, which writes
nothing), so a 100k-row file never freezes the screen. Everything read from the file or typed by the user is
shown literally (`Text`, never markup).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DataTable, Input, Label, ProgressBar, Select, Static

from ..i18n import _, ngettext
from ..store import Store
from ..store.importer import POLICIES, FileError, ImportOptions, ImportResult, UndoResult, run_import, undo_batch
from .contact_forms import ConfirmDialog

REJECTS_SHOWN = 8
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".vcf")

IMPORT_CSS = """
ImportCsvScreen { align: center middle; }
ImportCsvScreen > #import-box {
    width: 100; max-width: 100%; height: auto; max-height: 95%;
    border: thick $primary; background: $surface; padding: 0 1;
}
ImportCsvScreen #import-body { height: auto; max-height: 1fr; }
ImportCsvScreen .field-label { color: $foreground-muted; }
ImportCsvScreen Horizontal.options { height: auto; }
ImportCsvScreen Horizontal.options > Vertical { height: auto; width: 1fr; }
ImportCsvScreen Horizontal.options > Vertical.policy { width: 30; }
ImportCsvScreen #import-error { color: $error; height: auto; display: none; }
ImportCsvScreen #import-preview, ImportCsvScreen #import-summary { height: auto; }
ImportCsvScreen #import-progress { display: none; margin: 1 0 0 0; }
ImportCsvScreen #import-hint { color: $foreground-muted; margin-top: 1; }
ImportCsvScreen #import-warnings-title { margin-top: 1; text-style: italic; display: none; }
ImportCsvScreen #import-warnings { height: auto; max-height: 10; display: none; }
ImportCsvScreen #import-duplicates { color: $text-warning; text-style: bold; margin-top: 1; display: none; }
ImportCsvScreen #import-undo { margin-top: 1; display: none; }
"""


class PathSuggester(Suggester):
    """Completes the file path from the directory listing (→ accepts): folders and CSV-like files only."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        typed = os.path.expanduser(value)
        folder, prefix = os.path.split(typed)
        try:
            with os.scandir(folder or ".") as entries:
                names = sorted(
                    entry.name + ("/" if entry.is_dir() else "")
                    for entry in entries
                    if entry.name.startswith(prefix)
                    and not entry.name.startswith(".")
                    and (entry.is_dir() or entry.name.lower().endswith(CSV_SUFFIXES))
                )
        except OSError:
            return None
        if not names or names[0] == prefix:
            return None
        return value + names[0][len(prefix) :]


class _Cancelled(Exception):
    """Raised from the progress callback: the import's transaction rolls back, nothing is written."""


class ImportCsvScreen(ModalScreen[bool]):
    """Import contacts from a CSV file: preview first (nothing written), then import with a progress bar.

    | Key | Action |
    | --- | --- |
    | enter (in the path), ctrl+r | Preview: the column mapping, the counts, the first rejected rows, warnings |
    | ctrl+s | Import (after a preview of the same file and options) |
    | → | Accept the path completion |
    | u | Undo the import just done (after confirming; what was worked on since stays, and is listed) |
    | D | Review the possible duplicates the import brought in |
    | escape | Cancel (a running import is rolled back: nothing is written); close when done |
    """

    DEFAULT_CSS = IMPORT_CSS
    BINDINGS = [
        Binding("ctrl+r", "preview", _("Preview"), id="import.preview", tooltip=_("Dry run: mapping and counts")),
        Binding(
            "ctrl+s", "import", _("Import"), id="import.run", tooltip=_("Import the previewed file"), priority=True
        ),
        Binding("u", "undo", _("Undo import"), id="import.undo", tooltip=_("Undo the import just done")),
        Binding("D", "duplicates", _("Duplicates"), id="import.duplicates", tooltip=_("Review possible duplicates")),
        Binding("escape", "cancel", _("Cancel"), id="import.cancel", tooltip=_("Cancel, or close when done")),
    ]

    def __init__(self, store: Store | None = None, *, path: str = "") -> None:
        super().__init__()
        self._store = store
        self._initial_path = path
        self.preview: ImportResult | None = None  # the dry run of the current inputs
        self.result: ImportResult | None = None  # the import, once done
        self.running = False
        self._cancel = False
        self.undo: UndoResult | None = None  # the undo of `result`, once done
        self.duplicate_groups = 0  # possible duplicates among the imported contacts (D reviews them)

    @property
    def store(self) -> Store:
        return self._store if self._store is not None else self.app.store  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        region = (getattr(self.store, "region", "") or "IT").upper()
        with Vertical(id="import-box") as box:
            box.border_title = _("Import CSV…")
            box.border_subtitle = _("enter/ctrl+r preview · ctrl+s import · escape cancel")
            with VerticalScroll(id="import-body"):
                yield Label(_("CSV file"), classes="field-label")
                yield Input(
                    self._initial_path,
                    placeholder=_("path/to/contacts.csv"),
                    suggester=PathSuggester(),
                    id="import-path",
                )
                with Horizontal(classes="options"):
                    with Vertical(classes="policy"):
                        yield Label(_("Duplicates"), classes="field-label")
                        yield Select(
                            [(_("merge: fill blanks"), "merge"), (_("update: file wins"), "update"),
                             (_("skip"), "skip")],
                            value="merge", allow_blank=False, id="import-policy",
                        )  # fmt: skip
                    with Vertical():
                        yield Label(_("Phone region"), classes="field-label")
                        yield Input(region, max_length=2, id="import-region")
                    with Vertical():
                        yield Label(_("Extra tag"), classes="field-label")
                        yield Input(placeholder=_("optional"), id="import-tag")
                    with Vertical():
                        yield Label(_("Source"), classes="field-label")
                        yield Input(placeholder=_("CSV import"), id="import-source")
                yield Static(id="import-error", markup=False)
                yield Static(id="import-preview")
                yield ProgressBar(id="import-progress", show_eta=True)
                yield Static(id="import-summary")
                yield Static(id="import-duplicates", markup=False)
                yield Static(id="import-undo")
                yield Static(id="import-warnings-title", markup=False)
                yield warnings_table()
                yield Static(_("Nothing is written until ctrl+s; an import can be undone with its batch id."),
                             id="import-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self._bar = self.query_one("#import-progress", ProgressBar)
        self.query_one("#import-path", Input).focus()

    # --- inputs -------------------------------------------------------------------------------------

    def options(self, *, dry_run: bool) -> ImportOptions:
        tag = self.query_one("#import-tag", Input).value.strip()
        source = self.query_one("#import-source", Input).value.strip()
        region = self.query_one("#import-region", Input).value.strip().upper()
        policy = self.query_one("#import-policy", Select).value
        return ImportOptions(
            on_duplicate=str(policy) if policy in POLICIES else "merge",
            region=region or None,
            source=source or None,
            tags=[tag] if tag else [],
            dry_run=dry_run,
        )

    def path(self) -> str:
        return os.path.expanduser(self.query_one("#import-path", Input).value.strip())

    @on(Input.Changed)
    @on(Select.Changed)
    def _inputs_changed(self) -> None:
        """A preview is only good for the inputs it was made with."""
        if self.preview is not None and not self.running:
            self.preview = None
            self.query_one("#import-preview", Static).update("")
            self.refresh_bindings()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_preview()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "preview":
            return not self.running and self.result is None
        if action == "import":
            return None if self.preview is None or self.running or self.result is not None else True
        if action == "undo":
            return self.result is not None and self.result.batch_id is not None and self.undo is None
        if action == "duplicates":
            return self.duplicate_groups > 0 and self.undo is None
        return True

    # --- actions ------------------------------------------------------------------------------------

    def action_preview(self) -> None:
        if self.running or self.result is not None:
            return
        path = self.path()
        if not path:
            self._error(_("Type the path of a CSV file."))
            return
        self._error("")
        self.preview = None
        self.query_one("#import-preview", Static).update(Text(_("Reading {path}…").format(path=path)))
        self._start(path, self.options(dry_run=True))

    def action_import(self) -> None:
        if self.preview is None or self.running or self.result is not None:
            return
        # The preview said "dry run: nothing written"; from now on it would be wrong.
        self.query_one("#import-preview", Static).update(Text(_("Importing {path}…").format(path=self.path())))
        self._start(self.path(), self.options(dry_run=False))

    def action_cancel(self) -> None:
        if self.running:
            self._cancel = True  # the worker's next progress call rolls the transaction back
            return
        self.dismiss(self.result is not None and self.result.batch_id is not None)

    # --- the worker ---------------------------------------------------------------------------------

    def _start(self, path: str, options: ImportOptions) -> None:
        self.running, self._cancel = True, False
        self._bar.update(total=None, progress=0)
        self._bar.display = True
        if not options.dry_run:
            self._bar.scroll_visible()  # below a long mapping preview: the coach must see the import run
        self.refresh_bindings()
        self._run(path, options)

    @work(thread=True, exclusive=True, group="import-csv")
    def _run(self, path: str, options: ImportOptions) -> None:
        app, bar = self.app, self._bar

        def progress(done: int, total: int) -> None:
            if self._cancel:
                raise _Cancelled
            app.call_from_thread(bar.update, total=total, progress=done)

        def waiting(message: str) -> None:  # PostgreSQL: another import is running, this one takes its turn
            app.call_from_thread(app.notify, message, timeout=10)

        try:
            if not Path(path).is_file() and Path(path).exists():
                raise FileError(_("{path} is a directory, not a CSV file").format(path=path))
            result = run_import(self.store, path, options, progress=progress, waiting=waiting)
        except _Cancelled:
            app.call_from_thread(self._finished, None, _("Cancelled: nothing was written."))
        except (FileError, OSError, ValueError) as exc:
            app.call_from_thread(self._finished, None, str(exc))
        except Exception as exc:  # noqa: BLE001 - a database error is shown, never a crash
            app.call_from_thread(self._finished, None, f"{type(exc).__name__}: {exc}")
        else:
            app.call_from_thread(self._finished, result, "")

    def _finished(self, result: ImportResult | None, error: str) -> None:
        self.running = False
        self._bar.display = result is not None and not result.dry_run
        self._error(error)
        preview = self.query_one("#import-preview", Static)
        if result is None:
            preview.update("")
        elif result.dry_run:
            self.preview = result
            preview.update(render_preview(result))
            self._show_warnings(result)
        else:
            self.result = result
            preview.update("")
            preview.display = False  # the summary replaces it (the preview said "nothing written")
            summary = self.query_one("#import-summary", Static)
            summary.update(render_summary(result))
            self._bar.update(total=1, progress=1)
            self._show_warnings(result)
            self._lock_inputs()
            self.query_one("#import-box").border_subtitle = _("u undo import · escape close")
            self.call_after_refresh(summary.scroll_visible)
            if result.batch_id is not None:
                self._find_duplicates(result.batch_id)
        self.refresh_bindings()

    def _show_warnings(self, result: ImportResult) -> None:
        """Every warning kept (up to the importer's cap) with its line: values dropped or kept unverified."""
        title = self.query_one("#import-warnings-title", Static)
        table = self.query_one("#import-warnings", DataTable)
        fill_warnings(table, result)
        n = result.counts.warnings
        message = ngettext("{n} warning: a value dropped or kept unverified",
                           "{n} warnings: values dropped or kept unverified", n)  # fmt: skip
        title.update(Text(message.format(n=n)))
        title.display = table.display = bool(n)

    def _lock_inputs(self) -> None:
        """After the import the file and options no longer apply; their fields must not take `u` or `D`."""
        for widget in (*self.query(Input), *self.query(Select)):
            widget.disabled = True
        table = self.query_one("#import-warnings", DataTable)
        if table.display:
            table.focus()
        else:
            self.set_focus(None)

    # --- after the import: undo, duplicates ----------------------------------------------------------

    def action_undo(self) -> None:
        result = self.result
        if result is None or result.batch_id is None or self.undo is not None or self.running:
            return
        batch_id = result.batch_id
        question = _(
            "Undo the import of {file} (batch {id})? The contacts it created are removed and the fields it "
            "changed go back, except what was worked on since: that stays, and is listed."
        ).format(file=result.file, id=batch_id)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.running = True
                self.refresh_bindings()
                self._undo(batch_id)

        self.app.push_screen(ConfirmDialog(question, _("Undo import")), confirmed)

    @work(thread=True, exclusive=True, group="import-csv")
    def _undo(self, batch_id: int) -> None:
        try:
            outcome = undo_batch(self.store, batch_id)
        except Exception as exc:  # noqa: BLE001 - a store or database error is shown, never a crash
            self.app.call_from_thread(self._undone, None, str(exc))
        else:
            self.app.call_from_thread(self._undone, outcome, "")

    def _undone(self, outcome: UndoResult | None, error: str) -> None:
        self.running = False
        self._error(error)
        if outcome is not None:
            self.undo = outcome
            box = self.query_one("#import-undo", Static)
            box.update(render_undo(outcome))
            box.display = True
            self.query_one("#import-duplicates", Static).display = False
            self.query_one("#import-box").border_subtitle = _("escape close")
            self.call_after_refresh(box.scroll_visible)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="import-duplicates")
    def _find_duplicates(self, batch_id: int) -> None:
        """The batch's possible duplicates (store.batch_duplicates: the CLI's count), counted after the summary
        is on screen (the finder may take a moment on a large database)."""
        try:
            groups = self.store.batch_duplicates(batch_id)
        except Exception:  # noqa: BLE001 - only a hint: the import itself is done and shown
            return
        self.app.call_from_thread(self._duplicates_found, len(groups))

    def _duplicates_found(self, groups: int) -> None:
        if self.undo is not None or not groups:
            return
        self.duplicate_groups = groups
        hint = self.query_one("#import-duplicates", Static)
        hint.update(
            Text(ngettext("{n} possible duplicate — press D to review", "{n} possible duplicates — press D to review",
                          groups).format(n=groups))
        )  # fmt: skip
        hint.display = True
        self.query_one("#import-box").border_subtitle = _("D duplicates · u undo import · escape close")
        self.refresh_bindings()

    def action_duplicates(self) -> None:
        batch_id = self.result.batch_id if self.result is not None else None
        if not self.duplicate_groups or self.undo is not None or batch_id is None:
            return
        from .duplicates import DuplicatesScreen

        self.app.push_screen(DuplicatesScreen(batch_id=batch_id))  # the batch as it is now (merges included)

    def _error(self, message: str) -> None:
        error = self.query_one("#import-error", Static)
        error.update(Text(message))
        error.display = bool(message)


# --- what the dialog shows ----------------------------------------------------------------------------


def _counts_table(result: ImportResult, title: str) -> Table:
    counts = result.counts
    table = Table(title=title, title_justify="left", show_edge=False, box=None, padding=(0, 2, 0, 0))
    labels = [
        (_("create"), counts.created),
        (_("update"), counts.updated + counts.merged),
        (_("skip"), counts.skipped + counts.unchanged),
        (_("reject"), counts.rejected),
        (_("warnings"), counts.warnings),
    ]
    for label, _n in labels:
        table.add_column(Text(label), justify="right")
    table.add_row(*(Text(f"{n:,}".replace(",", ".")) for _label, n in labels))
    return table


def render_preview(result: ImportResult) -> Table:
    """The mapping (column → field), the counts, the first rejected rows with line numbers and reasons."""
    outer = Table.grid(padding=(1, 0))
    outer.add_column()
    head = Text(
        _("{file}: {encoding}, delimiter {delimiter}, {rows} rows (dry run: nothing written)").format(
            file=result.file, encoding=result.encoding, delimiter=repr(result.delimiter), rows=result.counts.rows
        )
    )
    outer.add_row(head)
    mapping = Table(show_edge=False, box=None, padding=(0, 2, 0, 0), title=_("Mapping"), title_justify="left")
    mapping.add_column(Text(_("column")))
    mapping.add_column(Text(_("field")))
    for column in result.columns:
        mapping.add_row(Text(column.header), Text(column.describe()))
    outer.add_row(mapping)
    outer.add_row(_counts_table(result, _("Would")))
    if result.new_fields:
        outer.add_row(Text(_("New custom fields: {names}").format(names=", ".join(result.new_fields))))
    if result.rejects:
        rejects = Table(show_edge=False, box=None, padding=(0, 2, 0, 0), title=_("Rejected rows"), title_justify="left")
        rejects.add_column(Text(_("line")), justify="right")
        rejects.add_column(Text(_("reason")))
        for reject in result.rejects[:REJECTS_SHOWN]:
            rejects.add_row(Text(str(reject.line)), Text(reject.reason))
        if result.counts.rejected > REJECTS_SHOWN:
            more = result.counts.rejected - REJECTS_SHOWN
            rejects.add_row(Text("…"), Text(ngettext("{n} more", "{n} more", more).format(n=more)))
        outer.add_row(rejects)
    for part in render_decisions(result):
        outer.add_row(part)
    return outer


DECISIONS_SHOWN = 8


def _findings_titles() -> dict[str, str]:
    return {
        "placeholders": _("Placeholders read as empty"),
        "shared": _("Shared by several people: not used to match"),
        "shared_numbers": _("Shared numbers: contacts kept apart"),
    }


def render_decisions(result: ImportResult) -> list[Any]:
    """Notes on the file, the merges the import makes (with the key that matched) and the values it did not
    use to match people, so they are seen before anything is written."""
    parts: list[Any] = [Text(_("note: {note}").format(note=note)) for note in result.notes]
    if result.decisions:
        merges = Table(show_edge=False, box=None, padding=(0, 2, 0, 0), title=_("Merges"), title_justify="left")
        merges.add_column(Text(_("line")), justify="right")
        merges.add_column(Text(_("decision")))
        for line, text in result.decisions[:DECISIONS_SHOWN]:
            merges.add_row(Text(str(line)), Text(text))
        if len(result.decisions) > DECISIONS_SHOWN:
            merges.add_row(Text("…"), Text(_("{n} more").format(n=len(result.decisions) - DECISIONS_SHOWN)))
        parts.append(merges)
    for kind, title in _findings_titles().items():
        found = result.findings.get(kind) or {}
        if found:
            parts.append(Text(title, style="italic"))  # not a table title: it would wrap to the table's width
            table = Table(show_edge=False, box=None, padding=(0, 2, 0, 0))
            table.add_column(Text(_("value")))
            table.add_column(Text(_("rows")), justify="right")
            for value, rows in list(found.items())[:DECISIONS_SHOWN]:
                table.add_row(Text(value), Text(str(rows)))
            parts.append(table)
    return parts


def render_summary(result: ImportResult) -> Any:
    outer = Table.grid(padding=(1, 0))
    outer.add_column()
    outer.add_row(_counts_table(result, _("Imported {file}").format(file=result.file)))
    for kind, title in _findings_titles().items():
        found = result.findings.get(kind) or {}
        if found:
            outer.add_row(Text(_("{title}: {n} value(s)").format(title=title, n=len(found))))
    outer.add_row(
        Text(
            _("Batch {id}: u undoes it here (or `koachify import --undo {id}`). escape closes.").format(
                id=result.batch_id
            ),
            style="bold",
        )
    )
    return outer


def warnings_table() -> DataTable[Text]:
    table: DataTable[Text] = DataTable(id="import-warnings", cursor_type="row", zebra_stripes=True)
    table.add_column(Text(_("line")), key="line")
    table.add_column(Text(_("warning")), key="message")
    return table


def fill_warnings(table: DataTable[Text], result: ImportResult) -> None:
    table.clear()
    for line, message in result.warnings:
        table.add_row(Text(str(line), justify="right"), Text(message))
    more = result.counts.warnings - len(result.warnings)
    if more > 0:
        table.add_row(Text("…"), Text(ngettext("{n} more", "{n} more", more).format(n=more)))


def render_undo(outcome: UndoResult) -> Text:
    """What the undo did and what it kept, with the reasons (the lines of `koachify import --undo`)."""
    lines = [
        ngettext(
            "Undid batch {id}: {n} contact removed, {restored} restored",
            "Undid batch {id}: {n} contacts removed, {restored} restored",
            outcome.removed,
        ).format(id=outcome.batch_id, n=outcome.removed, restored=outcome.restored)
    ]
    for cid, why in outcome.contacts_kept:
        lines.append(_("  kept contact #{id}: {why}").format(id=cid, why=why))
    for kept in outcome.changes_kept:
        where = f"#{kept.contact_id}" if kept.entity == "contact" else f"{kept.entity} #{kept.entity_id}"
        lines.append(_("  kept {where} {field}, {why}").format(where=where, field=kept.field, why=kept.reason))
    if not outcome.complete:
        lines.append(
            _("Batch {id} is partly undone: what was changed after it stays. Run the undo again to revert the rest "
              "once those changes are gone.").format(id=outcome.batch_id)
        )  # fmt: skip
    text = Text("\n".join(lines))
    text.stylize("bold", 0, len(lines[0]))
    return text
