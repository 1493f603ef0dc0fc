"""The contact detail pane on its own: header (custom fields, tags, automations), deals, timeline lines."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Static

from koachify_tui.app import make_app
from koachify_tui.automations.sequences import create_sequence, enroll
from koachify_tui.config import Settings
from koachify_tui.screens.contact_detail import ContactDetailPane, load_detail
from koachify_tui.store import Store
from koachify_tui.widgets.timeline import item_text


def test_load_detail_merges_contact_and_deal_items(store: Store) -> None:
    c = store.create_contact(first_name="Ada", tags=["vip"])
    assert c.id is not None
    store.define_field("contact", "Obiettivo", type="select", options=["Peso", "Forza"])
    store.define_field("contact", "Privacy", type="boolean")
    store.set_field_value("contact", c.id, "obiettivo", "Forza")
    store.set_field_value("contact", c.id, "privacy", True)
    pipeline = store.list_pipelines()[0]
    opp = store.create_opportunity(c.id, "Mastermind", pipeline.id, value_minor=150000)
    store.move_opportunity(opp.id, pipeline.stages[1].id)
    store.add_note("sul deal", opportunity_id=opp.id)
    data = load_detail(store, c.id, None, None)
    assert ("Obiettivo", "Forza") in data.custom and ("Privacy", "yes") in data.custom
    kinds = {(i.kind, i.opportunity_title) for i in data.timeline}
    assert ("note", "Mastermind") in kinds and ("stage_change", "Mastermind") in kinds
    move = next(i for i in data.timeline if i.kind == "stage_change")
    assert item_text(move).plain.startswith(f"{pipeline.stages[0].name} → {pipeline.stages[1].name}")
    only_notes = load_detail(store, c.id, "notes", None).timeline
    assert [i.kind for i in only_notes] == ["note"]
    assert load_detail(store, c.id, None, opp.id).timeline and all(
        i.opportunity_id == opp.id for i in load_detail(store, c.id, None, opp.id).timeline
    )


async def test_header_shows_automations_tags_and_money(store: Store, settings: Settings) -> None:
    c = store.create_contact(first_name="Bea", last_name="[bold]Neri[/]", tags=["[red]vip"], owner="Giulia")
    assert c.id is not None
    create_sequence(store, "Benvenuto", [{"delay_days": 3, "action": "task", "title": "Chiamata"}])
    enroll(store, c.id, "Benvenuto")
    store.create_opportunity(c.id, "Percorso", "Vendite Coaching", value_minor=150000)
    store.add_task("Vecchio", contact_id=c.id, due_at=datetime(2020, 1, 1, tzinfo=UTC))
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.screen.query_one(ContactDetailPane)
        header = str(pane.query_one("#detail-header", Static).content)
        assert "Bea [bold]Neri[/]" in header and "[red]vip" in header and "Giulia" in header
        assert "Benvenuto" in header  # the active follow-up sequence
        assert app.screen.sub_title == "Bea [bold]Neri[/]"
        opps = pane.query_one("#detail-opps")
        assert opps.get_row_at(0)[3].plain == "1.500,00\xa0€"
