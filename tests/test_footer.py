"""The footer (widgets/chrome.py): its keys are mounted again only when what it shows changes."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.widgets.chrome import Footer


async def _keys(pilot: Pilot[None], missing: str = "") -> list[FooterKey]:
    """The footer's keys once they are drawn (and, given, once `missing` is no longer among them)."""
    keys: list[FooterKey] = []
    for _ in range(100):  # the footer fills in a few frames after mount on a loaded machine
        await pilot.pause(0.05)
        keys = list(pilot.app.screen.query_one(Footer).query(FooterKey))
        if keys and missing not in {k.description for k in keys}:
            break
    return keys


async def test_the_same_keys_are_not_mounted_again(store: Store, settings: Settings) -> None:
    store.create_contact(first_name="Anna", last_name="Bianchi")
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        before = await _keys(pilot)
        assert {"Search", "New", "Edit"} <= {k.description for k in before}
        for _ in range(3):  # the bindings signal, as focus and check_action refreshes send it
            app.screen.refresh_bindings()
            await pilot.pause(0.05)
        assert list(app.screen.query_one(Footer).query(FooterKey)) == before  # the same widgets, not new ones
        await pilot.press("slash")  # the search box has the focus: other keys
        after = await _keys(pilot, missing="Edit")
        assert "Edit" not in {k.description for k in after}
        assert not set(after) & set(before)
        await pilot.press("escape")  # back to the list: its keys again, mounted anew
        again = await _keys(pilot)
        assert {k.description for k in again} == {k.description for k in before}


async def test_a_language_switch_redraws_the_same_keys(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "Search" in {k.description for k in await _keys(pilot)}
        app.switch_language("it")
        assert "Cerca" in {k.description for k in await _keys(pilot, missing="Search")}
