"""The merged timeline of a contact, newest first, loaded a page at a time as the cursor nears the end."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.actions import SkipAction
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ..formatting import datetime_short, duration_short
from ..history_text import channel_word, history_text, outcome_word, status_word
from ..i18n import _
from ..store import TimelineItem

PAGE = 50

KIND_LABELS = {
    "note": _("note"),
    "task": _("task"),
    "appointment": _("appointment"),
    "message": _("message"),
    "created": _("created"),
    "stage_change": _("stage"),
    "status_change": _("status"),
    "import": _("import"),
    "automation": _("automation"),
    "deleted": _("deleted"),
    "restored": _("restored"),
    "change": _("edit"),
}


MAX_TEXT = 72  # one line per item: the table must not scroll sideways to show a long note


def one_line(value: str, limit: int = MAX_TEXT) -> str:
    flat = " ⏎ ".join(part.strip() for part in value.splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def call_details(duration_s: int | None, outcome: str) -> str:
    """ "5 min · no answer": a call's length and outcome, in the current language ("" when neither)."""
    return " · ".join(part for part in (duration_short(duration_s), outcome_word(outcome)) if part)


def item_text(item: TimelineItem) -> Text:
    """One line's text, never markup; changes read "from → to"."""
    shown = history_text(item.kind, item.text)
    text = Text(one_line(shown))
    if item.kind in ("stage_change", "status_change") and (item.detail.get("from") or item.detail.get("to")):
        before, after = str(item.detail.get("from", "")), str(item.detail.get("to", ""))
        if item.kind == "status_change":
            before, after = status_word(before), status_word(after)
        text = Text(f"{before} → {after}")
        if shown and not (before in shown and after in shown):  # skip a text that only repeats it
            text.append(f"  {one_line(shown, 40)}", style="dim")
    elif item.kind == "message":
        arrow = "→" if item.detail.get("direction") == "out" else "←"
        text = Text(f"{arrow} {channel_word(str(item.detail.get('channel', '')))}: ", style="dim")
        call = call_details(item.detail.get("duration_s"), str(item.detail.get("outcome") or ""))
        if call:
            text.append(call + ("  " if item.text else ""), style="bold")
        text.append(one_line(item.text))
    elif item.kind == "appointment" and item.detail.get("location"):
        text.append(f"  @ {item.detail['location']}", style="dim")
    return text


ITEM_KINDS = frozenset({"note", "task", "appointment", "message"})


