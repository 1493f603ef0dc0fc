"""Contacts: validation, normalisation, tags, soft delete, search."""

from __future__ import annotations

import pytest

from koachify_tui.store import ContactQuery, InvalidValue, NotFound, Store
from koachify_tui.store.events import ContactCreated, ContactUpdated, TagAdded, TagRemoved


def test_create_normalises_email_and_phone(store: Store) -> None:
    c = store.create_contact(
        first_name=" Niccolò ", last_name="D'Amico", email=" Niccolo@Example.IT ", phone="333 123 4567"
    )
    assert c.first_name == "Niccolò"
    assert c.email_key == "niccolo@example.it"
    assert c.phone == "333 123 4567"  # kept as typed for display
    assert c.phone_e164 == "+393331234567"
    assert store.get_contact(c.id).display_name == "Niccolò D'Amico"


@pytest.mark.parametrize("email", ["bad@", "no-at-sign", "a@b"])
def test_bad_email_is_refused_with_reason(store: Store, email: str) -> None:
    with pytest.raises(InvalidValue, match="invalid email"):
        store.create_contact(first_name="X", email=email)
    assert store.count_contacts() == 0


def test_bad_and_scientific_phone_refused(store: Store) -> None:
    with pytest.raises(InvalidValue, match="invalid phone"):
        store.create_contact(first_name="X", phone="abc")
    with pytest.raises(InvalidValue, match="scientific"):
        store.create_contact(first_name="X", phone="3,93331E+11")


def test_contact_needs_something_to_name_it(store: Store) -> None:
    with pytest.raises(InvalidValue):
        store.create_contact()


def test_control_characters_stripped_markup_kept(store: Store) -> None:
    c = store.create_contact(first_name="[bold red]Mario[/]\x1b[2J", last_name="Rossi\x00")
    assert c.first_name == "[bold red]Mario[/] [2J"
    assert c.last_name == "Rossi"


def test_tags_unique_case_insensitively(store: Store) -> None:
    a = store.create_contact(first_name="A", tags=["VIP"])
    b = store.create_contact(first_name="B", tags=["vip"])
    assert store.list_tags() == [("VIP", 2)]
    assert store.add_tag(a.id, "Vip") is False  # already has it: no-op
    assert store.remove_tag(b.id, "VIP") is True
    assert store.remove_tag(b.id, "VIP") is False
    assert store.contact_tags(b.id) == []


def test_tag_events_only_on_real_changes(store: Store) -> None:
    seen: list[object] = []
    store.subscribe(seen.append)
    c = store.create_contact(first_name="A")
    store.add_tag(c.id, "Lead")
    store.add_tag(c.id, "lead")
    store.remove_tag(c.id, "LEAD")
    assert [type(e) for e in seen] == [ContactCreated, TagAdded, TagRemoved]


def test_update_emits_changed_fields_only(store: Store) -> None:
    c = store.create_contact(first_name="Anna", email="anna@example.com")
    seen: list[ContactUpdated] = []
    store.subscribe(seen.append, ContactUpdated)
    store.update_contact(c.id, first_name="Anna", company="Acme")
    store.update_contact(c.id, company="Acme")
    assert [e.changed for e in seen] == [("company",)]


def test_soft_delete_and_restore_cascade_to_opportunities(store: Store) -> None:
    c = store.create_contact(first_name="Del")
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    store.delete_contact(c.id)
    assert store.count_contacts() == 0
    assert store.count_contacts(ContactQuery(deleted=True)) == 1
    with pytest.raises(NotFound):
        store.get_contact(c.id)
    assert store.list_opportunities() == []
    store.restore_contact(c.id)
    assert [o.id for o in store.list_opportunities()] == [opp.id]


def test_purge_removes_everything(store: Store) -> None:
    c = store.create_contact(first_name="Gone")
    store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    store.add_note("hello", contact_id=c.id)
    store.purge_contact(c.id)
    with pytest.raises(NotFound):
        store.get_contact(c.id, include_deleted=True)
    assert store.list_opportunities() == []


def test_extra_channels_match_duplicates(store: Store) -> None:
    c = store.create_contact(
        first_name="Multi", email="one@example.com", emails=["Two@Example.com"], phones=["+39 02 1234 5678"]
    )
    assert store.find_contacts_by_email("two@example.com") == [c.id]
    assert store.find_contacts_by_email("ONE@example.com") == [c.id]
    assert store.find_contacts_by_phone("02 12345678") == [c.id]
    assert store.find_contacts_by_phone("not a phone") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ross", ["Mario Rossi"]),
        ("333 1234567", ["Mario Rossi"]),  # phone in another format than typed
        ("+39 333 123 4567", ["Mario Rossi"]),
        ("acme", ["Anna Bianchi"]),
        ("vip", ["Anna Bianchi"]),  # tags are searchable
        ("mario rossi", ["Mario Rossi"]),
        ("rossi mario", ["Mario Rossi"]),  # terms in any order
        ("niccolò", ["Niccolò Greco"]),
        ("NICCOLÒ", ["Niccolò Greco"]),
        ("an", ["Anna Bianchi"]),  # short terms use the LIKE fallback
        ("zzz", []),
    ],
)
def test_search(store: Store, query: str, expected: list[str]) -> None:
    store.create_contact(first_name="Mario", last_name="Rossi", phone="+39 333 123 4567", email="m@rossi.it")
    store.create_contact(first_name="Anna", last_name="Bianchi", company="Acme", tags=["VIP"])
    store.create_contact(first_name="Niccolò", last_name="Greco")
    assert [r.display_name for r in store.list_contacts(ContactQuery(search=query))] == expected


def test_tag_filters_any_all_none(store: Store) -> None:
    store.create_contact(first_name="A", tags=["x", "y"])
    store.create_contact(first_name="B", tags=["x"])
    store.create_contact(first_name="C", tags=["z"])

    def names(q: ContactQuery) -> list[str]:
        return [r.first_name for r in store.list_contacts(q)]

    assert names(ContactQuery(tags_any=["y", "z"])) == ["A", "C"]
    assert names(ContactQuery(tags_all=["x", "y"])) == ["A"]
    assert names(ContactQuery(tags_none=["x"])) == ["C"]


def test_search_follows_renames_and_tag_changes(store: Store) -> None:
    c = store.create_contact(first_name="Old")
    store.update_contact(c.id, first_name="Newname")
    store.add_tag(c.id, "Webinar")
    assert store.count_contacts(ContactQuery(search="newname")) == 1
    assert store.count_contacts(ContactQuery(search="old")) == 0
    assert store.count_contacts(ContactQuery(search="webinar")) == 1


def test_sort_and_pages(store: Store) -> None:
    for name in ["Carla", "anna", "Bruno", "Ünal"]:
        store.create_contact(first_name=name)
    rows = store.list_contacts(ContactQuery(sort="name"))
    assert [r.first_name for r in rows] == ["anna", "Bruno", "Carla", "Ünal"]
    assert [r.first_name for r in store.list_contacts(ContactQuery(sort="name"), limit=2, offset=2)] == [
        "Carla",
        "Ünal",
    ]
