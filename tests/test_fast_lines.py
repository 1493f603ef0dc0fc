"""The contact list's own line painting (widgets/fast_lines.py) draws exactly what Textual's styles cache draws."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.widgets import fast_lines
from koachify_tui.widgets.contact_table import ContactTable
from test_contacts_screen import settle


def _segments(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


def _both(table: ContactTable, crop: Region) -> tuple[list[Strip], list[Strip]]:
    table._styles_cache.clear()
    textual = Widget.render_lines(table, crop)
    ours = fast_lines.render_lines(table, crop, table.render_line)
    assert ours is not None
    return textual, ours


@pytest.mark.parametrize("theme", ["koachify", "textual-light"])
async def test_fast_lines_equal_the_styles_cache(store: Store, settings: Settings, theme: str) -> None:
    store.create_contact(first_name="Niccolò", last_name="D'Amico", company="Città srl", tags=["vip"])
    store.create_contact(first_name="A名前", last_name="Wide", phone="+39 333 123 4567")
    for i in range(60):
        store.create_contact(first_name=f"Persona{i:02d}", email=f"persona{i}@example.it", source="Instagram")
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        full = Region(0, 0, *table.region.size)
        for state in ("focused", "blurred", "scrolled", "cursor down"):
            if state == "blurred":
                app.screen.set_focus(None)
            elif state == "scrolled":
                table.action_scroll_right()
            elif state == "cursor down":
                table.focus()
                table.move_cursor(row=5)
            await pilot.pause()
            for crop in (full, Region(3, 1, 40, 8), Region(0, table.region.height - 2, 20, 2)):
                textual, ours = _both(table, crop)
                assert _segments(ours) == _segments(textual), (state, crop)
                assert [s.cell_length for s in ours] == [s.cell_length for s in textual]
        # An empty list: blank lines below the header.
        table.show_page([], 0, 0, False)
        textual, ours = _both(table, full)
        assert _segments(ours) == _segments(textual)


async def test_other_styles_go_through_textual(store: Store, settings: Settings) -> None:
    """Padding (or tint, opacity…) is the styles cache's business: the fast path steps aside."""
    store.create_contact(first_name="Mario", last_name="Rossi")
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        table.styles.padding = (0, 1)
        await pilot.pause()
        assert fast_lines.render_lines(table, Region(0, 0, *table.region.size), table.render_line) is None
        lines = table.render_lines(Region(0, 0, *table.region.size))
        assert "Mario Rossi" in "".join(segment.text for segment in lines[2])
