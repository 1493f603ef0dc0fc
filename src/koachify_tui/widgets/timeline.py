"""The merged timeline of a contact, newest first, loaded a page at a time as the cursor nears the end."""

from __future__ import annotations

from rich.text import Text
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


class TimelineView(DataTable[Text]):
    """Notes, tasks, appointments, messages and changes of a contact and all its deals.

    Overdue open tasks are highlighted; done tasks are struck through. Posts `NeedMore` when the cursor gets
    near the last loaded line and more may exist.
    """

    class NeedMore(Message):
        """Load the page after `last` (the oldest loaded item)."""

        def __init__(self, view: TimelineView, last: TimelineItem) -> None:
            super().__init__()
            self.view = view
            self.last = last

        @property
        def control(self) -> TimelineView:
            return self.view

    def __init__(self, *, locale: str = "it_IT", id: str | None = "timeline") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.locale = locale
        self.items: list[TimelineItem] = []
        self.exhausted = True
        self._keys: set[str] = set()
        self._asked = False

    def on_mount(self) -> None:
        self.add_column(_("When"), key="at")
        self.add_column(_("Kind"), key="kind")
        self.add_column(_("Deal"), key="deal")
        self.add_column(_("What"), key="text")

    def reset(self, items: list[TimelineItem], *, page: int = PAGE) -> None:
        self.items, self._keys = [], set()
        self.clear()
        self.append(items, page=page)
        self.border_subtitle = ""

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
            self.add_row(
                Text(datetime_short(item.at, self.locale)),
                kind,
                Text(item.opportunity_title[:24], style="italic"),
                text,
                key=key,
            )
        self.exhausted = len(items) < page or not fresh
        self._asked = False

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
