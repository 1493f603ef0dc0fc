"""The agenda: store query and screen (overdue first, complete a task, jump to the contact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import DataTable

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.agenda import AgendaScreen
from koachify_tui.store import Store


def _fill(store: Store) -> dict[str, int]:
    now = datetime.now(UTC)
    anna = store.create_contact(first_name="Anna", last_name="Bianchi")
    marco = store.create_contact(first_name="[i]Marco[/i]")
    deal = store.create_opportunity(marco.id, "Percorso", "Vendite Coaching")
    late = store.add_task("Richiamare", contact_id=anna.id, due_at=now - timedelta(days=3))
    soon = store.add_task("Inviare proposta", opportunity_id=deal.id, due_at=now + timedelta(days=2))
    store.add_task("Far away", contact_id=anna.id, due_at=now + timedelta(days=60))
    done = store.add_task("Already done", contact_id=anna.id, due_at=now - timedelta(days=1))
    store.complete_task(done.id)
    store.add_appointment("Sessione", now + timedelta(days=1), location="Zoom", contact_id=anna.id)
    store.add_appointment("Past call", now - timedelta(days=5), contact_id=anna.id)
    gone = store.create_contact(first_name="Deleted")
    store.add_task("Of a deleted contact", contact_id=gone.id, due_at=now)
    store.delete_contact(gone.id)
    return {"anna": anna.id, "marco": marco.id, "late": late.id, "soon": soon.id}


def test_agenda_query(store: Store) -> None:
    ids = _fill(store)
    items = store.agenda(until=datetime.now(UTC) + timedelta(days=7))
    assert [(i.kind, i.title) for i in items] == [
        ("task", "Richiamare"),
        ("appointment", "Sessione"),
        ("task", "Inviare proposta"),
    ]
    assert items[2].opportunity_title == "Percorso" and items[2].contact_id == ids["marco"]
    assert items[1].location == "Zoom"


async def test_agenda_screen_complete_and_jump(store: Store, settings: Settings) -> None:
    ids = _fill(store)
    app = make_app(settings, store, start="agenda")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, AgendaScreen)
        table = app.screen.query_one("#agenda-table", DataTable)
        assert [table.get_row_at(i)[2].plain for i in range(table.row_count)] == [
            "Richiamare",
            "Sessione @ Zoom",
            "Inviare proposta",
        ]
        assert table.get_row_at(2)[3].plain == "[i]Marco[/i]"  # user data shown literally
        await pilot.press("x")  # complete the overdue task
        await pilot.pause(0.3)
        assert store.list_tasks(contact_id=ids["anna"], open_only=True)[0].title == "Far away"
        assert table.row_count == 2
        await pilot.press("w")  # 30 days: still not the task in 60 days
        await pilot.pause(0.3)
        assert table.row_count == 2
        await pilot.press("w")  # 90 days
        await pilot.pause(0.3)
        assert table.row_count == 3
        await pilot.press("j", "enter")  # the deal task's contact, on its own screen at this width
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "ContactDetailScreen"
        assert app.screen.contact_id == ids["marco"]  # type: ignore[attr-defined]