class TimelineView(DataTable[Text]):
    """Notes, tasks, appointments, messages and changes of a contact and all its deals.

    Overdue open tasks are highlighted; done tasks are struck through. Posts `NeedMore` when the cursor gets
    near the last loaded line and more may exist, and `ItemKey` for the item keys (the host acts: see
    screens/activity_keys.py). A key that does not apply to the highlighted line falls through to the screen
    (`e` on a stage change edits the contact or the deal; `u` with nothing to undo here undoes the screen's).

    | Key | Action |
    | --- | --- |
    | e | Edit the highlighted note, task, appointment or message |
    | d | Delete it (u undoes right after) |
    | x, space | Complete / reopen the highlighted task |
    | z | Snooze the highlighted task |
    | u | Undo the last of these |
    """

    BINDINGS = [
        Binding("e", "item('edit')", _("Edit"), id="timeline.edit", tooltip=_("Edit the highlighted line")),
        Binding("d", "item('delete')", _("Delete"), id="timeline.delete", tooltip=_("Delete the highlighted line")),
        Binding(
            "x,space",
            "item('toggle')",
            _("Done"),
            id="detail.done",
            tooltip=_("Complete or reopen the highlighted task"),
        ),
        Binding("z", "item('snooze')", _("Snooze"), id="timeline.snooze", tooltip=_("Move the task's due date")),
        Binding("u", "item('undo')", _("Undo"), id="timeline.undo", tooltip=_("Undo the last change here"), show=False),
    ]

    class ItemKey(Message):
        """An item key was pressed on `item` (None for `undo`): `action` is edit, delete, toggle, snooze, undo."""

        def __init__(self, view: TimelineView, action: str, item: TimelineItem | None) -> None:
            super().__init__()
            self.view = view
            self.action = action
            self.item = item

        @property
        def control(self) -> TimelineView:
            return self.view

    class NeedMore(Message):
        """Load the page after `last` (the oldest loaded item)."""

        def __init__(self, view: TimelineView, last: TimelineItem) -> None:
            super().__init__()
            self.view = view
            self.last = last

        @property
        def control(self) -> TimelineView:
            return self.view

    def __init__(self, *, locale: str = "it_IT", id: str | None = "timeline", show_deal: bool = True) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.locale = locale
        self.show_deal = show_deal  # off on a deal's own detail: every line is that deal's
        self.items: list[TimelineItem] = []
        self.exhausted = True
        self._keys: set[str] = set()
        self._asked = False
        #: Asked when `u` is pressed: whether the host has something recent to undo here (else `u` falls through).
        self.undoable: Callable[[], bool] = lambda: False
        #: Whether the host acts on item keys at all (a plain timeline lets every key fall through).
        self.item_keys = False

    def on_mount(self) -> None:
        self.add_column(_("When"), key="at")
        self.add_column(_("Kind"), key="kind")
        if self.show_deal:
            self.add_column(_("Deal"), key="deal")
        self.add_column(_("What"), key="text")

    def reset(self, items: list[TimelineItem], *, page: int = PAGE, keep_cursor: bool = False) -> None:
        """Show `items` from the top, or (`keep_cursor`, the same list reloaded) with the cursor where it was."""
        row = self.cursor_row
        self.items, self._keys = [], set()
        self.clear()
        self.append(items, page=page)
        self.border_subtitle = ""
        if keep_cursor and self.items:
            self.move_cursor(row=min(row, len(self.items) - 1))

    def append(self, items: list[TimelineItem], *, page: int = PAGE) -> None:
        """Add a page (items already seen are skipped: pages overlap on equal timestamps)."""
        self._asked = True  # add_row re-sets the cursor: no NeedMore while filling
        fresh = [i for i in items if self.key_of(i) not in self._keys]
        error = self.app.current_theme.error or "red"
        for item in fresh:
            key = self.key_of(item)
            self._keys.add(key)
            self.items.append(item)
            kind = Text(_(KIND_LABELS.get(item.kind, item.kind)), style="dim")
            text = item_text(item)
            if item.kind == "task":
                due = item.detail.get("due_at")
                mark = "☑ " if item.done else "☐ "
                text = Text(mark) + text
                if due is not None:
                    text.append("  " + _("(due {when})").format(when=datetime_short(due, self.locale)), style="dim")
                if item.done:
                    text.stylize("strike dim")
                elif item.overdue:
                    text.stylize(f"bold {error}")
                    kind = Text(_("overdue"), style=f"bold {error}")
            deal = [Text(item.opportunity_title[:24], style="italic")] if self.show_deal else []
            self.add_row(Text(datetime_short(item.at, self.locale)), kind, *deal, text, key=key)
        self.exhausted = len(items) < page or not fresh
        self._asked = False

    def action_item(self, action: str) -> None:
        if not self.item_keys:
            raise SkipAction
        if action == "undo":
            if not self.undoable():
                raise SkipAction
            self.post_message(self.ItemKey(self, action, None))
            return
        item = self.current
        if item is None or item.kind not in ITEM_KINDS:
            if action == "edit":
                raise SkipAction  # the screen's `e` (the contact, the deal)
            self.app.notify(_("Highlight a note, task, appointment or message first"), severity="warning", timeout=3)
            return
        if action in ("toggle", "snooze") and item.kind != "task":
            self.app.notify(_("Highlight a task in the timeline first"), severity="warning", timeout=3)
            return
        self.post_message(self.ItemKey(self, action, item))

    @staticmethod
    def key_of(item: TimelineItem) -> str:
        table = item.kind if item.kind in ("note", "task", "appointment", "message") else "history"
        return f"{table}:{item.ref_id}"

    @property
    def current(self) -> TimelineItem | None:
        if not self.items or not 0 <= self.cursor_row < len(self.items):
            return None
        return self.items[self.cursor_row]

    def watch_cursor_coordinate(self, old: object, new: object) -> None:
        super().watch_cursor_coordinate(old, new)  # type: ignore[arg-type]
        near_end = bool(self.items) and self.cursor_row >= len(self.items) - 10
        if old != new and near_end and not self.exhausted and not self._asked:
            self._asked = True
            self.post_message(self.NeedMore(self, self.items[-1]))
