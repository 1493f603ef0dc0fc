"""One opportunity: its fields, contact, stage history, notes/tasks/appointments and custom fields.

Jumping to the contact (`c`) goes through `KoachifyApp.show_contact`, the one way screens open a contact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static

from ..formatting import datetime_short, money
from ..history_text import history_text, status_word
from ..i18n import _, ngettext
from ..messages import StoreChanged
from ..store import Store, StoreError
from ..store.dates import date_hint, parse_datetime
from ..store.normalize import InvalidValue
from ..store.timeline import KIND_GROUPS
from ..widgets.chrome import Footer, Header
from ..widgets.timeline import TimelineView
from .activity_keys import ItemActions, item_ref
from .base import AppAccess
from .writes import ScreenWrites, error_text

ACTIVITY_TITLES = {"note": _("New note"), "task": _("New task"), "appointment": _("New appointment")}


class ActivityForm(ScreenWrites, ModalScreen[bool]):
    """Add a note, a task (with an optional due date) or an appointment to an opportunity.

    | Key | Action |
    | --- | --- |
    | enter (last field), ctrl+s | Save |
    | escape | Cancel |
    """

    DEFAULT_CSS = """
    ActivityForm { align: center middle; }
    ActivityForm > Vertical { width: 70; max-width: 100%; height: auto; background: $panel;
        border: thick $primary; padding: 0 1; }
    ActivityForm Label { color: $foreground-muted; margin-top: 1; }
    ActivityForm #activity-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="activity.cancel", tooltip=_("Close without saving")),
        Binding("ctrl+s", "save", _("Save"), id="activity.save", tooltip=_("Save"), priority=True),
    ]

    def __init__(self, store: Store, opportunity_id: int, kind: str) -> None:
        super().__init__()
        self.store, self.opportunity_id, self.kind = store, opportunity_id, kind

    def _locale(self) -> str | None:
        """The user's locale, for the order of typed dates (none when run outside KoachifyApp)."""
        settings = getattr(self.app, "settings", None)
        return getattr(settings, "locale", None)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _(ACTIVITY_TITLES[self.kind])
            box.border_subtitle = _("ctrl+s saves · escape cancels")
            yield Label(_("Text") if self.kind == "note" else _("Title"))
            yield Input(id="activity-text")
            if self.kind == "task":
                yield Label(_("Due ({order} [hh:mm], +3, tomorrow) — optional").format(order=date_hint(self._locale())))
                yield Input(id="activity-when")
            elif self.kind == "appointment":
                yield Label(_("When ({order} hh:mm)").format(order=date_hint(self._locale())))
                yield Input(id="activity-when")
                yield Label(_("Where — optional"))
                yield Input(id="activity-where")
            yield Static("", id="activity-error")

    def on_mount(self) -> None:
        self.query_one("#activity-text", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def action_save(self) -> None:
        text = self.query_one("#activity-text", Input).value
        store, oid = self.store, self.opportunity_id
        write: Callable[[], object]
        try:
            if self.kind == "note":
                write = partial(store.add_note, text, opportunity_id=oid, origin="tui")
            elif self.kind == "task":
                when = self.query_one("#activity-when", Input).value.strip()
                due = parse_datetime(when, locale=self._locale()) if when else None
                write = partial(store.add_task, text, opportunity_id=oid, due_at=due, origin="tui")
            else:
                starts = parse_datetime(self.query_one("#activity-when", Input).value, locale=self._locale())
                where = self.query_one("#activity-where", Input).value
                write = partial(store.add_appointment, text, starts, location=where, opportunity_id=oid, origin="tui")
        except (StoreError, InvalidValue) as exc:
            self._show_error(exc)
            return
        self.run_store_write(
            write,
            done=lambda _r: self.dismiss(True),
            failed=self._show_error,
            gave_up=lambda: self._show_error(StoreError(_("gave up waiting for the database; nothing was saved"))),
        )

    def _show_error(self, exc: Exception) -> None:
        self.query_one("#activity-error", Static).update(Text(error_text(exc)))

    def action_cancel(self) -> None:
        self.dismiss(False)


class OpportunityDetail(ScreenWrites, AppAccess, Screen[int | None]):
    """Everything about one deal. Dismisses with its id so the board can put the cursor back on it.

    | Key | Action |
    | --- | --- |
    | escape, q | Back |
    | c | Go to the contact |
    | e | Edit the deal (with the activity list focused: its highlighted line) |
    | N / T / a | Add a note / task / appointment (the same keys as on the contact) |
    | d / u | Delete the deal (after confirming) / undo the delete |
    | tab | To the list of notes, tasks, appointments and calls: e, d (u undoes), x, z as on the timeline |

    The history shows stage moves, status changes and edits ("Value: 1.000,00 € → 1.500,00 €").
    """

    BINDINGS = [
        Binding("escape,q", "back", _("Back"), id="detail.back", tooltip=_("Back to the board")),
        Binding("c", "contact", _("Contact"), id="detail.contact", tooltip=_("Show the contact of this deal")),
        Binding("e", "edit", _("Edit"), id="detail.edit", tooltip=_("Edit the opportunity")),
        Binding("N", "add('note')", _("Note"), id="detail.note", tooltip=_("Add a note to the deal")),
        Binding("T", "add('task')", _("Task"), id="detail.task", tooltip=_("Add a task to the deal")),
        Binding("a", "add('appointment')", _("Appointment"), id="detail.appointment", tooltip=_("Add an appointment")),
        Binding("d", "delete", _("Delete"), id="detail.delete", tooltip=_("Delete the opportunity (u undoes)")),
        Binding("u", "undo", _("Undo"), id="detail.undo", tooltip=_("Undo the delete")),
    ]
    DEFAULT_CSS = """
    OpportunityDetail #detail-body { height: 1fr; }
    OpportunityDetail #detail-fields { width: 50; padding: 0 1; border-right: vkey $panel; }
    OpportunityDetail #detail-side { width: 1fr; padding: 0 1; }
    OpportunityDetail .detail-heading { text-style: bold; color: $primary; margin-top: 1; }
    OpportunityDetail #detail-activities { height: auto; max-height: 24; }
    OpportunityDetail #detail-activities-empty { color: $foreground-muted; }
    """

    def __init__(self, opportunity_id: int, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.opportunity_id = opportunity_id
        self._clock = clock or (lambda: datetime.now(UTC))
        self.deleted_txn: str | None = None  # the delete `u` reverts
        self.deleted = False
        self.items = ItemActions(self, self.load)
        self.contact_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="detail-body"):
            with VerticalScroll(id="detail-fields"):
                yield Static(id="detail-info")
            with VerticalScroll(id="detail-side", can_focus=False):  # tab goes straight to the activity list
                yield Static(_("History"), classes="detail-heading")
                yield Static(id="detail-history")
                yield Static(_("Notes, tasks, appointments, calls"), classes="detail-heading")
                yield Static(_("Nothing yet: N adds a note, T a task, a an appointment."), id="detail-activities-empty")
                yield TimelineView(locale=self.locale, id="detail-activities", show_deal=False)
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one("#detail-activities", TimelineView)
        view.item_keys = True
        view.undoable = lambda: self.items.can_undo(("deal", self.opportunity_id))
        self.load()

    def load(self) -> None:
        try:
            row = self.store.opportunity_row(self.opportunity_id)
        except StoreError:
            self.dismiss(None)
            return
        self.title = row.title
        self.deleted = row.deleted_at is not None
        if self.deleted:  # `u` undoes only this screen's delete; an older one is restored from the board (D)
            self.sub_title = _("Opportunity (deleted: u undoes)") if self.deleted_txn else _("Opportunity (deleted)")
        else:
            self.sub_title = _("Opportunity")
        locale = self.locale
        info = Table.grid(padding=(0, 1))
        info.add_column(style="dim", no_wrap=True)
        info.add_column()
        days = max(0, (self._clock() - row.last_stage_change_at).days)
        fields: list[tuple[str, str]] = [
            (_("Title"), row.title),
            (_("Contact"), row.contact_name),
            (_("Pipeline"), row.pipeline),
            (
                _("Stage"),
                _("{stage} ({days})").format(
                    stage=row.stage, days=ngettext("{n} day", "{n} days", days).format(n=days)
                ),
            ),
            (_("Status"), status_word(row.status) + (f" — {row.lost_reason}" if row.lost_reason else "")),
            (_("Value"), money(row.value_minor, row.currency, locale)),
            (_("Owner"), row.owner),
            (_("Source"), row.source),
            (_("Tags"), ", ".join(row.tags)),
            (_("Created"), datetime_short(row.created_at, locale)),
        ]
        labels = {f.key: f.label for f in self.store.list_fields("opportunity")}
        for key, value in self.store.field_values("opportunity", row.id).items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            fields.append((labels.get(key, key), shown))
        for label, value in fields:
            info.add_row(Text(label), Text(value))
        self.query_one("#detail-info", Static).update(info)
        self.query_one("#detail-history", Static).update(self._history(row.contact_id))
        self.contact_id = row.contact_id
        self._activities(row.contact_id)

    def _history(self, contact_id: int) -> Table:
        """Stage moves, status changes and field edits of the deal, oldest first (as the stage history was)."""
        history = Table.grid(padding=(0, 1))
        history.add_column(style="dim", no_wrap=True)
        history.add_column()
        items = self.store.timeline(
            contact_id, opportunity_id=self.opportunity_id, kinds=KIND_GROUPS["changes"], limit=200, locale=self.locale
        )
        for item in reversed(items):
            history.add_row(Text(datetime_short(item.at, self.locale)), Text(history_text(item.kind, item.text)))
        return history

    def _activities(self, contact_id: int) -> None:
        """The deal's notes, tasks, appointments and calls, newest first, with the timeline's item keys."""
        items = self.store.timeline(
            contact_id, opportunity_id=self.opportunity_id, kinds=("note", "task", "appointment", "message"), limit=100
        )
        view = self.query_one("#detail-activities", TimelineView)
        view.reset(items, page=100, keep_cursor=True)
        view.display = bool(items)
        self.query_one("#detail-activities-empty", Static).display = not items

    @on(TimelineView.ItemKey)
    def _item_key(self, event: TimelineView.ItemKey) -> None:
        event.stop()
        scope = ("deal", self.opportunity_id)
        if event.action == "undo":
            self.items.undo(scope)
        elif event.item is not None and self.contact_id is not None:
            getattr(self.items, event.action)(item_ref(event.item, self.contact_id), scope)

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(self.opportunity_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A deleted deal can only be undeleted (`u`) or left; `u` applies only to this screen's delete."""
        if action == "undo":
            return True if self.deleted_txn is not None and self.deleted else None
        if self.deleted and action in {"add", "edit", "delete"}:
            return None
        return True

    def action_delete(self) -> None:
        from .contact_forms import ConfirmDialog

        try:
            row = self.store.opportunity_row(self.opportunity_id)
        except StoreError:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store_write(partial(self.store.delete_opportunity, row.id, origin="tui"), done=deleted)

        def deleted(_result: object) -> None:
            self.deleted_txn = self.written_txn
            self.load()
            self.refresh_bindings()
            message = _("Deleted “{title}” — u to undo, escape goes back")
            self.notify(Text(message.format(title=row.title)).plain, markup=False, timeout=4)

        question = _("Delete “{title}” ({contact})? (u undoes)").format(title=row.title, contact=row.contact_name)
        self.app.push_screen(ConfirmDialog(question, _("Delete opportunity")), confirmed)

    def action_undo(self) -> None:
        txn = self.deleted_txn
        if txn is None:
            return

        def undone(outcome: Any) -> None:
            self.deleted_txn = None
            self.load()
            self.refresh_bindings()
            if outcome.kept and not outcome.reverted:
                self.notify(Text(_("Not undone: {why}").format(why=outcome.kept[0].reason)).plain, markup=False)
            else:
                self.notify(Text(_("Undone: restored “{title}”").format(title=self.title or "")).plain, markup=False)

        self.run_store_write(partial(self.store.undo_changes, txn, origin="tui"), done=undone)

    def action_add(self, kind: str) -> None:
        self.app.push_screen(ActivityForm(self.store, self.opportunity_id, kind), lambda _ok: self.load())

    def action_edit(self) -> None:
        from .opportunity_form import OpportunityForm

        self.app.push_screen(OpportunityForm(self.store, opportunity_id=self.opportunity_id), lambda _id: self.load())

    def action_contact(self) -> None:
        """Switch to the contacts screen and ask it to select this deal's contact (see module docstring)."""
        contact_id = self.store.opportunity_row(self.opportunity_id).contact_id
        self.dismiss(self.opportunity_id)

        self.app.show_contact(contact_id)  # type: ignore[attr-defined]
