"""The agenda: overdue and upcoming tasks and the appointments ahead, across every contact and deal."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..formatting import datetime_short, local
from ..i18n import _, ngettext
from ..messages import StoreChanged
from ..store.activities import AgendaItem
from ..store.models import utcnow
from ..widgets.chrome import Footer, Header
from .activity_keys import ItemActions, ItemRef
from .base import AppAccess
from .writes import ScreenWrites

RANGES = (7, 30, 90)  # days ahead, cycled with `w`


class AgendaScreen(ScreenWrites, AppAccess, Screen[None]):
    """What needs doing: overdue tasks first (in red), then today's and the coming days' tasks and appointments.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓ | Move |
    | x, space | Complete the task (u brings it back right after) |
    | z | Snooze the task: 1…9 days later, w a week later, or a date |
    | e | Edit the task or appointment |
    | d | Delete it (u undoes right after) |
    | u | Undo the last of these |
    | enter, c | Open the contact |
    | w | Look 7, 30 or 90 days ahead |
    """

    TITLE = _("Agenda")
    CSS_PATH = "agenda.tcss"
    BINDINGS = [
        Binding("j", "cursor(1)", _("Down"), id="agenda.down", show=False),
        Binding("k", "cursor(-1)", _("Up"), id="agenda.up", show=False),
        Binding("x,space", "complete", _("Done"), id="agenda.done", tooltip=_("Mark the highlighted task done")),
        Binding("z", "snooze", _("Snooze"), id="agenda.snooze", tooltip=_("Move the task's due date")),
        Binding("e", "edit", _("Edit"), id="agenda.edit", tooltip=_("Edit the highlighted task or appointment")),
        Binding(
            "d", "delete", _("Delete"), id="agenda.delete", tooltip=_("Delete the highlighted task or appointment")
        ),
        Binding("u", "undo", _("Undo"), id="agenda.undo", tooltip=_("Undo the last change here"), show=False),
        Binding("c", "contact", _("Contact"), id="agenda.contact", tooltip=_("Open the contact of this item")),
        Binding("w", "range", _("Range"), id="agenda.range", tooltip=_("Look 7, 30 or 90 days ahead")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[AgendaItem] = []
        self.days = RANGES[0]
        self.actions = ItemActions(self, self.load)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="agenda-summary", markup=False)
        yield DataTable(id="agenda-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#agenda-table", DataTable)
        for label, key in (
            (_("When"), "at"),
            (_("What"), "kind"),
            (_("Title"), "title"),
            (_("Contact"), "contact"),
            (_("Deal"), "deal"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="agenda-load")
    def load(self) -> None:
        now = utcnow()
        items = self.store.agenda(until=now + timedelta(days=self.days), since=now - timedelta(hours=1))
        self.app.call_from_thread(self._show, items, now)

    def _show(self, items: list[AgendaItem], now: datetime) -> None:
        table = self.query_one("#agenda-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.items = items
        locale = self.locale
        today = local(now).date()
        overdue = sum(1 for i in items if i.kind == "task" and i.at < now)
        for item in items:
            late = item.kind == "task" and item.at < now
            style = "bold red" if late else "bold" if local(item.at).date() == today else ""
            title = f"{item.title} @ {item.location}" if item.location else item.title
            table.add_row(
                Text(datetime_short(item.at, locale), style=style),
                Text(_("Task") if item.kind == "task" else _("Appointment")),
                Text(title),
                Text(item.contact_name),
                Text(item.opportunity_title, style="dim"),
                key=f"{item.kind}:{item.id}",
            )
        if items:
            table.move_cursor(row=min(keep, len(items) - 1))
        summary = " · ".join(
            (
                ngettext("{n} overdue", "{n} overdue", overdue).format(n=overdue),
                ngettext("{n} in the next {days} days", "{n} in the next {days} days", len(items) - overdue).format(
                    n=len(items) - overdue, days=self.days
                ),
            )
        )
        self.query_one("#agenda-summary", Static).update(summary)
        table.border_title = _("Agenda")

    def _current(self) -> AgendaItem | None:
        row = self.query_one("#agenda-table", DataTable).cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#agenda-table", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    def _ref(self) -> ItemRef | None:
        item = self._current()
        if item is None:
            return None
        due = item.at if item.kind == "task" else None
        return ItemRef(item.kind, item.id, item.title, item.contact_id, item.opportunity_id, False, due)

    def action_complete(self) -> None:
        ref = self._ref()
        if ref is None or ref.kind != "task":
            self.notify(_("Only tasks can be completed"), severity="warning")
            return
        self.actions.toggle(ref, "agenda")

    def action_snooze(self) -> None:
        if ref := self._ref():
            self.actions.snooze(ref, "agenda")

    def action_edit(self) -> None:
        if ref := self._ref():
            self.actions.edit(ref, "agenda")

    def action_delete(self) -> None:
        if ref := self._ref():
            self.actions.delete(ref, "agenda")

    def action_undo(self) -> None:
        if not self.actions.undo("agenda"):
            self.notify(_("Nothing to undo"), timeout=2)

    @on(DataTable.RowSelected, "#agenda-table")
    def action_contact(self) -> None:
        item = self._current()
        if item is not None:
            self.app.show_contact(item.contact_id)  # type: ignore[attr-defined]

    def action_range(self) -> None:
        self.days = RANGES[(RANGES.index(self.days) + 1) % len(RANGES)]
        self.load()
