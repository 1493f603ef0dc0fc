"""A window of the contact list, line-rendered: it draws only the visible rows of the page it holds.

The table never receives the whole list: it shows a window of `WINDOW` rows starting at `window_start`, and when
the cursor walks off either end it posts `NeedPage` with the absolute row it wants; the screen reads that page from
SQL and calls `show_page`.

Why not a DataTable: it measures every cell of every added row (even with fixed widths) and renders each cell
through Rich, so replacing a 100-row page cost 30–90 ms per search keystroke. Here the columns have fixed widths,
a row is one string in one style, and `render_line` builds only the lines on screen (a page swap is ~1 ms).

No scrollbars: a vertical one would measure the window, not the list (the border title says "N of M"), and a
scrollbar that appears or goes with a page lays the whole screen out (8–10 ms of a search keystroke at 180×48).
The wheel and ←/→ still scroll; the header shows ◂ ▸ where columns are off screen, and the wheel pages on at
either end of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.control import strip_control_codes
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
from . import fast_lines

WINDOW = 100  # rows held at once: more than a tall screen
CELL_PADDING = 1  # blank cells either side of each column, as DataTable draws them


def format_count(n: int, locale: str) -> str:
    from babel.numbers import format_decimal

    from ..formatting import _locale

    return str(format_decimal(n, locale=_locale(locale)))


def _clean(text: str) -> str:
    """`text` without the control codes Rich's Text() strips (the app's TerminalSafe filter drops the rest).
    Cells are plain strings: building a Text per cell was a third of a new page's paint."""
    return text if text.isprintable() else strip_control_codes(text)


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` cropped or padded to exactly `width` cells; nothing here is ever parsed as markup."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, width)
    if right:
        return " " * (width - length) + text
    return text + " " * (width - length)


ColumnSpec = tuple[str, str, int, int]  # label, key, widest, narrowest


def column_layout(
    columns: tuple[ColumnSpec, ...],
    content: list[int],
    width: int,
    shrink_order: tuple[str, ...],
    always: frozenset[str],
) -> list[tuple[int, int]]:
    """(index, width) of the columns to draw.

    Each column is as wide as its widest cell (at least its label, at most `widest`); a column with no data
    is dropped unless it is in `always`. Then, left to right, each column is made to fit in `width` whole by
    shrinking the columns before it in `shrink_order` (down to `narrowest`); the first one that cannot fit
    and those after it keep their width and scroll sideways. Only a column in `always` (the phone) may
    shrink columns outside `shrink_order` (the name) to fit."""
    widths: dict[int, int] = {}
    for i, (label, key, widest, _narrowest) in enumerate(columns):
        if content[i] or key in always:
            widths[i] = min(widest, max(content[i], cell_len(label)))
    rank = {key: n for n, key in enumerate(shrink_order)}
    shown: list[int] = []
    for i in sorted(widths):
        trial = [*shown, i]
        excess = sum(widths[j] + 2 * CELL_PADDING for j in trial) - width
        forced = columns[i][1] in always
        candidates = sorted(
            (j for j in shown if columns[j][1] in rank or forced),
            key=lambda j: rank.get(columns[j][1], len(rank)),
        )
        cuts: dict[int, int] = {}
        for j in candidates:
            if excess <= 0:
                break
            cuts[j] = min(excess, max(widths[j] - columns[j][3], 0))
            excess -= cuts[j]
        if excess > 0 and not forced:
            break  # this column and the rest scroll sideways
        for j, cut in cuts.items():
            widths[j] -= cut
        shown = trial
    return sorted(widths.items())


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
    | ←, → | Scroll sideways a column |
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
        overflow: hidden hidden;
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

    # (label, key, widest, narrowest), laid out by `column_layout` for the window's data and the width. Phone
    # comes second and never shrinks: it is what a coach reads most, and "+39" is useless.
    COLUMNS = (
        (_("Name"), "name", 28, 14),
        (_("Phone"), "phone", 20, 20),
        (_("Email"), "email", 32, 20),
        (_("Company"), "company", 24, 12),
        (_("Tags"), "tags", 24, 10),
        (_("Source"), "source", 16, 8),
        (_("Deals"), "opps", 5, 5),
        (_("Last activity"), "activity", 13, 13),
    )
    RIGHT = 6  # the deals count is right-aligned
    SHRINK_ORDER = ("source", "tags", "company", "email")  # the name shrinks only to make room for the phone
    ALWAYS = frozenset({"name", "phone"})  # shown even when empty, so the table never loses its shape

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
        self._layout: list[tuple[int, int]] = []  # (column index, width) of the columns drawn
        self._layout_for: tuple[int, int] = (-1, -1)  # (content width, rows id) it was computed for
        self._table_width = 0
        self._header = ""
        self._styles: tuple[Style, Style, Style, Style, Style] | None = None  # see _row_styles
        self._width = 0  # of the content region, set by render_lines
        self._after_paint: list[Callable[[], None]] = []  # run once the lines of a new page were drawn

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, 1)

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
        self._layout_for = (-1, -1)
        self._relayout()
        self.scroll_to(y=max(self.cursor_row - on_screen, 0), animate=False)
        self._scroll_cursor_into_view()
        self._update_title()
        self.refresh()

    def _cells(self, r: ContactRow) -> list[str]:
        return [
            _clean(r.display_name),
            _clean(phone(r.phone_e164, r.phone)),
            _clean(r.email),
            _clean(r.company),
            _clean(", ".join(r.tags)),
            _clean(r.source),
            str(r.open_opportunities or ""),
            date_short(r.last_activity_at, self.locale),
        ]

    @property
    def row_count(self) -> int:
        return len(self.rows_loaded)

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of window row `index`, as drawn."""
        cells = self._cells(self.rows_loaded[index])
        return [Text(c, justify="right" if i == self.RIGHT else "left") for i, c in enumerate(cells)]

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

    # --- scrolling without scrollbars -----------------------------------------------------------------

    @property
    def allow_vertical_scroll(self) -> bool:
        return not self._check_disabled() and self.max_scroll_y > 0

    @property
    def allow_horizontal_scroll(self) -> bool:
        return not self._check_disabled() and self.max_scroll_x > 0

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        sideways = event.ctrl or event.shift
        if not sideways and round(self.scroll_y) >= self.max_scroll_y and self._more_below():
            event.stop()  # the window's end: the next rows come as a page
            self.post_message(self.NeedPage(self, self.window_start + len(self.rows_loaded)))
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        sideways = event.ctrl or event.shift
        if not sideways and round(self.scroll_y) <= 0 and self.window_start > 0:
            event.stop()
            self.post_message(self.NeedPage(self, self.window_start - 1))
            return
        super()._on_mouse_scroll_up(event)

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

    def _column_starts(self) -> list[int]:
        starts, x = [], 0
        for _i, width in self._layout:
            starts.append(x)
            x += width + 2 * CELL_PADDING
        return starts

    def action_scroll_right(self) -> None:
        """The next column's start (a cell a press was slow across 30-cell columns)."""
        x = round(self.scroll_x)
        target = next((start for start in self._column_starts() if start > x), self.max_scroll_x)
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False)

    def action_scroll_left(self) -> None:
        x = round(self.scroll_x)
        target = max((start for start in self._column_starts() if start < x), default=0)
        self.scroll_to(x=target, animate=False)

    def action_scroll_home(self) -> None:
        self.action_scroll_top()

    def action_scroll_end(self) -> None:
        self.action_scroll_bottom()

    # --- drawing ------------------------------------------------------------------------------------

    def _join(self, cells: list[str]) -> str:
        pad, right = " " * CELL_PADDING, self.RIGHT
        return "".join(pad + _fit(cells[i], width, i == right) + pad for i, width in self._layout)

    def _relayout(self) -> None:
        """Fit the columns to the content width and the window's data (on a new page or a resize)."""
        width = self.scrollable_content_region.width or self.size.width
        key = (width, id(self.rows_loaded))
        if key == self._layout_for:
            return
        self._layout_for = key
        # Labels are translated where shown (the class-level ones are msgids read before the language is set).
        columns = tuple((_(label), key, widest, narrowest) for label, key, widest, narrowest in self.COLUMNS)
        self._layout = column_layout(columns, self._content_widths(), width, self.SHRINK_ORDER, self.ALWAYS)
        self._table_width = sum(w + 2 * CELL_PADDING for _i, w in self._layout)
        self._header = self._join([label for label, *_rest in columns])
        self._lines.clear()
        self._set_virtual_size(Size(self._table_width, len(self.rows_loaded) + 1))  # + the header line

    def _set_virtual_size(self, size: Size) -> None:
        """A new page's size without a layout of the whole screen (the reactive's `layout=True`): the table's
        own region does not move, only its scrollbars change, and they are updated here. Showing or hiding a
        scrollbar still lays the screen out (their reactives do). Measured on a 180×48 screen at 100k
        contacts: a keystroke's paint went from a full-screen render to the table's lines."""
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(ContactTable.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _content_widths(self) -> list[int]:
        """The widest cell of each column in the window (0: the column holds nothing here), from the raw
        fields (a date is 13 cells at most; dates are formatted only for the rows drawn)."""
        widest = [0] * len(self.COLUMNS)
        for r in self.rows_loaded:
            tags_len = sum(len(t) + 2 for t in r.tags) - 2 if r.tags else 0
            lengths = (
                cell_len(r.display_name),
                cell_len(phone(r.phone_e164, r.phone)),
                len(r.email),
                cell_len(r.company),
                tags_len,
                cell_len(r.source),
                len(str(r.open_opportunities or "")),
                13 if r.last_activity_at else 0,
            )
            widest = [max(a, b) for a, b in zip(widest, lengths, strict=True)]
        return widest

    def on_resize(self) -> None:
        self._relayout()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()  # focus, theme or CSS changed: the row styles are read again
        self._styles = None

    def _row_styles(self) -> tuple[Style, Style, Style, Style, Style]:
        """Header, even, odd, cursor and blank-line styles, computed once until the styles change (not per
        paint: each lookup walks the ancestors' backgrounds)."""
        if self._styles is None:
            get = self.get_component_styles
            self._styles = (
                get("contact-table--header").rich_style,
                get("contact-table--even-row").rich_style,
                get("contact-table--odd-row").rich_style,
                self.get_component_rich_style("contact-table--cursor"),
                self.rich_style,
            )
        return self._styles

    def after_next_paint(self, callback: Callable[[], None]) -> None:
        """Call `callback` after the next frame that draws this table (call_after_refresh can run before the
        frame has picked the table up)."""
        self._after_paint.append(callback)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._width = self.scrollable_content_region.width
        self._relayout()
        lines = fast_lines.render_lines(self, crop, self.render_line)
        if lines is None:
            lines = super().render_lines(crop)
        if self._after_paint:  # after this frame is written, not in the middle of it
            callbacks, self._after_paint = self._after_paint, []
            self.call_later(lambda: [callback() for callback in callbacks])
        return lines

    def render_line(self, y: int) -> Strip:
        width = self._width
        scroll_x, scroll_y = self.scroll_offset
        header, even, odd, cursor, blank = self._row_styles()
        if y == 0:
            text, style = self._header, header
        else:
            row = scroll_y + y - 1
            if row >= len(self.rows_loaded):
                return Strip.blank(width, blank)
            text = self._lines.get(row) or self._lines.setdefault(row, self._join(self._cells(self.rows_loaded[row])))
            style = odd if row % 2 else even
            if row == self.cursor_row:
                style += cursor
        # One segment a line (every cell is padded to its width, so the text is _table_width cells): the row's
        # style runs on to the right edge, like DataTable's row cursor.
        text += " " * max(width + scroll_x - self._table_width, 0)
        if text.isascii():  # one cell a character: sliced, not cropped cell by cell (most rows)
            strip = Strip([Segment(text[scroll_x : scroll_x + width], style)], width)
        else:
            strip = Strip([Segment(text, style)], cell_len(text)).crop(scroll_x, scroll_x + width)
        return self._mark_hidden_columns(strip, scroll_x, width, style) if y == 0 else strip

    def _mark_hidden_columns(self, header: Strip, scroll_x: int, width: int, style: Style) -> Strip:
        """◂ / ▸ at the header's ends where columns are scrolled off (there is no horizontal scrollbar)."""
        left, right = scroll_x > 0, scroll_x + width < self._table_width
        if width < 3 or not (left or right):
            return header
        parts = [Strip([Segment("◂" if left else " ", style)], 1), header.crop(1, width - 1)]
        return Strip.join([*parts, Strip([Segment("▸" if right else " ", style)], 1)])
