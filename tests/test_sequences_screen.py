"""The sequences screen: list, create with the step lines, edit, pause, delete, who is enrolled."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Label, TextArea

from koachify_tui.app import make_app
from koachify_tui.automations import sequences as seq
from koachify_tui.config import Settings
from koachify_tui.screens.sequences import SequenceForm, SequencesScreen, parse_steps
from koachify_tui.store import InvalidValue, Store


def test_parse_steps() -> None:
    assert parse_steps("0 task Chiamata\n\n+3d note Ricordarsi del bonus") == [
        {"delay_days": 0, "action": "task", "title": "Chiamata", "body": ""},
        {"delay_days": 3, "action": "note", "title": "Ricordarsi del bonus", "body": "Ricordarsi del bonus"},
    ]
    with pytest.raises(InvalidValue, match="line 2"):
        parse_steps("1 task ok\ntomorrow call")
    with pytest.raises(InvalidValue):
        parse_steps("   ")


async def test_create_edit_pause_delete(store: Store, settings: Settings) -> None:
    c = store.create_contact(first_name="[b]Anna[/b]")
    app = make_app(settings, store, start="automations")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, SequencesScreen)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SequenceForm)
        form.query_one("#sequence-name", Input).value = "Benvenuto"
        form.query_one("#sequence-steps", TextArea).text = "0 task Chiamata\nnot a step"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "line 2" in str(form.query_one("#sequence-error", Label).render())  # nothing saved yet
        assert seq.list_sequences(store) == []
        form.query_one("#sequence-steps", TextArea).text = "0 task Chiamata\n3 task Follow-up"
        await pilot.press("ctrl+s")
        await pilot.pause()
        [info] = seq.list_sequences(store)
        assert [s.title for s in info.steps] == ["Chiamata", "Follow-up"]
        seq.enroll(store, c.id, info.id)
        screen = app.screen
        assert isinstance(screen, SequencesScreen)
        screen.load()
        await pilot.pause()
        enrolled = screen.query_one("#enrollment-table", DataTable)
        assert enrolled.get_row_at(0)[0].plain == "[b]Anna[/b]"  # user data shown literally
        await pilot.press("space")
        await pilot.pause()
        assert seq.list_sequences(store)[0].enabled is False
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#sequence-name", Input).value = "Benvenuto VIP"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert seq.list_sequences(store)[0].name == "Benvenuto VIP"
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert seq.list_sequences(store) == []
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "AutomationsScreen"


async def test_escape_in_form_saves_nothing(store: Store, settings: Settings) -> None:
    app = make_app(settings, store, start="automations")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#sequence-name", Input).value = "Draft"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SequencesScreen)
        assert seq.list_sequences(store) == []
