"""A window of the contact list, line-rendered: it draws only the visible rows of the page it holds.

The table never receives the whole list: it shows a window of `WINDOW` rows starting at `window_start`, and when
the cursor walks off either end it posts `NeedPage` with the absolute row it wants; the screen reads that page from
SQL and calls `show_page`.

Why not a DataTable: it measures every cell of every added row (even with fixed widths) and renders each cell
through Rich, so replacing a 100-row page cost 30–90 ms per search keystroke. Here the columns have fixed widths,
a row is one string in one style, and `render_line` builds only the lines on screen (a page swap is ~1 ms).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..formatting import date_short, phone
from ..i18n import _
from ..store import ContactRow

WINDOW = 100  # rows held at once: more than a tall screen
CELL_PADDING = 1  # blank cells either side of each column, as DataTable draws them


def format_count(n: int, locale: str) -> str:
    from babel.numbers import format_decimal

    from ..formatting import _locale

    return str(format_decimal(n, locale=_locale(locale)))


def _fit(text: Text, width: int) -> str:
    """`text` cropped or padded to exactly `width` cells (right-justified if the Text says so)."""
    plain = text.plain  # Text() has already stripped control codes; nothing here is ever parsed as markup
    length = len(plain) if plain.isascii() else cell_len(plain)
    if length > width:
        return set_cell_size(plain, width)
    if text.justify == "right":
        return " " * (width - length) + plain
    return plain + " " * (width - length)


class _RowMessage(Message):
    """A message about window row `cursor_row` of a ContactTable."""

    def __init__(self, table: ContactTable, cursor_row: int) -> None:
        super().__init__()
        self.table = table
        self.cursor_row = cursor_row

    @property
    def control(self) -> ContactTable:
        return self.table


class ContactTable(ScrollView, can_focus=True):
    """Contacts, one window at a time, with "N of M" in the border title.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓ | Move (loading the next page at either end) |
    | g, home / G, end | First / last contact |
    | pageup, pagedown | Move a screen |
    | enter, click on the highlighted row | Select (`RowSelected`) |
    | ←, → | Scroll sideways |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", _("Down"), show=False, id="contacts.down", tooltip=_("Next contact")),
        Binding("k", "cursor_up", _("Up"), show=False, id="contacts.up", tooltip=_("Previous contact")),
        Binding("g", "scroll_top", _("First"), show=False, id="contacts.first", tooltip=_("First contact")),
        Binding("G", "scroll_bottom", _("Last"), show=False, id="contacts.last", tooltip=_("Last contact")),
        # The keys DataTable bound, so nothing changes for the user (enter also shadows the screen's footer entry);
        # same descriptions as above, so the help shows "j, ↓ Down" on one line.
        Binding("down", "cursor_down", _("Down"), show=False, id="contacts.down_arrow", tooltip=_("Next contact")),
        Binding("up", "cursor_up", _("Up"), show=False, id="contacts.up_arrow", tooltip=_("Previous contact")),
        Binding("ctrl+home,home", "scroll_top", _("First"), show=False, id="contacts.home", tooltip=_("First contact")),
        Binding("ctrl+end,end", "scroll_bottom", _("Last"), show=False, id="contacts.end", tooltip=_("Last contact")),
        Binding("pagedown", "page_down", _("Page down"), show=False, id="contacts.page_down", tooltip=_("Next page")),
        Binding("pageup", "page_up", _("Page up"), show=False, id="contacts.page_up", tooltip=_("Previous page")),
        Binding("right", "scroll_right", _("Scroll right"), show=False, id="contacts.right", tooltip=_("More columns")),
        Binding("left", "scroll_left", _("Scroll left"), show=False, id="contacts.left", tooltip=_("First columns")),
        Binding("enter", "select_cursor", _("Open"), show=False, id="contacts.select", tooltip=_("Open the contact")),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "contact-table--header",
        "contact-table--cursor",
        "contact-table--even-row",
        "contact-table--odd-row",
    }

    # DataTable's look, so the list reads the same as the other tables of the app.
    DEFAULT_CSS = """
    ContactTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .contact-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .contact-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .contact-table--even-row { background: $surface-darken-1 40%; }
        & > .contact-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .contact-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .contact-table--even-row { background: $surface-lighten-1 50%; }
        & > .contact-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class NeedPage(Message):
        """The cursor wants absolute row `row`, which is outside the loaded window."""

        def __init__(self, table: ContactTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ContactTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to window row `cursor_row`."""

    class RowSelected(_RowMessage):
        """enter (or a click) on the highlighted row `cursor_row`."""

    # Fixed widths: the table does not jump as pages change, and the eight columns fit in ~145 cells.
    COLUMNS = (
        (_("Name"), "name", 22),
        (_("Company"), "company", 18),
        (_("Email"), "email", 26),
        (_("Phone"), "phone", 16),  # "+39 333 123 4567"
        (_("Tags"), "tags", 16),
        (_("Source"), "source", 12),
        (_("Deals"), "opps", 5),
        (_("Last activity"), "activity", 13),
    )
    TABLE_WIDTH = sum(width + 2 * CELL_PADDING for _label, _key, width in COLUMNS)

    def __init__(self, *, locale: str = "it_IT", id: str | None = "contact-table") -> None:
        super().__init__(id=id)
        self.locale = locale
        self.window_start = 0  # absolute index of the first loaded row
        self.total = 0
        self.capped = False  # total is a lower bound ("10.000+")
        self.total_pending = False  # the count of a new query is still being computed ("1 of …")
        self.rows_loaded: list[ContactRow] = []
        self.cursor_row = 0  # index in rows_loaded
        self._lines: dict[int, str] = {}  # window row → its padded text, built on first paint
        self._header = self._join([Text(_(label)) for label, _key, _width in self.COLUMNS])
        self._date_cache: dict[datetime, str] = {}
        self._styles = (Style(), Style(), Style(), Style())  # header, even, odd, cursor; set by render_lines
        self._width = 0  # of the content region, set by render_lines

    def on_mount(self) -> None:
        self.virtual_size = Size(self.TABLE_WIDTH, 1)

    # --- what the screen calls ----------------------------------------------------------------------

    def show_page(self, rows: list[ContactRow], offset: int, total: int, capped: bool, cursor: int = 0) -> None:
        """Replace the window with `rows` (absolute rows offset…) and put the cursor on absolute row `cursor`."""
        on_screen = self.cursor_row - round(self.scroll_y)  # keep the cursor where the eye is
        self.window_start, self.total, self.capped = offset, total, capped
        self.total_pending = False
        if not capped:
            self.total = max(total, offset + len(rows))
        self.rows_loaded = rows
        self._lines.clear()
        self.cursor_row = min(max(cursor - offset, 0), len(rows) - 1) if rows else 0
        self.virtual_size = Size(self.TABLE_WIDTH, len(rows) + 1)  # + the header line
        self.scroll_to(y=max(self.cursor_row - on_screen, 0), animate=False)
        self._scroll_cursor_into_view()
        self._update_title()
        self.refresh()

    def _cells(self, r: ContactRow) -> list[Text]:
        activity = ""
        if r.last_activity_at is not None:
            activity = self._date_cache.get(r.last_activity_at) or date_short(r.last_activity_at, self.locale)
            self._date_cache[r.last_activity_at] = activity
        return [
            Text(r.display_name),
            Text(r.company),
            Text(r.email),
            Text(phone(r.phone_e164, r.phone)),
            Text(", ".join(r.tags)),
            Text(r.source),
            Text(str(r.open_opportunities or ""), justify="right"),
            Text(activity),
        ]

    @property
    def row_count(self) -> int:
        return len(self.rows_loaded)

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of window row `index`, as drawn."""
        return self._cells(self.rows_loaded[index])

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

    # --- cursor -------------------------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)  # - the header line

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Highlight window row `row` (clamped) and scroll it into view."""
        row = min(max(row, 0), max(len(self.rows_loaded) - 1, 0))
        if row == self.cursor_row:
            return
        self.cursor_row = row
        self._scroll_cursor_into_view()
        self._update_title()
        self.refresh()
        self.post_message(self.RowHighlighted(self, row))

    def _scroll_cursor_into_view(self) -> None:
        top, visible = round(self.scroll_y), self._visible_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:  # the header is not a row
            return
        row = round(self.scroll_y) + offset.y - 1
        if not 0 <= row < len(self.rows_loaded):
            return
        event.stop()
        if row == self.cursor_row:  # like DataTable: a click on the highlighted row selects it
            self.post_message(self.RowSelected(self, row))
        else:
            self.move_cursor(row=row)

    def action_select_cursor(self) -> None:
        if self.rows_loaded:
            self.post_message(self.RowSelected(self, self.cursor_row))

    # --- paging -------------------------------------------------------------------------------------

    def _more_below(self) -> bool:
        end = self.window_start + len(self.rows_loaded)
        return end < self.total or (self.capped and len(self.rows_loaded) >= WINDOW)

    def action_cursor_down(self) -> None:
        if self.rows_loaded and self.cursor_row >= len(self.rows_loaded) - 1 and self._more_below():
            self.post_message(self.NeedPage(self, self.absolute_cursor + 1))
            return
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.window_start > 0:
            self.post_message(self.NeedPage(self, self.window_start - 1))
            return
        self.move_cursor(row=self.cursor_row - 1)

    def action_page_down(self) -> None:
        step = self._visible_rows
        if self.cursor_row + step >= len(self.rows_loaded) and self._more_below():
            self.post_message(self.NeedPage(self, self.absolute_cursor + step))
            return
        self.scroll_to(y=round(self.scroll_y) + step, animate=False)  # the view moves a page with the cursor
        self.move_cursor(row=self.cursor_row + step)

    def action_page_up(self) -> None:
        step = self._visible_rows
        if self.cursor_row - step < 0 and self.window_start > 0:
            self.post_message(self.NeedPage(self, max(self.absolute_cursor - step, 0)))
            return
        self.scroll_to(y=max(round(self.scroll_y) - step, 0), animate=False)
        self.move_cursor(row=self.cursor_row - step)

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

    # --- drawing ------------------------------------------------------------------------------------

    def _join(self, cells: list[Text]) -> str:
        pad = " " * CELL_PADDING
        return "".join(
            pad + _fit(cell, width) + pad for cell, (_label, _key, width) in zip(cells, self.COLUMNS, strict=True)
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles once per paint, not per line: they change only with focus, theme or CSS.
        get = self.get_component_styles
        self._styles = (
            get("contact-table--header").rich_style,
            get("contact-table--even-row").rich_style,
            get("contact-table--odd-row").rich_style,
            self.get_component_rich_style("contact-table--cursor"),
        )
        self._width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._width
        scroll_x, scroll_y = self.scroll_offset
        header, even, odd, cursor = self._styles
        if y == 0:
            text, style = self._header, header
        else:
            row = scroll_y + y - 1
            if row >= len(self.rows_loaded):
                return Strip.blank(width, self.rich_style)
            text = self._lines.get(row) or self._lines.setdefault(row, self._join(self._cells(self.rows_loaded[row])))
            style = odd if row % 2 else even
            if row == self.cursor_row:
                style += cursor
        # One segment a line (every cell is padded to its width, so the text is TABLE_WIDTH cells): the row's
        # style runs on to the right edge, like DataTable's row cursor.
        fill = max(width + scroll_x - self.TABLE_WIDTH, 0)
        return Strip([Segment(text + " " * fill, style)], self.TABLE_WIDTH + fill).crop(scroll_x, scroll_x + width)
