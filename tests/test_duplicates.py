"""The duplicates finder (store/duplicates.py): true pairs found, false pairs left alone, marks remembered."""

from __future__ import annotations

import pytest

from koachify_tui.store import Store
from koachify_tui.store.dup_names import name_tokens, similarity
from koachify_tui.store.errors import InvalidValue, NotFound
from koachify_tui.store.events import DuplicateIgnored


def pairs(store: Store, **kwargs: object) -> dict[tuple[int, ...], set[str]]:
    return {g.contact_ids: {r.kind for r in g.reasons} for g in store.find_duplicates(**kwargs)}  # type: ignore[arg-type]


def test_same_email_in_another_case_and_as_an_extra_address(any_store: Store) -> None:
    a = any_store.create_contact(first_name="Mario", last_name="Rossi", email="Mario.Rossi@Example.it")
    b = any_store.create_contact(first_name="Mario", last_name="Rossi", email="mario.rossi@example.it")
    c = any_store.create_contact(
        first_name="M.", last_name="Rossi", email="m@other.it", emails=["MARIO.ROSSI@example.it"]
    )
    groups = any_store.find_duplicates()
    assert len(groups) == 1
    assert groups[0].contact_ids == (a.id, b.id, c.id)
    assert groups[0].strong and groups[0].reasons[0].value == "mario.rossi@example.it"
    assert groups[0].score >= 90


def test_same_phone_in_another_format(any_store: Store) -> None:
    a = any_store.create_contact(first_name="Anna", last_name="Bianchi", phone="+39 347 123 4567")
    b = any_store.create_contact(first_name="Anna", last_name="Bianchi", phone="347-1234567", email="anna@x.it")
    assert pairs(any_store) == {(a.id, b.id): {"phone"}}


def test_accented_name_and_same_company(any_store: Store) -> None:
    a = any_store.create_contact(first_name="Niccolò", last_name="D'Amico", company="Acme S.r.l.")
    b = any_store.create_contact(first_name="niccolo", last_name="D'AMICO", company="ACME S.R.L.")
    groups = any_store.find_duplicates()
    assert [g.contact_ids for g in groups] == [(a.id, b.id)]
    assert not groups[0].strong
    assert groups[0].reasons[0].support == "company: Acme S.r.l."


def test_initials_nicknames_word_order_with_support() -> None:
    assert similarity(name_tokens("G.", "Verdi"), name_tokens("Giulia", "Verdi")) == 100
    assert similarity(name_tokens("Verdi", "Giulia"), name_tokens("Giulia", "Verdi")) == 100
    assert similarity(name_tokens("Beppe", "Russo"), name_tokens("Giuseppe", "Russo")) == 100
    assert similarity(name_tokens("Mario", "Rossi"), name_tokens("Maria", "Rossi")) < 92  # a sister, not a typo
    assert similarity(name_tokens("Mario", ""), name_tokens("Mario", "Rossi")) == 0


def test_initial_with_a_private_domain_backing_it(store: Store) -> None:
    a = store.create_contact(first_name="G.", last_name="Verdi", email="gverdi@studioverdi.it")
    b = store.create_contact(first_name="Giulia", last_name="Verdi", email="giulia@studioverdi.it")
    groups = store.find_duplicates()
    assert [g.contact_ids for g in groups] == [(a.id, b.id)]
    assert groups[0].reasons[0].support == "domain: studioverdi.it"


def test_name_alone_or_public_domain_is_no_group(store: Store) -> None:
    store.create_contact(first_name="Luca", last_name="Neri")
    store.create_contact(first_name="Luca", last_name="Neri")
    store.create_contact(first_name="Sara", last_name="Gialli", email="sara.g@gmail.com")
    store.create_contact(first_name="Sara", last_name="Gialli", email="saragialli@gmail.com")
    assert store.find_duplicates() == []


