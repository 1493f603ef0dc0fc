"""Follow-up sequences ("campagne"): their steps, who is in them now, and a form to write them."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, TextArea

from ..automations import sequences as seq
from ..formatting import date_short
from ..i18n import _, ngettext
from ..store import InvalidValue, NotFound
from ..widgets.chrome import Footer, Header
from .base import AppAccess
from .pickers import Confirm
from .writes import WRITE_ERRORS, ScreenWrites, error_text

_STEP_LINE = re.compile(r"^\s*\+?(\d{1,4})\s*d?\s+(task|note)\s+(.+)$", re.IGNORECASE)


def steps_to_text(steps: tuple[seq.StepInfo, ...]) -> str:
    """One step a line: `DAYS task|note TITLE`, the form the sequence form edits."""
    return "\n".join(f"{s.delay_days} {s.action} {s.title or s.body}" for s in steps)


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Parse the form's step lines; raise InvalidValue naming the first bad line."""
    steps: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _STEP_LINE.match(line)
        if match is None:
            raise InvalidValue(
                _("line {n}: write “DAYS task TITLE” or “DAYS note TEXT”, e.g. “3 task Richiamare”").format(n=number)
            )
        days, action, title = int(match.group(1)), match.group(2).lower(), match.group(3).strip()
        steps.append({"delay_days": days, "action": action, "title": title, "body": title if action == "note" else ""})
    if not steps:
        raise InvalidValue(_("a sequence needs at least one step"))
    return steps


class SequenceForm(ModalScreen[dict[str, Any] | None]):
    """New or edited sequence: name, description and one step a line. Dismisses with the values or None.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel |
    """

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="sequence_form.save", tooltip=_("Save the sequence")),
        Binding("escape", "cancel", _("Cancel"), id="sequence_form.cancel", tooltip=_("Close without saving")),
    ]

    def __init__(self, existing: seq.SequenceInfo | None = None) -> None:
        super().__init__()
        self._existing = existing

    def compose(self) -> ComposeResult:
        existing = self._existing
        with Vertical(id="sequence-form") as box:
            box.border_title = _("Edit sequence") if existing else _("New sequence")
            box.border_subtitle = _("ctrl+s saves · escape cancels")
            yield Label(_("Name"))
            yield Input(existing.name if existing else "", id="sequence-name")
            yield Label(_("Description"))
            yield Input(existing.description if existing else "", id="sequence-description")
            yield Label(_("Steps, one a line: days after the previous step, task or note, title"))
            yield TextArea(steps_to_text(existing.steps) if existing else "0 task ", id="sequence-steps")
            yield Label("", id="sequence-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#sequence-name", Input).focus()

    def action_save(self) -> None:
        name = self.query_one("#sequence-name", Input).value.strip()
        error = self.query_one("#sequence-error", Label)
        if not name:
            error.update(_("A sequence needs a name"))
            return
        try:
            steps = parse_steps(self.query_one("#sequence-steps", TextArea).text)
        except InvalidValue as exc:
            error.update(str(exc))
            return
        description = self.query_one("#sequence-description", Input).value.strip()
        self.dismiss({"name": name, "description": description, "steps": steps})

    def action_cancel(self) -> None:
        self.dismiss(None)


