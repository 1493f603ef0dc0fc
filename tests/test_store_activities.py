"""Notes, tasks, appointments, messages, custom fields, smart lists and the merged timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from koachify_tui.store import Conflict, ContactQuery, InvalidValue, NotFound, Store


def test_item_on_opportunity_shows_on_contact_timeline(store: Store) -> None:
    c = store.create_contact(first_name="Giulia")
    opp = store.create_opportunity(c.id, "Percorso", "Vendite Coaching")
    other = store.create_opportunity(c.id, "Workshop", "Vendite Coaching")
    note = store.add_note("Prima call", opportunity_id=opp.id)
    assert note.contact_id == c.id
    store.add_note("On the contact", contact_id=c.id)
    store.add_task("Inviare proposta", opportunity_id=other.id, due_at=datetime.now(UTC) - timedelta(days=1))
    items = store.timeline(c.id)
    by_text = {i.text: i for i in items}
    assert by_text["Prima call"].opportunity_title == "Percorso"
    assert by_text["On the contact"].opportunity_id is None
    assert by_text["Inviare proposta"].overdue
    assert [i.text for i in store.timeline(c.id, opportunity_id=opp.id, kinds={"note"})] == ["Prima call"]


def test_item_on_someone_elses_opportunity_refused(store: Store) -> None:
    a = store.create_contact(first_name="A")
    b = store.create_contact(first_name="B")
    opp = store.create_opportunity(a.id, "Deal", "Vendite Coaching")
    with pytest.raises(InvalidValue):
        store.add_note("x", contact_id=b.id, opportunity_id=opp.id)
    with pytest.raises(InvalidValue):
        store.add_note("   ", contact_id=a.id)
    with pytest.raises(InvalidValue):
        store.add_note("x")


def test_timeline_newest_first_filters_and_pages(store: Store) -> None:
    c = store.create_contact(first_name="A")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(30):
        store.add_note(f"note {i}", contact_id=c.id, at=base + timedelta(hours=i))
    store.log_message("Ciao!", contact_id=c.id, channel="whatsapp", at=base + timedelta(hours=100))
    store.add_appointment("Call", base + timedelta(hours=50), contact_id=c.id)
    page = store.timeline(c.id, limit=10)
    assert [i.kind for i in page[:2]] == ["message", "appointment"]
    assert page[2].text == "note 29"
    rest = store.timeline(c.id, before=page[-1].at, limit=100)
    assert len(page) + len(rest) == 32
    assert [i.kind for i in store.timeline(c.id, kinds={"message"})] == ["message"]


def test_tasks_complete_and_reopen(store: Store) -> None:
    c = store.create_contact(first_name="A")
    task = store.add_task("Richiamare", contact_id=c.id)
    assert store.complete_task(task.id).done_at is not None
    assert store.list_tasks(contact_id=c.id, open_only=True) == []
    store.complete_task(task.id, done=False)
    assert len(store.list_tasks(contact_id=c.id, open_only=True)) == 1


def test_appointment_validation(store: Store) -> None:
    c = store.create_contact(first_name="A")
    start = datetime(2026, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidValue):
        store.add_appointment("Call", start, ends_at=start - timedelta(hours=1), contact_id=c.id)


def test_unified_inbox(store: Store) -> None:
    a = store.create_contact(first_name="A")
    b = store.create_contact(first_name="B")
    store.log_message("email in", contact_id=a.id, channel="email", at=datetime(2026, 1, 1, tzinfo=UTC))
    store.log_message(
        "wa out", contact_id=b.id, channel="whatsapp", direction="out", at=datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert [m.body for m in store.list_messages()] == ["wa out", "email in"]
    assert [m.body for m in store.list_messages(unread_only=True)] == ["email in"]
    with pytest.raises(InvalidValue):
        store.log_message("x", contact_id=a.id, channel="pigeon")


def test_custom_fields_typed(store: Store) -> None:
    store.define_field("contact", "Data di nascita", type="date")
    store.define_field("contact", "Obiettivo", type="select", options=["Carriera", "Benessere"])
    store.define_field("opportunity", "Sessioni", type="number")
    with pytest.raises(Conflict):
        store.define_field("contact", "Data di nascita")
    c = store.create_contact(first_name="A", custom={"data_di_nascita": "15/06/1990", "obiettivo": "carriera"})
    assert store.field_values("contact", c.id) == {"data_di_nascita": "1990-06-15", "obiettivo": "Carriera"}
    with pytest.raises(InvalidValue):
        store.set_field_value("contact", c.id, "obiettivo", "Soldi")
    with pytest.raises(NotFound):
        store.set_field_value("contact", c.id, "nope", "x")
    store.set_field_value("contact", c.id, "obiettivo", None)
    assert "obiettivo" not in store.field_values("contact", c.id)
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching", custom={"sessioni": "10"})
    assert store.field_values("opportunity", opp.id) == {"sessioni": 10}


def test_smart_lists_are_saved_filters(store: Store) -> None:
    store.create_contact(first_name="A", tags=["VIP"])
    store.save_smart_list("VIP", ContactQuery(tags_any=["VIP"]))
    with pytest.raises(Conflict):
        store.save_smart_list("vip", ContactQuery())
    assert store.count_contacts(store.smart_list_query("VIP")) == 1
    store.create_contact(first_name="B", tags=["vip"])  # membership is re-evaluated, not frozen
    assert store.count_contacts(store.smart_list_query("VIP")) == 2