def test_namesakes_with_their_own_addresses_under_one_tag_are_two_people(store: Store) -> None:
    store.create_contact(first_name="Paolo", last_name="Costa", email="paolo@one.it", tags=["Cliente"])
    store.create_contact(first_name="Paolo", last_name="Costa", email="pcosta@two.it", tags=["Cliente"])
    assert store.find_duplicates() == []
    # the same tag without addresses to tell them apart: a suggestion
    c = store.create_contact(first_name="Elena", last_name="Sala", tags=["Cliente"])
    d = store.create_contact(first_name="Elena", last_name="Salà", tags=["cliente"])
    assert pairs(store) == {(c.id, d.id): {"name"}}


def test_city_custom_field_backs_a_name(store: Store) -> None:
    store.define_field("contact", "Città")
    a = store.create_contact(first_name="Rita", last_name="Fontana", custom={"citta": "Bergamo"})
    b = store.create_contact(first_name="Fontana", last_name="Rita", custom={"citta": "bergamo"})
    store.create_contact(first_name="Rita", last_name="Fontana", custom={"citta": "Milano"})
    assert pairs(store) == {(a.id, b.id): {"name"}}


def test_colleagues_sharing_a_switchboard_are_not_suggested(any_store: Store) -> None:
    any_store.create_contact(first_name="Carlo", last_name="Ferri", email="carlo@acme.it", phone="02 1234567")
    any_store.create_contact(first_name="Dora", last_name="Gallo", email="dora@acme.it", phone="02 1234567")
    assert any_store.find_duplicates() == []


def test_a_value_of_three_different_names_is_no_signal(store: Store) -> None:
    for first in ("Ugo", "Ida", "Eva"):
        store.create_contact(first_name=first, last_name="Marchi", email="info@negozio.it")
    assert store.find_duplicates() == []


def test_placeholders_and_invalid_phones_are_no_signal(store: Store) -> None:
    store.create_contact(first_name="Aldo", email="none@gmail.com")
    store.create_contact(first_name="Bice", email="none@gmail.com")
    store.create_contact(first_name="Carla", phone="3333333333")
    store.create_contact(first_name="Dino", phone="3333333333")
    store.create_contact(first_name="Enzo", phone="+39 5123456789")
    store.create_contact(first_name="Fede", phone="+39 5123456789")
    assert store.find_duplicates() == []


def test_ignore_is_remembered_and_undoable(store: Store) -> None:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    b = store.create_contact(first_name="Mario", last_name="Rossi", email="MR@example.it")
    seen: list[DuplicateIgnored] = []
    store.subscribe(seen.append, DuplicateIgnored)
    assert store.ignore_duplicate(b.id or 0, a.id or 0) is True
    assert store.ignore_duplicate(a.id or 0, b.id or 0) is False  # idempotent
    assert store.find_duplicates() == []
    assert store.ignored_duplicates() == [(a.id, b.id)]
    assert [(e.contact_id, e.other_id) for e in seen] == [(a.id, b.id)]
    txn = store.last_txn()
    assert txn is not None
    store.undo_changes(txn)
    assert store.ignored_duplicates() == []
    assert set(pairs(store)) == {(a.id, b.id)}


def test_ignored_pair_is_not_grouped_through_a_third(store: Store) -> None:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    b = store.create_contact(first_name="Mario", last_name="Rossi", phone="347 1234567")
    c = store.create_contact(first_name="Mario", last_name="Rossi", email="MR@example.it", phone="3471234567")
    store.ignore_duplicate(a.id or 0, b.id or 0)
    groups = store.find_duplicates()
    assert len(groups) == 1
    assert (a.id, b.id) != groups[0].contact_ids[:2] or c.id not in groups[0].contact_ids
    assert not {a.id, b.id} <= set(groups[0].contact_ids)


def test_ignore_bad_ids(store: Store) -> None:
    a = store.create_contact(first_name="Mario")
    with pytest.raises(NotFound):
        store.ignore_duplicate(a.id or 0, 999)
    with pytest.raises(InvalidValue):
        store.ignore_duplicate(a.id or 0, a.id or 0)


