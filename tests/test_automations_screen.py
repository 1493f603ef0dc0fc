"""The automations screen through Pilot: list, toggle, create/edit in the form, delete, run log."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import DataTable, Input, Select, TextArea

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.automations import (
    AutomationsScreen,
    RuleForm,
    actions_from_text,
    actions_to_text,
    filters_from_text,
    filters_to_text,
)
from koachify_tui.store import Store


def cells(table: DataTable, column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def open_screen(pilot) -> AutomationsScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("3")
    await pilot.pause(0.3)
    screen = pilot.app.screen
    assert isinstance(screen, AutomationsScreen)
    return screen


def test_text_forms_round_trip() -> None:
    filters = {"to_status": ["won", "lost"], "pipeline": "Vendite Coaching", "value_gte": 1500.0}
    assert filters_from_text(filters_to_text(filters)) == filters
    actions = [
        {"type": "add_tag", "target": "contact", "tag": 'Cliente "VIP" attivo'},
        {"type": "create_task", "title": "Richiamare", "due_in_days": 3},
        {"type": "set_field", "key": "punteggio", "value": 5},
    ]
    assert actions_from_text(actions_to_text(actions)) == actions


async def test_lists_rules_and_toggles_with_space(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        table = screen.query_one("#rules-table", DataTable)
        assert cells(table, 1) == ["Won ⇒ tag Cliente attivo"]
        assert "to_status=won" in cells(table, 3)[0]
        assert "Cliente attivo" in cells(table, 4)[0]
        rule_id = store.list_rules()[0].id or 0
        await pilot.press("space")
        await pilot.pause(0.2)
        assert store.get_rule(rule_id).enabled is False
        assert cells(table, 0) == ["○"]
        await pilot.press("space")
        await pilot.pause(0.2)
        assert store.get_rule(rule_id).enabled is True


async def test_run_count_last_error_and_run_log(store: Store, settings: Settings) -> None:
    gone = store.add_stage("Vendite Coaching", "[red]Nowhere")
    store.create_rule(
        "Broken [bold]x[/]",
        "opportunity.status_changed",
        actions=[{"type": "move_opportunity", "stage": "[red]Nowhere"}],
    )
    store.delete_stage(gone.id)  # the rule now names a stage that is gone: it fails when it runs
    cid = store.create_contact(first_name="Anna").id or 0
    oid = store.create_opportunity(cid, "Deal", "Vendite Coaching").id or 0
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        store.set_status(oid, "won")  # while the screen is open: it refreshes on the store event
        await pilot.pause(0.4)
        table = screen.query_one("#rules-table", DataTable)
        assert cells(table, 5) == ["1", "1"]
        broken = table.get_row_at(1)
        assert isinstance(broken[1], Text) and broken[1].plain == "Broken [bold]x[/]"  # literal, not markup
        assert "[red]Nowhere" in str(broken[7])

        await pilot.press("j")
        await pilot.pause(0.3)
        runs = screen.query_one("#runs-table", DataTable)
        assert runs.row_count == 1 and "[red]Nowhere" in str(runs.get_row_at(0)[3])
        await pilot.press("l")
        await pilot.pause(0.3)
        assert runs.row_count == 2 and "every run" in str(runs.border_title)


async def test_create_and_edit_in_the_form(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RuleForm)
        form.query_one("#rule-name", Input).value = "Proposta ⇒ task"
        form.query_one("#rule-trigger", Select).value = "opportunity.stage_changed"
        form.query_one("#rule-filters", TextArea).text = "to_stage = Proposta inviata"
        form.query_one("#rule-actions", TextArea).text = 'create_task title="Richiamare" due_in_days=3'
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, RuleForm)
        rule = next(r for r in store.list_rules() if r.name == "Proposta ⇒ task")
        assert json.loads(rule.filters_json) == {"to_stage": "Proposta inviata"}
        assert json.loads(rule.actions_json) == [{"type": "create_task", "title": "Richiamare", "due_in_days": 3}]
        table = screen.query_one("#rules-table", DataTable)
        assert table.cursor_row == 1  # the new rule is highlighted

        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RuleForm)
        assert form.query_one("#rule-filters", TextArea).text == "to_stage = Proposta inviata"
        form.query_one("#rule-actions", TextArea).text = "explode now=1"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RuleForm)  # invalid: the form stays, with the error
        assert "explode" in str(form.query_one("#form-error").render())
        form.query_one("#rule-name", Input).value = "Renamed"
        form.query_one("#rule-actions", TextArea).text = "add_tag tag=Caldo"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert store.get_rule(rule.id or 0).name == "Renamed"
        assert json.loads(store.get_rule(rule.id or 0).actions_json) == [{"type": "add_tag", "tag": "Caldo"}]


async def test_delete_after_confirming(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # no
        await pilot.pause()
        assert len(store.list_rules()) == 1
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.3)
        assert store.list_rules() == []
        assert screen.query_one("#rules-table", DataTable).row_count == 0


async def test_seed_scenario_through_the_board_keys(store: Store, settings: Settings) -> None:
    cid = store.create_contact(first_name="Giulia", last_name="Neri", source="Form", origin="tui").id or 0
    oid = store.create_opportunity(cid, "Percorso 3 mesi", "Vendite Coaching", origin="tui").id or 0
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2")  # the board, on "Vendite Coaching"
        await pilot.pause(0.3)
        for stage in ("Proposta inviata", "Contratto vinto"):
            await pilot.press("L")  # move the card to the next stage
            await pilot.pause(0.3)
            assert store.opportunity_row(oid).stage == stage
        await pilot.press("w")
        await pilot.pause(0.3)
    assert store.get_opportunity(oid).status == "won"
    assert "Cliente attivo" in store.contact_tags(cid)
    changes = [(i.kind, i.text) for i in reversed(store.timeline(cid)) if i.kind != "created"]
    assert changes == [
        ("stage_change", "Nuovo contatto → Proposta inviata"),
        ("stage_change", "Proposta inviata → Contratto vinto"),
        ("status_change", "open → won"),
        ("automation", "Automation “Won ⇒ tag Cliente attivo”: contact tagged “Cliente attivo”"),
    ]
