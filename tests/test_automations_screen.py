"""The automations screen through Pilot: list, toggle, create/edit in the form, delete, run log."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import DataTable, Input, OptionList, Select, Static

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.automations import AutomationsScreen, RuleForm
from koachify_tui.screens.rule_editor import ActionForm
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


async def test_lists_rules_and_toggles_with_space(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        table = screen.query_one("#rules-table", DataTable)
        assert cells(table, 1) == ["Won ⇒ tag Cliente attivo"]
        assert cells(table, 3) == ["pipeline «Vendite Coaching» · becomes won"]
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


async def pick(pilot, select_id: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Open a Select by keyboard and choose the option whose label is `label` (arrows, then enter)."""
    select = pilot.app.screen.query_one(select_id, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    overlay = select.query_one("SelectOverlay")
    labels = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
    target, start = labels.index(label), overlay.highlighted or 0
    await pilot.press(*(["down"] * (target - start) if target >= start else ["up"] * (start - target)), "enter")
    await pilot.pause()


async def test_create_and_edit_in_the_form(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RuleForm)
        await pilot.press(*"Proposta")
        await pick(pilot, "#rule-trigger", "Opportunity stage changed")
        await pilot.pause()
        await pick(pilot, "#flt-pipeline", "Vendite Coaching")
        stage = form.query_one("#flt-to_stage", Select)
        offered = [str(p) for p, _v in stage._options if _v is not Select.NULL]  # noqa: SLF001
        assert offered == [s.name for s in store.list_pipelines()[0].stages]  # that pipeline's stages only
        await pick(pilot, "#flt-to_stage", "Proposta inviata")
        # the action, in words: a adds, the action form offers what to do and its details
        form.query_one("#rule-actions", OptionList).focus()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionForm)
        await pick(pilot, "#act-type", "Create a task")
        app.screen.query_one("#p-title", Input).focus()
        await pilot.press(*"Richiamare", "tab", "3")
        await pilot.pause()
        assert "Create a task «Richiamare» due in 3 days" in str(app.screen.query_one("#act-preview", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        actions = form.query_one("#rule-actions", OptionList)
        assert str(actions.get_option_at_index(0).prompt) == "Create a task «Richiamare» due in 3 days"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, RuleForm)
        rule = next(r for r in store.list_rules() if r.name == "Proposta")
        assert json.loads(rule.filters_json) == {"pipeline": "Vendite Coaching", "to_stage": "Proposta inviata"}
        assert json.loads(rule.actions_json) == [{"type": "create_task", "title": "Richiamare", "due_in_days": 3}]
        table = screen.query_one("#rules-table", DataTable)
        assert table.cursor_row == 1  # the new rule is highlighted
        assert cells(table, 3)[1] == "pipeline «Vendite Coaching» · into «Proposta inviata»"
        assert cells(table, 4)[1] == "Create a task «Richiamare» due in 3 days"

        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RuleForm)
        assert form.query_one("#flt-to_stage", Select).value == "Proposta inviata"
        actions = form.query_one("#rule-actions", OptionList)
        actions.focus()
        await pilot.press("enter")  # edit the action: make it a tag on the deal
        await pilot.pause()
        assert isinstance(app.screen, ActionForm)
        await pick(pilot, "#act-type", "Add a tag")
        await pick(pilot, "#p-target", "the deal")
        app.screen.query_one("#p-tag", Input).value = "Caldo"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(actions.get_option_at_index(0).prompt) == "Add tag «Caldo» to the deal"
        form.query_one("#rule-name", Input).value = "Renamed"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert store.get_rule(rule.id or 0).name == "Renamed"
        assert json.loads(store.get_rule(rule.id or 0).actions_json) == [
            {"type": "add_tag", "target": "opportunity", "tag": "Caldo"}
        ]


async def test_the_editor_refuses_an_unknown_pipeline_typed_in(store: Store, settings: Settings) -> None:
    """The issue's reproducer: a pipeline the pickers cannot show is refused with the closest real name."""
    seed = store.list_rules()[0]
    store.rename_pipeline("Vendite Coaching", "Coaching")
    store.update_rule(seed.id or 0, filters={"to_status": "won", "pipeline": "Coaching"})
    store.rename_pipeline("Coaching", "Vendite Coaching")  # the rule is now broken, and shown so
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        table = screen.query_one("#rules-table", DataTable)
        assert cells(table, 0) == ["⚠"]
        assert "pipeline «Coaching» does not exist" in cells(table, 7)[0]
        assert "Broken: pipeline «Coaching»" in str(screen.query_one("#rule-detail", Static).render())
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RuleForm)
        typed = form.query_one("#flt-pipeline", Input)  # kept as typed, with completion from the real names
        typed.value = "Vendite Coachinto_status = won"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        assert "pipeline «Vendite Coachinto_status = won» does not exist: did you mean «Vendite Coaching»?" in error
        assert json.loads(store.get_rule(seed.id or 0).filters_json)["pipeline"] == "Coaching"  # nothing written
        typed.value = "Vendite Coaching"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, RuleForm)
        assert store.rule_problems() == {}
        assert cells(table, 0) == ["●"]


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