def test_deleted_and_merged_contacts_are_left_out(store: Store) -> None:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    b = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    c = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    store.delete_contact(b.id or 0)
    store.update_contact(c.id or 0, first_name="Mario")  # no-op: c stays live
    assert set(pairs(store)) == {(a.id, c.id)}
    from sqlalchemy import update

    from koachify_tui.store.models import Contact

    with store.write() as tx:  # what a merge leaves (store/merge.py): hidden, pointing at the survivor
        tx.session.execute(update(Contact).where(Contact.id == c.id).values(merged_into_id=a.id))  # type: ignore[arg-type]
    assert store.find_duplicates() == []


def test_contact_ids_restriction_and_limit(store: Store) -> None:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    b = store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it")
    c = store.create_contact(first_name="Anna", last_name="Bianchi", phone="347 1234567")
    d = store.create_contact(first_name="Anna", last_name="Bianchi", phone="347 1234567")
    assert set(pairs(store)) == {(a.id, b.id), (c.id, d.id)}
    assert set(pairs(store, contact_ids=[d.id])) == {(c.id, d.id)}
    assert pairs(store, contact_ids=[]) == {}
    assert len(store.find_duplicates(limit=1)) == 1
    assert store.find_duplicates()[0].contact_ids == (a.id, b.id)  # email before phone


def test_check_new_contact(store: Store) -> None:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="Mario@Example.it", phone="347 1234567")
    b = store.create_contact(first_name="Giulia", last_name="Verdi")
    check = store.check_new_contact(email="mario@example.IT")
    assert check.same_email == (a.id,) and check.blocking
    assert store.check_new_contact(phone="+393471234567").same_phone == (a.id,)
    assert store.check_new_contact(first_name="G.", last_name="Verdi").similar_names == (b.id,)
    assert store.check_new_contact(first_name="verdi", last_name="Giulià").similar_names == (b.id,)
    quiet = store.check_new_contact(email="not an email", phone="12", first_name="Giulia")
    assert not quiet.blocking and quiet.similar_names == ()


def test_a_few_contacts_next_to_many_find_what_the_whole_scan_finds(store: Store) -> None:
    """`contact_ids` with a big database loads only the contacts sharing a key or support with them."""
    store.define_field("contact", "City")
    for i in range(40):  # unrelated people
        store.create_contact(first_name=f"Nome{i}", last_name=f"Cognome{i}", email=f"p{i}@gmail.com")
    made = [
        store.create_contact(first_name="Mario", last_name="Rossi", email="MR@example.it"),
        store.create_contact(first_name="Mario", last_name="Rossi", email="mr@example.it"),
        store.create_contact(first_name="Anna", last_name="Neri", phones=["347 1234567"]),
        store.create_contact(first_name="Anna", last_name="Neri", phone="+393471234567"),
        store.create_contact(first_name="Lia", last_name="Riva", company="Acme"),
        store.create_contact(first_name="Riva", last_name="Lia", company="ACME"),
        store.create_contact(first_name="Ugo", last_name="Sala", email="ugo@studio.it"),
        store.create_contact(first_name="U.", last_name="Sala", email="u.sala@studio.it"),
        store.create_contact(first_name="Eva", last_name="Pini", tags=["Yoga"]),
        store.create_contact(first_name="Eva", last_name="Pinì", tags=["yoga"]),
        store.create_contact(first_name="Ida", last_name="Lodi", custom={"city": "Como"}),
        store.create_contact(first_name="Ida", last_name="Lodi", custom={"city": "COMO"}),
    ]
    whole = store.find_duplicates()
    assert len(whole) == 6
    for contact in made:
        assert store.find_duplicates(contact_ids=[contact.id or 0]) == [g for g in whole if contact.id in g.contact_ids]
