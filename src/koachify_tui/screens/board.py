"""The pipeline board: one column per stage, moves and status changes from the keyboard.

Every change goes through the store API (history rows + events, so automations fire); the board then
re-reads only what changed: the totals (one grouped query) and the two columns a card left and entered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from ..formatting import datetime_short, short_money
from ..i18n import _
from ..messages import StoreChanged
from ..store import OpportunityRow, PipelineInfo, StoreError
from ..store.board import STATUSES, BoardFilter
from ..store.events import OpportunityStageChanged, OpportunityStatusChanged
from ..widgets.board_column import BoardColumn
from ..widgets.chrome import Footer, Header
from .base import AppAccess
from .pickers import ChoicePicker
from .writes import ScreenWrites, error_text

UNDO_WINDOW = 60.0  # as on the contact list: `u` undoes a delete while its notice is still in mind

STATUS_LABELS = {
    "open": _("open"),
    "won": _("won"),
    "lost": _("lost"),
    "abandoned": _("abandoned"),
}
DEFAULT_LOST_REASONS = (
    _("Price too high"),
    _("Not the right time"),
    _("Chose another coach"),
    _("No answer"),
    _("Not a fit"),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _now() -> float:
    """The undo clock the contact list uses (tests move it there, for both screens)."""
    from . import contacts

    return contacts.undo_clock()


@dataclass(frozen=True)
class UndoEntry:
    """What `u` puts back: a move (stage and pipeline), a status change (status and lost reason), a delete
    or a restore."""

    kind: str  # "move" | "status" | "delete" | "restore"
    opportunity_id: int
    txn: str | None = None  # the change-log id of the move or status change: what `u` reverts
    stage_id: int = 0
    pipeline_id: int = 0
    status: str = ""
    reason: str = ""
    at: float = 0.0  # undo_clock() when done: a delete is undone by `u` only within UNDO_WINDOW


def _b(key: str, action: str, description: str, tooltip: str, name: str, *, show: bool = True) -> Binding:
    return Binding(key, action, description, id=f"board.{name}", tooltip=tooltip, show=show)


class BoardScreen(ScreenWrites, AppAccess, Screen[None]):
    """A pipeline as columns of cards.

    | Key | Action |
    | --- | --- |
    | ←, →, h, l | Previous / next column |
    | ↑, ↓, k, j | Previous / next card |
    | g, home / G, end | First / last card |
    | shift+→, L / shift+←, H | Move the card to the next / previous stage |
    | m | Move to any stage or pipeline |
    | w / x / a / r | Won / lost (with reason) / abandoned / reopen |
    | d / u | Delete the opportunity (after confirming) / undo the last move, status change or delete |
    | D | Deleted opportunities of this pipeline: pick one to restore it |
    | enter | Opportunity detail |
    | n / e | New / edit opportunity |
    | p | Switch pipeline |
    | P | Manage pipelines and stages |
    | s / o / t / "/" | Filter by status / owner / tag / text |
    | escape | Clear the filters |
    """

    TITLE = _("Board")
    CSS_PATH = "board.tcss"
    AUTO_FOCUS = ""  # keys go to the screen; the search box takes focus only with "/"
    BINDINGS = [
        _b("left,h", "column(-1)", _("Left"), _("Previous column"), "left", show=False),
        _b("right,l", "column(1)", _("Right"), _("Next column"), "right", show=False),
        _b("up,k", "card(-1)", _("Up"), _("Previous card"), "up", show=False),
        _b("down,j", "card(1)", _("Down"), _("Next card"), "down", show=False),
        _b("pageup", "page(-1)", _("Page up"), _("A screenful of cards up"), "pageup", show=False),
        _b("pagedown", "page(1)", _("Page down"), _("A screenful of cards down"), "pagedown", show=False),
        _b("g,home", "edge(-1)", _("First card"), _("Go to the first card of the column"), "home", show=False),
        _b("G,end", "edge(1)", _("Last card"), _("Go to the last card of the column"), "end", show=False),
        _b("shift+right,L", "move_stage(1)", _("Next stage"), _("Move the card to the next stage"), "next_stage"),
        _b("shift+left,H", "move_stage(-1)", _("Prev stage"), _("Move the card to the previous stage"), "prev_stage"),
        _b("m", "move_anywhere", _("Move…"), _("Move the card to any stage or pipeline"), "move"),
        _b("w", "status('won')", _("Won"), _("Mark the opportunity won (it keeps its stage)"), "won"),
        _b("x", "lost", _("Lost"), _("Mark the opportunity lost, with a reason"), "lost"),
        _b("a", "status('abandoned')", _("Abandoned"), _("Mark the opportunity abandoned"), "abandoned", show=False),
        _b("r", "status('open')", _("Reopen"), _("Open the opportunity again"), "reopen", show=False),
        _b("u", "undo", _("Undo"), _("Undo the last move, status change or delete"), "undo"),
        _b("d", "delete", _("Delete"), _("Delete the opportunity (u undoes, D restores)"), "delete", show=False),
        _b("D", "deleted", _("Deleted"), _("Deleted opportunities: pick one to restore it"), "deleted", show=False),
        _b("enter", "open_detail", _("Open"), _("Open the opportunity detail"), "open"),
        _b("n", "new", _("New"), _("New opportunity in this stage"), "new"),
        _b("e", "edit", _("Edit"), _("Edit the opportunity"), "edit", show=False),
        _b("p", "pick_pipeline", _("Pipeline"), _("Switch to another pipeline"), "pipeline"),
        _b(
            "P",
            "manage_pipelines",
            _("Pipelines…"),
            _("Create, rename, delete pipelines and stages"),
            "manage",
            show=False,
        ),
        _b(
            "s",
            "filter_status",
            _("Status"),
            _("Filter by status: open, won, lost, abandoned, all"),
            "status",
            show=False,
        ),
        _b("o", "filter_owner", _("Owner"), _("Filter by owner"), "owner", show=False),
        _b("t", "filter_tag", _("Tag"), _("Filter by tag"), "tag", show=False),
        _b("slash", "search", _("Search"), _("Search titles and contacts"), "search"),
        _b("escape", "clear_filters", _("Clear filters"), _("Back to open opportunities, no filter"), "clear"),
    ]

    def __init__(self, pipeline_id: int | None = None, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self._requested_pipeline = pipeline_id
        self._clock = clock
        self.pipeline: PipelineInfo | None = None
        self.filter = BoardFilter()
        self.undo_stack: list[UndoEntry] = []
        self._own_changes: set[int] = set()  # opportunities this screen just changed (already repainted)
        self.columns: list[BoardColumn] = []
        self._focus_index = 0

    # --- plumbing ----------------------------------------------------------------------------------

    def clock(self) -> datetime:
        """Now, for "days in stage"; tests and snapshots inject a fixed one (screen arg or `app.clock`)."""
        clock = self._clock or getattr(self.app, "clock", None) or utc_now
        return clock()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="board-bar"):
            yield Static("", id="board-title")
            yield Input(placeholder=_("Search deals…  (/)"), id="board-search")
            yield Static("", id="board-filters")
        yield HorizontalScroll(id="board-lanes")
        yield Footer()

    async def on_mount(self) -> None:
        pipelines = self.store.list_pipelines()
        if pipelines:
            wanted = self._requested_pipeline
            self.pipeline = next((p for p in pipelines if p.id == wanted), pipelines[0])
        await self.rebuild()

    async def rebuild(self, focus_opportunity: int | None = None) -> None:
        """(Re)create the columns for the current pipeline: on open, pipeline switch or stage edits."""
        lanes = self.query_one("#board-lanes", HorizontalScroll)
        await lanes.remove_children()
        self.columns = []
        if self.pipeline is None:
            await lanes.mount(Static(_("No pipeline yet: press P to create one."), classes="board-empty"))
            return
        widgets: list[Widget] = []
        for stage in self.pipeline.stages:
            column = BoardColumn(
                stage, self._fetcher(stage.id), locale=self.locale, clock=self.clock, id=f"col-{stage.id}"
            )
            self.columns.append(column)
            lane = Vertical(Static("", classes="lane-header", id=f"head-{stage.id}"), column, classes="board-lane")
            widgets.append(lane)
        if not widgets:
            widgets.append(Static(_("This pipeline has no stages: press P to add some."), classes="board-empty"))
        await lanes.mount_all(widgets)
        self._update_bar()
        self.refresh_columns()
        if focus_opportunity is not None and self.focus_card(focus_opportunity):
            return
        if self.columns:
            self.activate(min(self._focus_index, len(self.columns) - 1))

    def _fetcher(self, stage_id: int) -> Callable[[int, int], list[OpportunityRow]]:
        def fetch(offset: int, limit: int) -> list[OpportunityRow]:
            assert self.pipeline is not None
            return self.store.board_cards(self.pipeline.id, stage_id, self.filter, offset=offset, limit=limit)

        return fetch

    def refresh_columns(self, stage_ids: set[int] | None = None) -> None:
        """Recompute every header's count and sum; reload the columns in `stage_ids` (all when None)."""
        if self.pipeline is None:
            return
        totals = self.store.board_totals(self.pipeline.id, self.filter)
        currency = str(getattr(getattr(self.app, "settings", None), "currency", "EUR"))
        for column in self.columns:
            count, total = totals.get(column.stage.id, (0, 0))
            header = Text(column.stage.name, style="bold", no_wrap=True, overflow="ellipsis")
            header.append("\n")
            header.append(f"{count} · {short_money(total, currency, self.locale)}", style="dim")
            head = self.query_one(f"#head-{column.stage.id}", Static)
            if head.content != header:
                head.update(header, layout=False)  # fixed height: no layout pass for a new total
            if stage_ids is None or column.stage.id in stage_ids or column.count != count:
                column.set_data(count)

    def _update_bar(self) -> None:
        name = self.pipeline.name if self.pipeline else ""
        self.query_one("#board-title", Static).update(Text(name, style="bold"))
        f = self.filter
        parts = [_("Status: {s}").format(s=_(STATUS_LABELS.get(f.status or "", "all")))]
        if f.owner:
            parts.append(_("Owner: {o}").format(o=f.owner))
        if f.tag:
            parts.append(_("Tag: {t}").format(t=f.tag))
        self.query_one("#board-filters", Static).update(Text(" · ".join(parts)))

    def set_filter(self, f: BoardFilter) -> None:
        self.filter = f
        self._update_bar()
        self.refresh_columns()

    # --- focus -------------------------------------------------------------------------------------

    @property
    def column(self) -> BoardColumn | None:
        """The focused column (or the last one focused, while the search box has focus)."""
        if not self.columns:
            return None
        return self.columns[min(self._focus_index, len(self.columns) - 1)]

    @property
    def card(self) -> OpportunityRow | None:
        column = self.column
        return column.card if column else None

    def activate(self, index: int) -> None:
        """Make column `index` the current one and scroll it into view (focus stays put, see BoardColumn)."""
        for i, column in enumerate(self.columns):
            column.active = i == index
        self._focus_index = index
        if self.columns and self.columns[index].parent is not None:
            self.columns[index].parent.scroll_visible(animate=False)  # type: ignore[union-attr]

    def focus_card(self, opportunity_id: int) -> bool:
        """Focus the column holding the card and put the cursor on it; False when it is not on the board."""
        try:
            row = self.store.opportunity_row(opportunity_id)
        except StoreError:
            return False
        if self.pipeline is None or row.pipeline_id != self.pipeline.id:
            return False
        position = self.store.board_position(opportunity_id, self.filter)
        for i, column in enumerate(self.columns):
            if column.stage.id == row.stage_id:
                self.activate(i)
                if position is not None:
                    column.set_cursor(position)
                return position is not None
        return False

    def action_column(self, delta: int) -> None:
        if not self.columns:
            return
        current = self.column
        index = max(0, min(len(self.columns) - 1, self._focus_index + delta))
        target = self.columns[index]
        if current is not None and current is not target:
            # keep the eye at the same height: the card at the same row of the viewport
            row_on_screen = current.cursor - int(current.scroll_y) // 5
            target.set_cursor(int(target.scroll_y) // 5 + max(0, row_on_screen))
        self.activate(index)

    def action_card(self, delta: int) -> None:
        if self.column:
            self.column.move_cursor(delta)

    def action_page(self, delta: int) -> None:
        if self.column:
            self.column.move_cursor(delta * self.column.page_size)

    def action_edge(self, direction: int) -> None:
        if self.column:
            self.column.set_cursor(0 if direction < 0 else self.column.count - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what needs a card when the column is empty, and what does not apply to its status."""
        needs_card = {"move_stage", "move_anywhere", "status", "lost", "open_detail", "edit", "delete"}
        if action in needs_card:
            card = self.card
            if card is None:
                return None
            if action == "status" and parameters and parameters[0] == card.status:
                return None
        if action == "undo" and not self.undo_stack:
            return None
        return True

    # --- moves and status --------------------------------------------------------------------------

    def _after_change(self, opportunity_id: int, stage_ids: set[int]) -> None:
        self._own_changes.add(opportunity_id)
        self.refresh_columns(stage_ids)
        self.focus_card(opportunity_id)
        if len(self.undo_stack) <= 1:
            self.refresh_bindings()  # "Undo" may have just become available (or not)

    def move_card(
        self, row: OpportunityRow, stage_id: int, pipeline_id: int | None = None, then: Callable[[], None] | None = None
    ) -> None:
        """Move through the store (history + events) and remember how to undo it; `then` after it is saved."""

        def moved(_result: object) -> None:
            txn = self.written_txn
            self.undo_stack.append(UndoEntry("move", row.id, txn, stage_id=row.stage_id, pipeline_id=row.pipeline_id))
            self._after_change(row.id, {row.stage_id, stage_id})
            if then is not None:
                then()
            self._after_move_hint(row, stage_id)

        self.run_store_write(
            partial(self.store.move_opportunity, row.id, stage_id, pipeline=pipeline_id, origin="tui"), done=moved
        )

    def _after_move_hint(self, row: OpportunityRow, stage_id: int) -> None:
        """Say what a move into a pipeline's last stage means: won on entry (it was won), or not (`w` wins it;
        nothing else would tell that the deal is still open)."""
        if self.pipeline is None or not self.pipeline.stages or row.status != "open":
            return
        stage = next((s for s in self.pipeline.stages if s.id == stage_id), None)
        if stage is None:
            return
        try:
            status = self.store.opportunity_row(row.id).status
        except StoreError:
            return
        if stage.won_on_entry and status == "won":
            message = _("“{title}” is now won ({stage} wins on entry; u undoes)")
            self.notify(Text(message.format(title=row.title, stage=stage.name)).plain, markup=False)
        elif stage.id == self.pipeline.stages[-1].id and status == "open":
            message = _("“{title}” is still open: press w to mark it won")
            self.notify(Text(message.format(title=row.title)).plain, markup=False, timeout=6)

    def set_status(self, row: OpportunityRow, status: str, reason: str = "") -> None:
        def saved(_result: object) -> None:
            txn = self.written_txn
            self.undo_stack.append(UndoEntry("status", row.id, txn, status=row.status, reason=row.lost_reason))
            self._after_change(row.id, {row.stage_id})
            label = _(STATUS_LABELS.get(status, status))
            self.notify(Text(_("“{title}” is now {status}").format(title=row.title, status=label)).plain, markup=False)

        self.run_store_write(partial(self.store.set_status, row.id, status, reason=reason, origin="tui"), done=saved)

    def action_move_stage(self, delta: int) -> None:
        row, column = self.card, self.column
        if row is None or column is None:
            return
        index = self.columns.index(column) + delta
        if 0 <= index < len(self.columns):
            self.move_card(row, self.columns[index].stage.id)

    def action_move_anywhere(self) -> None:
        row = self.card
        if row is None:
            return
        options = [
            (f"{p.name} › {s.name}", (p.id, s.id))
            for p in self.store.list_pipelines()
            for s in p.stages
            if s.id != row.stage_id
        ]

        def done(choice: tuple[int, int] | None) -> None:
            if choice is None:
                return
            pipeline_id, stage_id = choice
            note = _("Moved to another pipeline (u undoes)") if pipeline_id != row.pipeline_id else ""
            self.move_card(row, stage_id, pipeline_id, then=(lambda: self.notify(note)) if note else None)

        self.app.push_screen(ChoicePicker(_("Move “{t}” to").format(t=row.title), options), done)

    def action_status(self, status: str) -> None:
        row = self.card
        if row is not None:
            self.set_status(row, status)

    def action_lost(self) -> None:
        row = self.card
        if row is None:
            return
        reasons = list(dict.fromkeys([*self.store.lost_reasons(), *map(_, DEFAULT_LOST_REASONS)]))

        def done(reason: str | None) -> None:
            if reason is not None:
                self.set_status(row, "lost", reason)

        picker = ChoicePicker(
            _("Why was “{t}” lost?").format(t=row.title),
            [(r, r) for r in reasons],
            allow_text=True,
            hint=_("Pick a reason or type your own, then enter"),
        )
        self.app.push_screen(picker, done)

    def action_delete(self) -> None:
        row = self.card
        if row is None:
            return
        from .contact_forms import ConfirmDialog

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store_write(partial(self.store.delete_opportunity, row.id, origin="tui"), done=deleted)

        def deleted(_result: object) -> None:
            self.undo_stack.append(UndoEntry("delete", row.id, self.written_txn, stage_id=row.stage_id, at=_now()))
            self._after_change(row.id, {row.stage_id})
            message = _("Deleted “{title}” — u to undo, D lists the deleted")
            self.notify(Text(message.format(title=row.title)).plain, markup=False, timeout=4)

        question = Text(_("Delete “{title}” ({contact})? (u undoes)").format(title=row.title, contact=row.contact_name))
        self.app.push_screen(ConfirmDialog(question.plain, _("Delete opportunity")), confirmed)

    def action_deleted(self) -> None:
        """The deleted deals of this pipeline, newest first; picking one restores it where it was."""
        if self.pipeline is None:
            return
        rows = self.store.list_opportunities(pipeline=self.pipeline.id, deleted=True)
        rows.sort(key=lambda r: r.deleted_at or r.created_at, reverse=True)
        if not rows:
            self.notify(_("No deleted opportunities in this pipeline"), timeout=3)
            return
        options = [
            (f"{r.title} — {r.contact_name} · {r.stage} · {datetime_short(r.deleted_at, self.locale)}", r)
            for r in rows
            if r.deleted_at is not None
        ]

        def picked(row: OpportunityRow | None) -> None:
            if row is not None:
                self.run_store_write(
                    partial(self.store.restore_opportunity, row.id, origin="tui"),
                    done=partial(self._restored, row),
                )

        hint = _("enter restores it where it was, with its notes and tasks")
        self.app.push_screen(ChoicePicker(_("Deleted opportunities"), options, hint=hint), picked)

    def _restored(self, row: OpportunityRow, _result: object) -> None:
        self.undo_stack.append(UndoEntry("restore", row.id, self.written_txn, stage_id=row.stage_id))
        self._after_change(row.id, {row.stage_id})
        self.notify(Text(_("Restored “{title}”").format(title=row.title)).plain, markup=False, timeout=3)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify(_("Nothing to undo"))
            return
        if self.undo_stack[-1].kind == "delete" and _now() - self.undo_stack[-1].at > UNDO_WINDOW:
            title = self._title_of(self.undo_stack[-1].opportunity_id)
            message = _("Nothing recent to undo: restore “{title}” from the deleted opportunities (D)")
            self.notify(Text(message.format(title=title)).plain, markup=False, timeout=4)
            return
        entry = self.undo_stack.pop()
        try:
            row = self.store.opportunity_row(entry.opportunity_id)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return

        def undo() -> Any:
            # The same log-based undo as `koachify import --undo`: what was changed again since stays.
            return self.store.undo_changes(entry.txn, origin="tui") if entry.txn else None

        def undone(outcome: Any) -> None:
            if outcome is not None and outcome.kept and not outcome.reverted:
                self.notify(Text(_("Not undone: {why}").format(why=outcome.kept[0].reason)).plain, markup=False)
                self.refresh_bindings()
                return
            if self.pipeline is not None and entry.kind == "move" and entry.pipeline_id != self.pipeline.id:
                self.refresh_columns({row.stage_id})
            else:
                self._after_change(row.id, {row.stage_id, entry.stage_id})
            self.refresh_bindings()
            if entry.kind == "delete":
                self.notify(Text(_("Undone: restored “{title}”").format(title=row.title)).plain, markup=False)
            else:
                self.notify(_("Undone"))

        def failed(exc: Exception) -> None:
            self.undo_stack.append(entry)  # not undone: it can be tried again
            self.notify(error_text(exc), severity="error", markup=False)

        self.run_store_write(undo, done=undone, failed=failed)

    def _title_of(self, opportunity_id: int) -> str:
        try:
            return self.store.opportunity_row(opportunity_id).title
        except StoreError:
            return f"#{opportunity_id}"

    # --- other screens -----------------------------------------------------------------------------

    def action_open_detail(self) -> None:
        row = self.card
        if row is not None:
            from .opportunity_detail import OpportunityDetail

            self.app.push_screen(OpportunityDetail(row.id, clock=self.clock), self._after_form)

    def action_new(self) -> None:
        from .opportunity_form import OpportunityForm

        if self.pipeline is not None and not self.pipeline.stages:  # written by another client, or an old file
            self.notify(_("This pipeline has no stages: press P to add some."), severity="warning")
            return
        column = self.column
        form = OpportunityForm(
            self.store,
            pipeline_id=self.pipeline.id if self.pipeline else None,
            stage_id=column.stage.id if column else None,
        )
        self.app.push_screen(form, self._after_form)

    def action_edit(self) -> None:
        row = self.card
        if row is not None:
            from .opportunity_form import OpportunityForm

            self.app.push_screen(OpportunityForm(self.store, opportunity_id=row.id), self._after_form)

    def _after_form(self, opportunity_id: int | None) -> None:
        self.refresh_columns()
        if opportunity_id is not None:
            self.focus_card(opportunity_id)
        self.refresh_bindings()

    def action_pick_pipeline(self) -> None:
        pipelines = self.store.list_pipelines()

        async def done(pipeline_id: int | None) -> None:
            if pipeline_id is not None:
                await self.show_pipeline(pipeline_id)

        current = self.pipeline.id if self.pipeline else None
        self.app.push_screen(ChoicePicker(_("Pipeline"), [(p.name, p.id) for p in pipelines], current=current), done)

    async def show_pipeline(self, pipeline_id: int) -> None:
        self.pipeline = self.store.get_pipeline(pipeline_id)
        self._focus_index = 0
        await self.rebuild()

    def action_manage_pipelines(self) -> None:
        from .pipelines import PipelinesScreen

        async def done(_result: Any) -> None:
            pipelines = self.store.list_pipelines()
            current = self.pipeline.id if self.pipeline else None
            self.pipeline = next((p for p in pipelines if p.id == current), pipelines[0] if pipelines else None)
            await self.rebuild()

        self.app.push_screen(PipelinesScreen(self.store), done)

    # --- filters -----------------------------------------------------------------------------------

    def action_filter_status(self) -> None:
        options = [*((_(STATUS_LABELS[s]), s) for s in STATUSES), (_("all"), "all")]

        def done(status: str | None) -> None:
            if status is not None:  # None: escape; "all" shows every status
                value = None if status == "all" else status
                self.set_filter(BoardFilter(value, self.filter.owner, self.filter.tag, self.filter.text))

        self.app.push_screen(ChoicePicker(_("Show"), options, current=self.filter.status or "all"), done)

    def action_filter_owner(self) -> None:
        options = [(_("Any owner"), ""), *((o, o) for o in self.store.opportunity_owners())]

        def done(owner: str | None) -> None:
            if owner is not None:
                self.set_filter(BoardFilter(self.filter.status, owner, self.filter.tag, self.filter.text))

        self.app.push_screen(ChoicePicker(_("Owner"), options, current=self.filter.owner), done)

    def action_filter_tag(self) -> None:
        options = [(_("Any tag"), ""), *((t, t) for t in self.store.opportunity_tag_names())]

        def done(tag: str | None) -> None:
            if tag is not None:
                self.set_filter(BoardFilter(self.filter.status, self.filter.owner, tag, self.filter.text))

        self.app.push_screen(ChoicePicker(_("Tag"), options, current=self.filter.tag), done)

    def action_search(self) -> None:
        self.query_one("#board-search", Input).focus()

    @on(Input.Changed, "#board-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value != self.filter.text:
            self.set_filter(BoardFilter(self.filter.status, self.filter.owner, self.filter.tag, event.value))

    @on(Input.Submitted, "#board-search")
    def _search_submitted(self) -> None:
        self.set_focus(None)

    def action_clear_filters(self) -> None:
        search = self.query_one("#board-search", Input)
        if search.value:
            search.value = ""
        if not self.filter.is_default:
            self.set_filter(BoardFilter())
        self.set_focus(None)

    # --- store changes from elsewhere (automations, other screens) ---------------------------------

    def on_store_changed(self, message: StoreChanged) -> None:
        """Repaint for changes made elsewhere (automations, imports); the board's own moves and status
        changes were repainted when made, so their echo is skipped (a full reload costs ≈ 6 queries)."""
        own, self._own_changes = self._own_changes, set()
        foreign = [
            e
            for e in message.events
            if not (
                isinstance(e, OpportunityStageChanged | OpportunityStatusChanged)
                and e.opportunity_id in own
                and e.origin == "tui"
            )
        ]
        if foreign and self.pipeline is not None:
            self._reload_keeping_cursor()

    def on_screen_resume(self) -> None:
        """Back from another mode or a pushed screen: what was changed there is not on the board yet."""
        if self.pipeline is not None and self.columns:
            self._reload_keeping_cursor()

    def _reload_keeping_cursor(self) -> None:
        row = self.card
        self.refresh_columns()
        if row is not None:
            self.focus_card(row.id)
