"""The keys that act on one note, task, appointment or message wherever it is listed (the contact's timeline,
the deal's detail, the agenda), so each means the same everywhere:

| Key | Action |
| --- | --- |
| e | Edit it (the form opens filled in) |
| d | Delete it: the notice says what went, `u` right after brings it back |
| x, space | Complete / reopen a task |
| z | Snooze a task: then `1`…`9` days later, `w` a week later, or `tab` to type a date |
| u | Undo the last of these on what is on screen (within the undo window, like the contact list's `u`) |

Every write goes through the screen's `run_store_write` (never blocks on the database lock) and is undone with
`Store.undo_changes`, which keeps whatever was changed again since."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ..formatting import datetime_short
from ..i18n import _
from ..store import NotFound, TimelineItem
from ..store.activity_rules import due_from_text, snoozed_due
from ..store.dates import date_hint
from ..store.normalize import InvalidValue
from ..widgets.timeline import one_line
from .contact_forms import ActivityForm, Target
from .writes import ScreenWrites, error_text

ITEM_KINDS = ("note", "task", "appointment", "message")
WHAT = {
    "note": _("note “{text}”"),
    "task": _("task “{text}”"),
    "appointment": _("appointment “{text}”"),
    "message": _("message “{text}”"),
}


@dataclass(frozen=True)
class ItemRef:
    """The item a key acts on, as the list shows it."""

    kind: str
    id: int
    text: str
    contact_id: int
    opportunity_id: int | None = None
    done: bool = False
    due_at: datetime | None = None

    @property
    def what(self) -> str:
        return _(WHAT[self.kind]).format(text=one_line(self.text, 40))


def item_ref(item: TimelineItem, contact_id: int) -> ItemRef:
    """The ItemRef of a timeline line (a note, task, appointment or message)."""
    due = item.detail.get("due_at") if item.kind == "task" else None
    return ItemRef(item.kind, item.ref_id, item.text, contact_id, item.opportunity_id, item.done, due)


@dataclass(frozen=True)
class UndoEntry:
    txn: str
    what: str
    scope: object  # what the list showed (a contact, a deal, the agenda): `u` elsewhere does not reach it
    when: float


@dataclass(frozen=True)
class Snooze:
    """What the snooze dialog chose: some days later (from the due date, or today when overdue), or a time."""

    days: int | None = None
    until: datetime | None = None


class SnoozeDialog(ModalScreen[Snooze | None]):
    """Move a task's due date: `1`…`9` days later, `w` a week later, or type a date (the app's date input).

    | Key | Action |
    | --- | --- |
    | 1 … 9 | That many days later |
    | w | A week later |
    | tab | Type a date (enter saves it) |
    | escape | Cancel |
    """

    AUTO_FOCUS = ""  # nothing focused: the digit keys act at once; tab reaches the date
    DEFAULT_CSS = """
    SnoozeDialog { align: center middle; }
    SnoozeDialog > Vertical { width: 64; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1; }
    SnoozeDialog #snooze-hint { color: $foreground-muted; }
    SnoozeDialog #snooze-error { color: $error; height: auto; }
    """
    BINDINGS = [
        *(Binding(str(n), f"days({n})", show=False) for n in range(1, 10)),
        Binding("w", "days(7)", _("A week"), id="snooze.week", tooltip=_("Due a week later")),
        Binding("escape", "cancel", _("Cancel"), id="snooze.cancel", tooltip=_("Keep the due date")),
    ]

    def __init__(self, ref: ItemRef, *, locale: str | None = None) -> None:
        super().__init__()
        self.ref, self.locale = ref, locale

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("Snooze")
            box.border_subtitle = _("escape cancels")
            due = datetime_short(self.ref.due_at, self.locale or "it_IT") if self.ref.due_at else _("no due date")
            yield Static(Text(f"{self.ref.what} · {due}"), markup=False)
            yield Static(_("1…9: days later · w: a week later (from today when overdue)"), id="snooze-hint")
            yield Label(
                Content(_("or tab and type a date ({order}, +3, tomorrow)").format(order=date_hint(self.locale)))
            )
            yield Input(id="snooze-date")
            yield Static("", id="snooze-error", markup=False)

    def action_days(self, days: int) -> None:
        self.dismiss(Snooze(days=days))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(Snooze(until=typed_due(event.value, self.ref.due_at, self.locale)))
        except InvalidValue as exc:
            self.query_one("#snooze-error", Static).update(Content(str(exc)))

    def action_cancel(self) -> None:
        self.dismiss(None)


def typed_due(text: str, due: datetime | None, locale: str | None) -> datetime:
    """A typed date through the app's shared parser; without a time, the task keeps its time of day."""
    return due_from_text(text, locale, keep=due)


