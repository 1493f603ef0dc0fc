"""A window of the contact list: a DataTable holding one page of rows, asking its screen for the next.

DataTable measures every cell before it paints (~175 µs a row), so it never receives the whole list: it shows a
window of `WINDOW` rows starting at `offset`, and when the cursor walks off either end it posts `NeedPage` with
the absolute row it wants; the screen reads that page from SQL and calls `show_page`.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ..formatting import date_short
from ..i18n import _
from ..store import ContactRow

WINDOW = 100  # rows held at once: more than a tall screen; each costs ~0.15 ms to add (DataTable measures cells)


def format_count(n: int, locale: str) -> str:
    from babel.numbers import format_decimal

    from ..formatting import _locale

    return str(format_decimal(n, locale=_locale(locale)))


class ContactTable(DataTable[Text]):
    """Contacts, one window at a time, with "N of M" in the border title.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓ | Move (loading the next page at either end) |
    | g, home / G, end | First / last contact |
    | pageup, pagedown | Move a screen |
    """

    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, id="contacts.down", tooltip=_("Next contact")),
        Binding("k", "cursor_up", _("Up"), show=False, id="contacts.up", tooltip=_("Previous contact")),
        Binding("g", "scroll_top", _("First"), show=False, id="contacts.first", tooltip=_("First contact")),
        Binding("G", "scroll_bottom", _("Last"), show=False, id="contacts.last", tooltip=_("Last contact")),
    ]

    class NeedPage(Message):
        """The cursor wants absolute row `row`, which is outside the loaded window."""

        def __init__(self, table: ContactTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ContactTable:
            return self.table

    # Fixed widths: the table does not jump as pages change, and the eight columns fit in ~140 cells.
    COLUMNS = (
        (_("Name"), "name", 22),
        (_("Company"), "company", 18),
        (_("Email"), "email", 26),
        (_("Phone"), "phone", 13),
        (_("Tags"), "tags", 16),
        (_("Source"), "source", 12),
        (_("Deals"), "opps", 5),
        (_("Last activity"), "activity", 13),
    )

    def __init__(self, *, locale: str = "it_IT", id: str | None = "contact-table") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.locale = locale
        self.window_start = 0  # absolute index of the first loaded row
        self.total = 0
        self.capped = False  # total is a lower bound ("10.000+")
        self.total_pending = False  # the count of a new query is still being computed ("1 of …")
        self.rows_loaded: list[ContactRow] = []
        self._date_cache: dict[datetime, str] = {}

    def on_mount(self) -> None:
        for label, key, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    # --- what the screen calls ----------------------------------------------------------------------

    def show_page(self, rows: list[ContactRow], offset: int, total: int, capped: bool, cursor: int = 0) -> None:
        """Replace the window with `rows` (absolute rows offset…) and put the cursor on absolute row `cursor`."""
        self.window_start, self.total, self.capped = offset, total, capped
        self.total_pending = False
        if not capped:
            self.total = max(total, offset + len(rows))
        self.rows_loaded = rows
        self.clear()
        self.add_rows(self._cells(r) for r in rows)
        # add_rows gives positional keys; remember ids separately so a row maps back to its contact.
        if rows:
            self.move_cursor(row=min(max(cursor - offset, 0), len(rows) - 1), animate=False)
        self._update_title()

    def _cells(self, r: ContactRow) -> list[Text]:
        activity = ""
        if r.last_activity_at is not None:
            activity = self._date_cache.get(r.last_activity_at) or date_short(r.last_activity_at, self.locale)
            self._date_cache[r.last_activity_at] = activity
        return [
            Text(r.display_name),
            Text(r.company),
            Text(r.email),
            Text(r.phone_e164 or r.phone),
            Text(", ".join(r.tags)),
            Text(r.source),
            Text(str(r.open_opportunities or ""), justify="right"),
            Text(activity),
        ]

    @property
    def current(self) -> ContactRow | None:
        """The highlighted contact."""
        if not self.rows_loaded or not 0 <= self.cursor_row < len(self.rows_loaded):
            return None
        return self.rows_loaded[self.cursor_row]

    @property
    def absolute_cursor(self) -> int:
        return self.window_start + max(self.cursor_row, 0)

    def set_total(self, total: int, capped: bool) -> None:
        """The count arrived (after the page it belongs to)."""
        self.total, self.capped, self.total_pending = total, capped, False
        if not capped:
            self.total = max(total, self.window_start + len(self.rows_loaded))
        self._update_title()

    def refresh_title(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        total = format_count(self.total, self.locale) + ("+" if self.capped else "")
        if self.total_pending:
            total = "…"
        shown = self.absolute_cursor + 1 if self.rows_loaded else 0
        self.border_title = _("{n} of {total}").format(n=format_count(shown, self.locale), total=total)

    def watch_cursor_coordinate(self, old: object, new: object) -> None:
        # add_row re-assigns the cursor (an always-update reactive): only a real move changes the title.
        super().watch_cursor_coordinate(old, new)  # type: ignore[arg-type]
        if old != new:
            self._update_title()

    # --- paging -------------------------------------------------------------------------------------

    def _more_below(self) -> bool:
        end = self.window_start + len(self.rows_loaded)
        return end < self.total or (self.capped and len(self.rows_loaded) >= WINDOW)

    def action_cursor_down(self) -> None:
        if self.rows_loaded and self.cursor_row >= len(self.rows_loaded) - 1 and self._more_below():
            self.post_message(self.NeedPage(self, self.absolute_cursor + 1))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.window_start > 0:
            self.post_message(self.NeedPage(self, self.window_start - 1))
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        step = max(self.scrollable_content_region.height - 1, 1)
        if self.cursor_row + step >= len(self.rows_loaded) and self._more_below():
            self.post_message(self.NeedPage(self, self.absolute_cursor + step))
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        step = max(self.scrollable_content_region.height - 1, 1)
        if self.cursor_row - step < 0 and self.window_start > 0:
            self.post_message(self.NeedPage(self, max(self.absolute_cursor - step, 0)))
            return
        super().action_page_up()

    def action_scroll_top(self) -> None:
        if self.window_start > 0:
            self.post_message(self.NeedPage(self, 0))
            return
        self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        if self._more_below():
            self.post_message(self.NeedPage(self, max(self.total - 1, 0)))
            return
        self.move_cursor(row=max(len(self.rows_loaded) - 1, 0))

    def action_scroll_home(self) -> None:
        self.action_scroll_top()

    def action_scroll_end(self) -> None:
        self.action_scroll_bottom()
