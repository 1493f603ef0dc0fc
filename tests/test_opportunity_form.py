"""The opportunity form: new with a picked or created contact, edit, inline validation, custom fields."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from koachify_tui.config import Settings
from koachify_tui.screens.opportunity_form import OpportunityForm
from koachify_tui.store import Store


class FormHost(App[None]):
    """A bare app that opens the form and keeps what it was dismissed with."""

    def __init__(self, store: Store, **kwargs: object) -> None:
        super().__init__()
        self.store = store
        self.settings = Settings(locale="it_IT", owner="Giulia")
        self.kwargs = kwargs
        self.results: list[int | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(OpportunityForm(self.store, **self.kwargs), self.results.append)  # type: ignore[arg-type]


async def test_new_for_a_given_contact(store: Store) -> None:
    cid = store.create_contact(first_name="Mario", last_name="Rossi").id
    app = FormHost(store, contact_id=cid)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press(*"Percorso [bold]x[/]")
        app.screen.query_one("#opp-value", Input).value = "1.500,50"
        app.screen.query_one("#opp-tags", Input).value = "vip, 2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results and app.results[0] is not None
    row = store.opportunity_row(app.results[0])
    assert (row.title, row.value_minor, row.owner, row.contact_id) == ("Percorso [bold]x[/]", 150050, "Giulia", cid)
    assert set(row.tags) == {"vip", "2026"}
    assert row.stage == "Nuovo contatto"


async def test_inline_validation_keeps_the_form_open(store: Store) -> None:
    cid = store.create_contact(first_name="Mario").id
    app = FormHost(store, contact_id=cid)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        app.screen.query_one("#opp-value", Input).value = "abc"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, OpportunityForm)
        assert "title" in str(app.screen.query_one("#err-title", Static).render()).lower()
        assert str(app.screen.query_one("#err-value", Static).render())
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
    assert store.list_opportunities() == []


async def test_creates_the_contact_from_the_picker(store: Store) -> None:
    app = FormHost(store)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press(*"Lucia Verdi", "enter")  # no match: the only option is "New contact"
        await pilot.pause()
        await pilot.press(*"Coaching")
        await pilot.press("ctrl+s")
        await pilot.pause()
    row = store.opportunity_row(app.results[0])  # type: ignore[arg-type]
    assert row.contact_name == "Lucia Verdi"


async def test_picks_an_existing_contact(store: Store) -> None:
    store.create_contact(first_name="Anna", last_name="Bianchi")
    target = store.create_contact(first_name="Mario", last_name="Rossi").id
    app = FormHost(store)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press(*"Rossi", "enter")
        await pilot.pause()
        await pilot.press(*"Deal", "ctrl+s")
        await pilot.pause()
    assert store.opportunity_row(app.results[0]).contact_id == target  # type: ignore[arg-type]


async def test_edit_changes_fields_stage_tags_and_custom(store: Store, tmp_path: Path) -> None:
    store.define_field("opportunity", "Sessioni", type="number")
    store.define_field("opportunity", "Pacchetto", type="select", options=["Base", "Premium"])
    cid = store.create_contact(first_name="Mario").id
    opp = store.create_opportunity(cid, "Old", "Vendite Coaching", value_minor=100, tags=["a"])
    app = FormHost(store, opportunity_id=opp.id)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#opp-value", Input).value == "1,00"
        screen.query_one("#opp-title", Input).value = "New"
        screen.query_one("#opp-tags", Input).value = "b"
        screen.query_one("#cf-sessioni", Input).value = "12"
        screen.query_one("#opp-stage").value = store.get_pipeline("Vendite Coaching").stage("Proposta inviata").id  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    row = store.opportunity_row(opp.id)  # type: ignore[arg-type]
    assert (row.title, row.tags, row.stage) == ("New", ("b",), "Proposta inviata")
    assert store.field_values("opportunity", opp.id)["sessioni"] == 12  # type: ignore[arg-type]