class ItemActions:
    """The item keys of one list (see the module docstring): `host` is the widget that lists the items (its
    screen makes the writes), `reload` shows the list again after a change."""

    def __init__(self, host: Widget, reload: Callable[[], object]) -> None:
        self.host = host
        self.reload = reload
        self.undo_stack: list[UndoEntry] = []

    @property
    def screen(self) -> ScreenWrites:
        screen = self.host.screen
        assert isinstance(screen, ScreenWrites)
        return screen

    def _locale(self) -> str | None:
        return getattr(getattr(self.host.app, "settings", None), "locale", None)

    def _notify(self, message: str, *, severity: str = "information") -> None:
        self.host.app.notify(message, severity=severity, timeout=4, markup=False)  # type: ignore[arg-type]

    def _write(self, fn: Callable[[], Any], what: str, message: str, scope: object) -> None:
        """Run `fn`, remember it for `u`, say what it did."""

        def done(result: object) -> None:
            if result is None:  # gone meanwhile (NotFound): the list catches up
                self.reload()
                return
            self._remember(self.screen.written_txn, what, scope)
            self._notify(message)
            self.reload()

        self.screen.run_store_write(lambda: fn() or True, done=done, skip=(NotFound,))

    def _remember(self, txn: str | None, what: str, scope: object) -> None:
        from . import contacts

        if txn is not None:
            self.undo_stack.append(UndoEntry(txn, what, scope, contacts.undo_clock()))
            self.host.refresh_bindings()

    # --- the keys -----------------------------------------------------------------------------------------

    def edit(self, ref: ItemRef, scope: object) -> None:
        form = ActivityForm(ref.kind, Target(ref.contact_id, (), ref.opportunity_id), item_id=ref.id)

        def saved(kind: str | None) -> None:
            if kind:
                self._remember(form.txn, ref.what, scope)
                self._notify(_("Saved {what} — u to undo").format(what=ref.what) if form.txn else _("Nothing changed"))
                self.reload()

        try:
            self.host.app.push_screen(form, saved)
        except NotFound as exc:  # deleted meanwhile
            self._notify(str(exc), severity="warning")
            self.reload()

    def delete(self, ref: ItemRef, scope: object) -> None:
        store = self.screen._store
        message = _("Deleted {what} — u to undo").format(what=ref.what)
        self._write(partial(store.delete_activity, ref.kind, ref.id, origin="tui"), ref.what, message, scope)

    def toggle(self, ref: ItemRef, scope: object) -> None:
        if ref.kind != "task":
            self._notify(_("Only tasks can be completed"), severity="warning")
            return
        store = self.screen._store
        message = (_("Reopened {what} — u to undo") if ref.done else _("Done: {what} — u to undo")).format(
            what=ref.what
        )
        self._write(partial(store.complete_task, ref.id, done=not ref.done, origin="tui"), ref.what, message, scope)

    def snooze(self, ref: ItemRef, scope: object) -> None:
        if ref.kind != "task":
            self._notify(_("Only tasks can be snoozed"), severity="warning")
            return
        if ref.done:
            self._notify(_("This task is done: x reopens it first"), severity="warning")
            return
        store = self.screen._store

        def chosen(choice: Snooze | None) -> None:
            if choice is None:
                return
            if choice.days is not None:
                write = partial(store.snooze_task_by, ref.id, choice.days, origin="tui")
                until = snoozed_due(ref.due_at, choice.days, datetime.now().astimezone())
            else:
                assert choice.until is not None
                write, until = partial(store.snooze_task, ref.id, choice.until, origin="tui"), choice.until
                if ref.due_at is not None and until == ref.due_at:
                    return
            when = datetime_short(until, self._locale() or "it_IT")
            message = _("Snoozed {what} to {when} — u to undo").format(what=ref.what, when=when)
            self._write(write, ref.what, message, scope)

        self.host.app.push_screen(SnoozeDialog(ref, locale=self._locale()), chosen)

    def can_undo(self, scope: object) -> bool:
        """Whether `u` has something recent to undo on what the list shows now."""
        from . import contacts

        if not self.undo_stack:
            return False
        last = self.undo_stack[-1]
        return last.scope == scope and contacts.undo_clock() - last.when <= contacts.UNDO_WINDOW

    def undo(self, scope: object) -> bool:
        """Undo the last change made here on what is on screen; False (nothing done) when there is none."""
        if not self.can_undo(scope):
            return False
        entry = self.undo_stack.pop()
        store = self.screen._store

        def done(outcome: Any) -> None:
            if outcome is None:
                self._notify(_("Nothing to undo"))
            elif outcome.reverted:
                self._notify(_("Undone: {what} is as it was").format(what=entry.what))
            elif outcome.kept:
                self._notify(_("Not undone: {why}").format(why=outcome.kept[0].reason))
            else:
                self._notify(_("Nothing to undo"))
            self.host.refresh_bindings()
            self.reload()

        def failed(exc: Exception) -> None:
            self.undo_stack.append(entry)  # still there to try again
            self._notify(error_text(exc), severity="error")

        self.screen.run_store_write(
            partial(store.undo_changes, entry.txn, origin="tui"), done=done, failed=failed, skip=(NotFound,)
        )
        return True