class SequencesScreen(ScreenWrites, AppAccess, Screen[None]):
    """Follow-up sequences and the contacts in them.

    | Key | Action |
    | --- | --- |
    | n | New sequence |
    | e, enter | Edit |
    | space | Pause / resume |
    | d | Delete (after confirming) |
    | escape | Back to the rules |
    """

    TITLE = _("Sequences")
    CSS_PATH = "sequences.tcss"
    BINDINGS = [
        Binding("n", "new", _("New"), id="sequences.new", tooltip=_("Create a sequence")),
        Binding("e", "edit", _("Edit"), id="sequences.edit", tooltip=_("Edit the highlighted sequence")),
        Binding("space", "toggle_enabled", _("Pause/resume"), id="sequences.toggle", tooltip=_("Pause or resume it")),
        Binding("d", "delete", _("Delete"), id="sequences.delete", tooltip=_("Delete it and its enrolments")),
        Binding("escape", "back", _("Back"), id="sequences.back", tooltip=_("Back to the automation rules")),
        Binding("j", "cursor(1)", _("Down"), id="sequences.down", show=False),
        Binding("k", "cursor(-1)", _("Up"), id="sequences.up", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sequences: list[seq.SequenceInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="sequence-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="enrollment-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sequence-table", DataTable)
        for label, key in ((_("On"), "on"), (_("Name"), "name"), (_("Steps"), "steps"), (_("In it now"), "active")):
            table.add_column(label, key=key)
        enrolled = self.query_one("#enrollment-table", DataTable)
        for label, key in ((_("Contact"), "contact"), (_("Next step"), "step"), (_("Due"), "due")):
            enrolled.add_column(label, key=key)
        table.focus()
        self.load()

    def load(self, select_id: int | None = None) -> None:
        table = self.query_one("#sequence-table", DataTable)
        keep = table.cursor_row
        self.sequences = seq.list_sequences(self.store)
        table.clear()
        for info in self.sequences:
            steps = " → ".join(f"+{s.delay_days}d {s.title or s.body}" for s in info.steps)
            table.add_row(
                Text("●" if info.enabled else "○"), Text(info.name), Text(steps), str(info.active), key=str(info.id)
            )
        table.border_title = _("Sequences ({n})").format(n=len(self.sequences))
        if select_id is not None:
            keep = next((i for i, s in enumerate(self.sequences) if s.id == select_id), keep)
        if self.sequences:
            table.move_cursor(row=min(keep, len(self.sequences) - 1))
        self._show_enrollments()

    def _current(self) -> seq.SequenceInfo | None:
        row = self.query_one("#sequence-table", DataTable).cursor_row
        return self.sequences[row] if 0 <= row < len(self.sequences) else None

    def _show_enrollments(self) -> None:
        enrolled = self.query_one("#enrollment-table", DataTable)
        enrolled.clear()
        current = self._current()
        if current is None:
            enrolled.border_title = _("Nobody enrolled")
            return
        locale = self.locale
        rows = seq.enrollments(self.store, sequence=current.id)
        for e in rows[:500]:
            try:
                name = self.store.get_contact(e.contact_id).display_name
            except NotFound:
                continue
            enrolled.add_row(Text(name), f"{e.next_step + 1}/{e.steps}", date_short(e.next_due_at, locale))
        enrolled.border_title = _("In “{name}” now ({n})").format(name=current.name, n=len(rows))

    @on(DataTable.RowHighlighted, "#sequence-table")
    def _highlighted(self) -> None:
        self._show_enrollments()

    @on(DataTable.RowSelected, "#sequence-table")
    def _selected(self) -> None:
        self.action_edit()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#sequence-table", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    def action_back(self) -> None:
        self.dismiss()

    @work
    async def action_new(self) -> None:
        values = await self.app.push_screen_wait(SequenceForm())
        if values is None:
            return
        try:
            info = await self.store_write(
                partial(
                    seq.create_sequence, self.store, values["name"], values["steps"], description=values["description"]
                )
            )
        except WRITE_ERRORS as exc:
            self.notify(error_text(exc), severity="error", markup=False)
            return
        self.load(select_id=info.id)

    @work
    async def action_edit(self) -> None:
        current = self._current()
        if current is None:
            return
        values = await self.app.push_screen_wait(SequenceForm(current))
        if values is None:
            return
        try:
            await self.store_write(partial(seq.update_sequence, self.store, current.id, **values))
        except WRITE_ERRORS as exc:
            self.notify(error_text(exc), severity="error", markup=False)
            return
        self.load(select_id=current.id)

    def action_toggle_enabled(self) -> None:
        current = self._current()
        if current is not None:
            self.run_store_write(
                partial(seq.update_sequence, self.store, current.id, enabled=not current.enabled),
                done=lambda _r: self.load(select_id=current.id),
            )

    @work
    async def action_delete(self) -> None:
        current = self._current()
        if current is None:
            return
        question = ngettext(
            "Delete the sequence “{name}” and its {n} active enrolment?",
            "Delete the sequence “{name}” and its {n} active enrolments?",
            current.active,
        ).format(name=current.name, n=current.active)
        if await self.app.push_screen_wait(Confirm(question)):
            self.run_store_write(partial(seq.delete_sequence, self.store, current.id), done=lambda _r: self.load())
