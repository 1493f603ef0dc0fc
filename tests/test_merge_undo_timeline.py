"""Undo a merge later, from the survivor's timeline: `enter` on the "Merged with …" line, then `u`."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_detail import ContactDetailScreen
from koachify_tui.screens.timeline_item import TimelineItemScreen
from koachify_tui.store import DEFAULT_PIPELINE, Store
from koachify_tui.widgets.timeline import TimelineView


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_merge_line(pilot: Pilot[None]) -> TimelineItemScreen:
    await settle(pilot)
    await pilot.press("enter")  # the survivor (the only contact listed), on its own screen
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContactDetailScreen)
    timeline = pilot.app.screen.query_one(TimelineView)
    timeline.focus()
    timeline.move_cursor(row=[i.kind for i in timeline.items].index("merged"))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TimelineItemScreen)
    return screen


async def test_u_on_the_merge_line_undoes_it_and_says_what_was_kept(store: Store, settings: Settings) -> None:
    mario = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it").id or 0
    other = store.create_contact(first_name="Mario", last_name="Rossi", email="MARIO@x.it", company="Acme").id or 0
    store.create_opportunity(other, "Percorso", DEFAULT_PIPELINE)
    store.merge_contacts(mario, [other])
    store.update_contact(mario, company="Acme Group")  # a later edit to a value the merge decided
    async with make_app(settings, store).run_test(size=(100, 40)) as pilot:
        screen = await open_merge_line(pilot)
        assert "u undoes this merge" in str(screen.query_one("#item-merge", Static).render())
        await pilot.press("u")
        await settle(pilot)
        assert store.get_contact(other).company == "Acme"  # back, as it was
        assert len(store.list_opportunities(contact_id=other)) == 1
        assert store.get_contact(mario).company == "Acme Group"  # the later edit stays
        shown = str(screen.query_one("#item-merge", Static).render())
        assert f"Merge undone: Mario Rossi (#{other})" in shown and f"kept on #{mario}: company" in shown
        await pilot.press("u")  # once only
        await settle(pilot)
        assert pilot.app.screen is screen


async def test_a_merge_undone_meanwhile_is_not_undone_twice(store: Store, settings: Settings) -> None:
    mario = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it").id or 0
    other = store.create_contact(first_name="Mario", last_name="Rossi", email="MARIO@x.it").id or 0
    result = store.merge_contacts(mario, [other])
    async with make_app(settings, store).run_test(size=(100, 40)) as pilot:
        screen = await open_merge_line(pilot)
        store.undo_merge(result.merge_id)  # from the CLI, say, while the line is open
        await pilot.press("u")
        await settle(pilot)
        assert pilot.app.screen is screen and screen.merge_undone is None  # refused: a message, no crash
        assert store.get_contact(other).merged_into_id is None
