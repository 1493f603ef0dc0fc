"""The board screen driven from the keyboard: moves, status changes, undo, pipelines, the canonical flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.board import BoardScreen
from koachify_tui.screens.opportunity_detail import OpportunityDetail
from koachify_tui.screens.pickers import ChoicePicker
from koachify_tui.screens.pipelines import PipelinesScreen
from koachify_tui.store import Store

SIZE = (160, 45)


@pytest.fixture
def board_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "board.db")
    yield store  # type: ignore[misc]
    store.close()


def _app(store: Store, tmp_path: Path) -> KoachifyApp:
    return make_app(Settings(db=str(tmp_path / "board.db"), locale="it_IT"), store, start="board")


def _opp(store: Store, title: str, value: int = 100_00, stage: str | None = None, contact: str = "Mario") -> int:
    cid = store.create_contact(first_name=contact, last_name="Rossi").id
    return store.create_opportunity(cid, title, "Vendite Coaching", stage=stage, value_minor=value).id  # type: ignore[arg-type,return-value]


def _board(app: KoachifyApp) -> BoardScreen:
    screen = app.screen
    assert isinstance(screen, BoardScreen)
    return screen


def _header(board: BoardScreen, stage_id: int) -> str:
    return str(board.query_one(f"#head-{stage_id}", Static).render()).replace("\xa0", " ").replace("\u202f", " ")


async def test_move_right_and_left_with_keys(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    stages = store.get_pipeline("Vendite Coaching").stages
    oid = _opp(store, "Percorso", 1500_00)
    _opp(store, "Altro", 200_00)
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = _board(app)
        assert board.card is not None and board.card.title == "Altro"  # newest first
        await pilot.press("j")
        assert board.card is not None and board.card.id == oid
        await pilot.press("shift+right")
        assert store.opportunity_row(oid).stage_id == stages[1].id
        assert board.column is not None and board.column.stage.id == stages[1].id  # focus followed
        assert board.card is not None and board.card.id == oid
        assert "1 · 200 €" in _header(board, stages[0].id)
        assert "1 · 1.500 €" in _header(board, stages[1].id)
        await pilot.press("L")
        assert store.opportunity_row(oid).stage_id == stages[2].id
        assert board.columns[2].count == 1 and board.columns[1].count == 0
        await pilot.press("H", "shift+left")
        assert store.opportunity_row(oid).stage_id == stages[0].id
        assert "2 · 1.700 €" in _header(board, stages[0].id)
        await pilot.press("shift+left")  # already first: nothing happens
        assert store.opportunity_row(oid).stage_id == stages[0].id
    moves = [h.text for h in store.opportunity_history(oid) if h.kind == "stage_change"]
    assert moves == [
        "Nuovo contatto → Proposta inviata",
        "Proposta inviata → Contratto vinto",
        "Contratto vinto → Proposta inviata",
        "Proposta inviata → Nuovo contatto",
    ]


async def test_status_keys_won_lost_abandoned_reopen(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Deal")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = _board(app)
        await pilot.press("w")
        row = store.opportunity_row(oid)
        assert (row.status, row.stage) == ("won", "Nuovo contatto")  # status is separate from stage
        assert board.columns[0].count == 0  # the board shows open deals by default
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press(*"all", "enter")
        await pilot.pause()
        assert board.filter.status is None and board.card is not None
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press(*"Budget finito", "enter")
        await pilot.pause()
        row = store.opportunity_row(oid)
        assert (row.status, row.lost_reason) == ("lost", "Budget finito")
        await pilot.press("x")  # this time pick a reason from the list
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert store.opportunity_row(oid).lost_reason == "Budget finito"  # used before: first in the list
        await pilot.press("a")
        assert store.opportunity_row(oid).status == "abandoned"
        await pilot.press("r")
        assert store.opportunity_row(oid).status == "open"
        assert store.opportunity_row(oid).lost_reason == ""
    statuses = [h.text for h in store.opportunity_history(oid) if h.kind == "status_change"]
    assert statuses == ["open → won", "won → lost (Budget finito)", "lost → abandoned", "abandoned → open"]


async def test_move_to_another_pipeline_and_undo(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    other = store.create_pipeline("Aziende", ["Contatto", "Demo", "Firmato"])
    oid = _opp(store, "Team coaching", 5000_00)
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = _board(app)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"demo", "enter")  # filters to "Aziende › Demo"
        await pilot.pause()
        row = store.opportunity_row(oid)
        assert (row.pipeline_id, row.stage) == (other.id, "Demo")
        assert board.columns[0].count == 0
        await pilot.press("u")  # back to its pipeline and stage, as a recorded move
        await pilot.pause()
        row = store.opportunity_row(oid)
        assert (row.pipeline, row.stage) == ("Vendite Coaching", "Nuovo contatto")
        assert board.card is not None and board.card.id == oid
        await pilot.press("p")
        await pilot.pause()
        await pilot.press(*"Aziende", "enter")
        await pilot.pause()
        assert board.pipeline is not None and board.pipeline.name == "Aziende"
        assert [c.stage.name for c in board.columns] == ["Contatto", "Demo", "Firmato"]
    assert len([h for h in store.opportunity_history(oid) if h.kind == "stage_change"]) == 2


async def test_undo_moves_and_status_changes_in_order(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Deal")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = _board(app)
        await pilot.press("L", "L")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*"Prezzo", "enter")
        await pilot.pause()
        assert store.opportunity_row(oid).status == "lost"
        await pilot.press("u")
        row = store.opportunity_row(oid)
        assert (row.status, row.stage, row.lost_reason) == ("open", "Contratto vinto", "")
        assert board.card is not None and board.card.id == oid
        await pilot.press("u")
        assert store.opportunity_row(oid).stage == "Proposta inviata"
        await pilot.press("u")
        assert store.opportunity_row(oid).stage == "Nuovo contatto"
        assert not board.undo_stack
        await pilot.press("u")  # nothing left: no error
        assert store.opportunity_row(oid).stage == "Nuovo contatto"


async def test_delete_a_stage_with_cards_moves_them(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    stages = store.get_pipeline("Vendite Coaching").stages
    a = _opp(store, "A", stage="Proposta inviata")
    b = _opp(store, "B", stage="Proposta inviata")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, PipelinesScreen)
        await pilot.press("tab", "down", "d")  # stages list, "Proposta inviata"
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)  # it holds cards: where to?
        await pilot.press(*"contratto", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PipelinesScreen)
        await pilot.press("escape")
        await pilot.pause()
        board = _board(app)
        assert [c.stage.name for c in board.columns] == ["Nuovo contatto", "Contratto vinto"]
        assert board.columns[1].count == 2
    assert {store.opportunity_row(a).stage_id, store.opportunity_row(b).stage_id} == {stages[2].id}
    assert [s.name for s in store.get_pipeline("Vendite Coaching").stages] == ["Nuovo contatto", "Contratto vinto"]


async def test_pipeline_management_names_are_unique(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        await pilot.press("n", *"Aziende", "enter")
        await pilot.pause()
        await pilot.press("enter")  # default stages
        await pilot.pause()
        assert "Aziende" in [p.name for p in store.list_pipelines()]
        await pilot.press("tab", "a", *"lead", "enter")  # clashes with "Lead" (case-insensitive)
        await pilot.pause()
        assert "already" in str(app.screen.query_one("#pm-status", Static).render())
        await pilot.press("J")  # reorder: Lead goes after Proposal
        await pilot.pause()
        assert [s.name for s in store.get_pipeline("Aziende").stages] == ["Proposal", "Lead", "Won"]
        await pilot.press("r")
        await pilot.pause()
        inp = app.screen.query_one(Input)
        inp.value = "Proposta"
        await pilot.press("enter")
        await pilot.pause()
        assert [s.name for s in store.get_pipeline("Aziende").stages] == [
            "Proposal",
            "Proposta",
            "Won",
        ]  # the moved stage stays selected


async def test_canonical_flow_shows_on_the_contact_timeline(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    cid = store.create_contact(first_name="Giulia", last_name="Bianchi").id
    assert cid is not None
    oid = store.create_opportunity(cid, "Percorso 3 mesi", "Vendite Coaching", value_minor=1500_00).id
    seen: list[str] = []
    store.subscribe(lambda e: seen.append(type(e).__name__))
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.press("shift+right")
        await pilot.press("w")
        await pilot.pause()
    row = store.opportunity_row(oid)  # type: ignore[arg-type]
    assert (row.stage, row.status) == ("Contratto vinto", "won")
    texts = [i.text for i in store.timeline(cid, kinds=("stage_change", "status_change"))]
    assert texts == ["open → won", "Proposta inviata → Contratto vinto", "Nuovo contatto → Proposta inviata"]
    assert seen.count("OpportunityStageChanged") == 2 and "OpportunityStatusChanged" in seen  # automations fire


async def test_detail_adds_a_note_that_reaches_the_contact(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Deal")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OpportunityDetail)
        await pilot.press("N")  # the same keys as on the contact
        await pilot.pause()
        await pilot.press(*"Chiamata fatta", "enter")
        await pilot.pause()
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*"Inviare contratto", "enter", *"+3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, OpportunityDetail)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
    contact = store.opportunity_row(oid).contact_id
    kinds = {(i.kind, i.text, i.opportunity_id) for i in store.timeline(contact, kinds=("note", "task"))}
    assert kinds == {("note", "Chiamata fatta", oid), ("task", "Inviare contratto", oid)}


async def test_titles_are_never_markup_and_search_filters(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    _opp(store, "[bold]x[/]")
    _opp(store, "Rossi [/", contact="Anna")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        column = _board(app).columns[0]
        lines = "\n".join("".join(s.text for s in column.render_line(y)) for y in range(10))
        assert "[bold]x[/]" in lines and "Rossi [/" in lines
        await pilot.press("slash", *"bold")
        await pilot.pause()
        assert column.count == 1
        await pilot.press("escape")  # leaves the search box
        await pilot.press("escape")  # clears the filters
        await pilot.pause()
        assert column.count == 2
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Pipeline", "Next stage", "Won", "Lost", "Search"} <= set(titles)
        assert "Undo" not in titles  # greyed out: nothing to undo yet


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _cursor_styles(board: BoardScreen) -> list[tuple[bool, set[str]]]:
    """(active, the styles of the cursor card's first line) per column that holds a card."""
    out = []
    for column in board.columns:
        if column.count:
            top = column.cursor * 5 - int(column.scroll_y)
            out.append((column.active, {str(s.style) for s in column.render_line(top)}))
    return out


@pytest.mark.parametrize("theme", ["koachify", "textual-light"])
async def test_focused_column_cursor_is_unmistakable(board_store: Store, tmp_path: Path, theme: str) -> None:
    store = board_store
    stages = store.get_pipeline("Vendite Coaching").stages
    first = _opp(store, "Primo", stage=stages[0].name)
    second = _opp(store, "Secondo", stage=stages[1].name)
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await pilot.pause()
        board = _board(app)
        styles = _cursor_styles(board)
        assert [active for active, _ in styles] == [True, False]
        (_, focused), (_, blurred) = styles
        assert focused.isdisjoint(blurred)  # no segment of the two cursors is drawn alike
        focused_bg = {s.split(" on ")[1] for s in focused}
        blurred_bg = {s.split(" on ")[1] for s in blurred}
        assert len(focused_bg) == len(blurred_bg) == 1 and focused_bg != blurred_bg
        for column in board.columns[:2]:  # every text of both cursor cards (title, value…) is readable
            for y in range(4):
                for seg in column.render_line(y):
                    if seg.text.strip() and seg.style and seg.style.color and seg.style.bgcolor:
                        fg, bg = seg.style.color.triplet, seg.style.bgcolor.triplet
                        assert fg and bg and _contrast(fg.hex, bg.hex) >= 4.5, (theme, seg)
        await pilot.press("l")
        styles = _cursor_styles(board)
        assert [active for active, _ in styles] == [False, True]
        assert styles[1][1] == focused  # the focus moved, its look with it
        # the keys act on the focused column's card only
        assert board.card is not None and board.card.id == second
        await pilot.press("w")
        assert store.opportunity_row(second).status == "won"
        assert store.opportunity_row(first).status == "open"
        await pilot.press("h", "shift+right")
        assert store.opportunity_row(first).stage_id == stages[1].id
        assert store.opportunity_row(second).stage_id == stages[1].id
