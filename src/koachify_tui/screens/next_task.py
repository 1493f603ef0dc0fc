"""`ctrl+t` from any screen: the next overdue task (the oldest due), `x` completes it and says which one;
`u` here undoes the last one completed this way (it stays named on this dialog until undone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..formatting import date_short, relative_days
from ..i18n import _, ngettext
from ..store import NotFound, Store
from ..store.activities import AgendaItem
from ..store.models import utcnow
from .base import AppAccess
from .writes import ScreenWrites

SCAN = 200  # overdue tasks read to count them ("1 of 34 overdue"); more are counted as "200+"


@dataclass(frozen=True)
class DoneTask:
    """A task completed from this dialog: what `u` reopens, if nobody changed it since."""

    task_id: int
    title: str
    contact_name: str
    done_at: datetime | None


def overdue_tasks(store: Store, now: datetime) -> list[AgendaItem]:
    """Open tasks due before now, of live contacts and deals, the oldest first."""
    return [i for i in store.agenda(until=now, since=now, limit=SCAN) if i.kind == "task"]


def reopen(store: Store, done: DoneTask) -> str:
    """Reopen a task completed here, unless it changed since: "reopened", "open", "changed" or "gone"."""
    try:
        task = store.get_activity("task", done.task_id)
    except NotFound:
        return "gone"
    if task.done_at is None:
        return "open"
    if done.done_at is not None and task.done_at.replace(tzinfo=None) != done.done_at.replace(tzinfo=None):
        return "changed"  # reopened and completed again meanwhile: that later completion stays
    store.complete_task(done.task_id, done=False, origin="tui")
    return "reopened"


class NextTaskDialog(ScreenWrites, AppAccess, ModalScreen[None]):
    """The next overdue task, ready to complete.

    | Key | Action |
    | --- | --- |
    | x | Complete it (the message names it) |
    | u | Undo the last task completed here |
    | enter | Open its contact |
    | escape | Close |
    """

    DEFAULT_CSS = """
    NextTaskDialog { align: center middle; }
    NextTaskDialog > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    NextTaskDialog #next-task-undo { color: $foreground-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("x", "complete", _("Done"), id="next_task.done", tooltip=_("Complete this task")),
        Binding("u", "undo", _("Undo"), id="next_task.undo", tooltip=_("Reopen the last task completed here")),
        Binding("enter", "contact", _("Contact"), id="next_task.contact", tooltip=_("Open the contact of the task")),
        Binding("escape", "close", _("Close"), id="next_task.close", tooltip=_("Close")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.item: AgendaItem | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("Next overdue task")
            box.border_subtitle = _("x done · u undo · enter contact · escape close")
            yield Static("", id="next-task", markup=False)
            yield Static("", id="next-task-undo", markup=False)

    def on_mount(self) -> None:
        self.show_next()

    @property
    def last_done(self) -> DoneTask | None:
        return self.koachify.last_done_task

    def _remember(self, done: DoneTask | None) -> None:
        self.koachify.last_done_task = done

    def show_next(self) -> None:
        now = utcnow()
        tasks = overdue_tasks(self.store, now)
        self.item = tasks[0] if tasks else None
        text = Text()
        if self.item is None:
            text.append(_("Nothing overdue."), style="bold")
        else:
            item = self.item
            text.append(f"«{item.title}»", style="bold")
            text.append("\n" + " · ".join(filter(None, (item.contact_name, item.opportunity_title))))
            count = f"{len(tasks)}+" if len(tasks) >= SCAN else str(len(tasks))
            late = ngettext("1 of {n} overdue", "1 of {n} overdue", len(tasks)).format(n=count)
            due = _("Due {date}, {late} ago").format(date=date_short(item.at, self.locale), late=relative_days(item.at))
            text.append("\n" + due + " · " + late, style="dim")
        self.query_one("#next-task", Static).update(text)
        done = self.last_done
        undo = Text()
        if done is not None:
            undo.append(
                _("Last done here: «{task}» ({name}) — u reopens it").format(task=done.title, name=done.contact_name)
            )
        self.query_one("#next-task-undo", Static).update(undo)

    def action_complete(self) -> None:
        item = self.item
        if item is None:
            self.notify(_("Nothing overdue"), timeout=2)
            return

        def completed(task: Any) -> None:
            if task is None:  # deleted meanwhile: show the next one
                self.show_next()
                return
            self._remember(DoneTask(item.id, item.title, item.contact_name, getattr(task, "done_at", None)))
            message = _("Done: «{task}» ({name}) — ctrl+t then u reopens it").format(
                task=item.title, name=item.contact_name
            )
            self.notify(message, timeout=5, markup=False)
            self.dismiss(None)

        self.run_store_write(partial(self.store.complete_task, item.id, origin="tui"), done=completed, skip=(NotFound,))

    def action_undo(self) -> None:
        done = self.last_done
        if done is None:
            self.notify(_("Nothing to undo"), timeout=2)
            return

        def undone(outcome: str) -> None:
            self._remember(None)
            messages = {
                "reopened": _("Undone: «{task}» is open again"),
                "changed": _("Not undone: «{task}» was completed again since"),
                "open": _("Nothing to undo: «{task}» is already open"),
                "gone": _("Nothing to undo: «{task}» was deleted"),
            }
            self.notify(messages[outcome].format(task=done.title), timeout=4, markup=False)
            self.show_next()

        self.run_store_write(partial(reopen, self.store, done), done=undone)

    def action_contact(self) -> None:
        if self.item is not None:
            contact_id = self.item.contact_id
            self.dismiss(None)
            self.app.show_contact(contact_id)  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss(None)
