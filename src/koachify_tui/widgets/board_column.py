"""One board column: the cards of a stage, rendered line by line and loaded a page at a time.

A widget per card costs ≈ 1 ms each to mount (6 s for 5,000 cards, see perf-notes); this column is one
`ScrollView` whose height is `count × CARD_HEIGHT` and which only ever formats the cards on screen, so
its cost does not depend on how many deals the stage holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..formatting import money
from ..i18n import _
from ..store import OpportunityRow, StageInfo

CARD_HEIGHT = 5  # four lines of card and one blank line between cards
PAGE = 40  # cards fetched per query; a tall terminal shows ≈ 10 per column

Fetch = Callable[[int, int], list[OpportunityRow]]  # (offset, limit) → one page of the column
STATUS_MARK = {"won": ("✓ ", _("won")), "lost": ("✗ ", _("lost")), "abandoned": ("– ", _("abandoned"))}


def status_mark(status: str) -> str:
    """ "✓ vinta": the mark and the status word in the current language ("" for open cards)."""
    mark, word = STATUS_MARK.get(status, ("", ""))
    return mark + _(word)


@dataclass(frozen=True)
class CardView:
    """A card's texts, formatted once when its page is loaded (babel is too slow to call per frame)."""

    row: OpportunityRow
    value: str
    days: str
    tags: str

    @classmethod
    def build(cls, row: OpportunityRow, locale: str, now: datetime) -> CardView:
        days = max(0, (now - row.last_stage_change_at).days)
        return cls(
            row=row,
            value=money(row.value_minor, row.currency, locale),
            days=_("{n} d").format(n=days),
            tags=" ".join(f"#{t}" for t in row.tags),
        )


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` cells with an ellipsis (cell-aware: emoji and CJK count double)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def _weight_only(style: Style) -> Style:
    return Style(bold=True) if style.bold else Style()


class BoardColumn(ScrollView, can_focus=False, inherit_bindings=False):
    """The cards of one stage. Keys are handled by the board screen; this widget draws and pages.

    The column keeps a cursor (the current card); `card` is the opportunity under it. It never takes
    focus: moving between columns flips `active` instead, because a focus change makes Textual restyle
    the screen and recompose the footer (≈ 150 ms, more than a whole move costs)."""

    COMPONENT_CLASSES = {
        "board-column--card",
        "board-column--cursor",
        "board-column--cursor-blurred",
        "board-column--title",
        "board-column--muted",
        "board-column--value",
        "board-column--tags",
        "board-column--flag",
    }
    DEFAULT_CSS = """
    BoardColumn { width: 1fr; height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; padding: 0 0; }
    BoardColumn > .board-column--card { background: $surface; color: $foreground; }
    BoardColumn > .board-column--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: $block-cursor-text-style;
    }
    BoardColumn > .board-column--cursor-blurred {
        background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground;
    }
    BoardColumn > .board-column--title { text-style: bold; }
    BoardColumn > .board-column--muted { color: $foreground-muted; }
    BoardColumn > .board-column--value { color: $text-success; text-style: bold; }
    BoardColumn > .board-column--tags { color: $text-secondary; }
    BoardColumn > .board-column--flag { color: $text-error; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, init=False, always_update=True)
    active: reactive[bool] = reactive(False, init=False)

    class Highlighted(Message):
        """The cursor moved to another card (or the column took focus)."""

        def __init__(self, column: BoardColumn) -> None:
            super().__init__()
            self.column = column

        @property
        def control(self) -> BoardColumn:
            return self.column

    def __init__(
        self,
        stage: StageInfo,
        fetch: Fetch,
        *,
        locale: str,
        clock: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.stage = stage
        self._fetch = fetch
        self._locale = locale
        self._clock = clock
        self.count = 0
        self._cards: dict[int, CardView] = {}
        self._loaded_pages: set[int] = set()

    # --- data --------------------------------------------------------------------------------------

    def set_data(self, count: int) -> None:
        """The column holds `count` cards now: drop the cached pages and load what is visible."""
        self.count = count
        self._cards.clear()
        self._loaded_pages.clear()
        self.virtual_size = Size(0, count * CARD_HEIGHT)
        self.set_reactive(BoardColumn.cursor, max(0, min(self.cursor, count - 1)))
        self._ensure_loaded()
        self.refresh()

    @property
    def card(self) -> OpportunityRow | None:
        """The opportunity under the cursor, if any."""
        view = self._cards.get(self.cursor) if self.count else None
        return view.row if view else None

    def card_at(self, index: int) -> OpportunityRow | None:
        self._ensure_loaded(index)
        view = self._cards.get(index)
        return view.row if view else None

    def _ensure_loaded(self, *extra: int) -> None:
        """Fetch the pages under the viewport and the cursor (a handful of ms each, so synchronously)."""
        if not self.count:
            return
        top = int(self.scroll_y) // CARD_HEIGHT
        height = max(self.size.height, 1)
        bottom = min(self.count - 1, (int(self.scroll_y) + height) // CARD_HEIGHT + 1)
        wanted = {top // PAGE, bottom // PAGE, self.cursor // PAGE, *(i // PAGE for i in extra)}
        now = self._clock()
        for page in sorted(wanted - self._loaded_pages):
            if page * PAGE >= self.count:
                continue
            rows = self._fetch(page * PAGE, PAGE)
            for i, row in enumerate(rows):
                self._cards[page * PAGE + i] = CardView.build(row, self._locale, now)
            self._loaded_pages.add(page)

    # --- cursor ------------------------------------------------------------------------------------

    def move_cursor(self, delta: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + delta))

    def set_cursor(self, index: int) -> None:
        self.cursor = max(0, min(max(self.count - 1, 0), index))

    def watch_cursor(self, old: int, new: int) -> None:
        self._ensure_loaded(new)
        top = new * CARD_HEIGHT
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + CARD_HEIGHT > self.scroll_y + self.size.height:
            self.scroll_to(y=top + CARD_HEIGHT - self.size.height, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self))

    @property
    def page_size(self) -> int:
        return max(1, self.size.height // CARD_HEIGHT)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_loaded()

    def on_resize(self) -> None:
        self._ensure_loaded()

    def watch_active(self, active: bool) -> None:
        self.set_class(active, "-active")  # the lane's accent border (board.tcss); the cursor is drawn here
        self.refresh()

    # --- rendering ---------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        _scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index, line = divmod(scroll_y + y, CARD_HEIGHT)
        if index >= self.count or line == CARD_HEIGHT - 1:
            if self.count == 0 and y == 1:
                return Strip([Segment(fit("  " + _("no cards"), width).ljust(width), base + self._style("muted"))])
            return Strip.blank(width, base)
        view = self._cards.get(index)
        kind = "card" if index != self.cursor else "cursor" if self.active else "cursor-blurred"
        # the full (not partial) style: it blends the theme's translucent cursor colours over the column
        card_style = base + self.get_component_rich_style(f"board-column--{kind}")
        if view is None:  # scrolled faster than pages arrive: loaded on the next scroll event
            self.call_later(self._load_and_refresh)
            return Strip([Segment(" " * width, card_style)])
        return Strip(self._card_line(view, line, width, card_style, plain=kind != "card"), width)

    def _load_and_refresh(self) -> None:
        self._ensure_loaded()
        self.refresh()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"board-column--{name}", partial=True)

    def _card_line(self, view: CardView, line: int, width: int, style: Style, *, plain: bool) -> list[Segment]:
        """One line of a card; `plain` (a cursor card) drops the coloured accents, which are hard to read
        on a cursor background (green on teal, or on the light theme's tint), and keeps their weight."""
        row = view.row
        inner = max(0, width - 2)
        if line == 0:
            right = f"⚠{row.overdue_tasks}" if row.overdue_tasks else ""
            left, left_style, right_style = row.title, self._style("title"), self._style("flag")
        elif line == 1:
            left, left_style = row.contact_name, self._style("muted")
            right, right_style = (
                status_mark(row.status),
                self._style("flag" if row.status == "lost" else "value"),
            )
        elif line == 2:
            left, left_style, right, right_style = view.value, self._style("value"), row.owner, self._style("muted")
        else:
            left, left_style, right, right_style = view.tags, self._style("tags"), view.days, self._style("muted")
        if plain:
            left_style, right_style = _weight_only(left_style), _weight_only(right_style)
        right = fit(right, max(0, inner // 2)) if right else ""
        gap = 1 if right else 0
        left = fit(left, inner - cell_len(right) - gap)
        pad = inner - cell_len(left) - cell_len(right)
        return [
            Segment(" ", style),
            Segment(left, style + left_style),
            Segment(" " * pad, style),
            Segment(right, style + right_style),
            Segment(" ", style),
        ]
