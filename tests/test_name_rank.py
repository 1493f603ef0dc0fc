"""The name order's ranks that key the search index (store/name_rank.py, schema.FTS_TABLE): after every kind of
write each contact has one, in (name_key, id) order, and the index lists exactly the ranked contacts' text."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from import_bulk_checks import write_file
from koachify_tui.store import ContactQuery, Store, name_rank, search_plan
from koachify_tui.store.importer import ImportOptions, run_import, undo_batch
from test_store_search_plan import record_statements


def check_ranks(store: Store) -> None:
    """Every contact ranked, the ranks increasing in name order, none waiting, and the index equal to the
    ranked contacts' haystacks (`integrity-check` with rank 1 compares it with its content, the ranked view)."""
    with store.read() as s:
        conn = s.connection()
        ranked = conn.exec_driver_sql(
            "SELECT contact.id, contact_rank.rank FROM contact LEFT JOIN contact_rank ON contact_rank.id = contact.id "
            "ORDER BY contact.name_key, contact.id"
        ).all()
        assert all(rank is not None for _cid, rank in ranked), ranked
        ranks = [rank for _cid, rank in ranked]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
        assert conn.exec_driver_sql("SELECT count(*) FROM contact_rank").scalar() == len(ranked)
        assert conn.exec_driver_sql("SELECT count(*) FROM contact_unranked").scalar() == 0
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts, rank) VALUES('integrity-check', 1)")


def names(store: Store, q: ContactQuery) -> list[str]:
    return [f"{r.first_name} {r.last_name}".strip() for r in store.list_contacts(q, limit=100)]


def test_creates_renames_deletes_and_restores_keep_the_ranks(store: Store) -> None:
    rng = random.Random(3)
    ids = []
    for i in range(60):
        first = rng.choice(["Mario", "Ilaria", "Dario", "Zoë", "Anna"])
        last = rng.choice(["Rossi", "Amaro", ""])
        contact = store.create_contact(first_name=first, last_name=last, phone=f"+39 333 {1000000 + i}")
        assert contact.id is not None
        ids.append(contact.id)
    check_ranks(store)
    store.update_contact(ids[0], first_name="Aaron")  # to the front
    store.update_contact(ids[1], first_name="Zzz")  # to the end
    store.update_contact(ids[2], email="rosario@example.org")  # the haystack only: same rank, new text
    store.delete_contact(ids[3])
    store.restore_contact(ids[3])
    store.merge_contacts(ids[4], [ids[5]])
    check_ranks(store)
    assert store.count_contacts(ContactQuery(search="rosario")) == 1
    with store.write() as tx:  # a contact deleted for good leaves the index too
        tx.session.connection().exec_driver_sql("DELETE FROM contact WHERE id = ?", (ids[6],))
    check_ranks(store)


def test_undoing_a_rename_ranks_the_old_name_again(store: Store) -> None:
    """The TUI's `u` after a rename: the name comes back through the change log, and so does its place."""
    for first in ["Anna", "Carla", "Zeno"]:
        store.create_contact(first_name=first, last_name="Neri")
    carla = store.create_contact(first_name="Carla", last_name="Bianchi", email="carla@example.org")
    assert carla.id is not None
    store.update_contact(carla.id, first_name="Zoe")
    txn = store.last_txn()
    assert txn is not None and names(store, ContactQuery(search="ianchi")) == ["Zoe Bianchi"]
    store.undo_changes(txn)
    check_ranks(store)
    assert names(store, ContactQuery(search="ianchi")) == ["Carla Bianchi"]
    assert names(store, ContactQuery(search="neri")) == ["Anna Neri", "Carla Neri", "Zeno Neri"]


def test_the_other_matches_come_from_the_index_in_name_order(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ario` starts no name and no last name: its matches are read from the index in rank order, both ways."""
    for first in ["Mario", "Ilaria", "Dario", "Rosario", "Anna", "Mariolina", "Zoë"]:
        for last in ["Rossi", "Bianchi"]:
            store.create_contact(first_name=first, last_name=last)
    statements = record_statements(monkeypatch)
    monkeypatch.setattr(search_plan, "PROBE", -1)  # not the few-candidates sort
    up = names(store, ContactQuery(search="ario"))
    assert up == ["Dario Bianchi", "Dario Rossi", "Mario Bianchi", "Mario Rossi", "Mariolina Bianchi",
                  "Mariolina Rossi", "Rosario Bianchi", "Rosario Rossi"]  # fmt: skip
    assert names(store, ContactQuery(search="ario", descending=True)) == up[::-1]
    assert any("ORDER BY rowid ASC" in s for s in statements) and any("ORDER BY rowid DESC" in s for s in statements)


def test_a_contact_written_outside_the_store_is_found_then_ranked(store: Store, tmp_path: Path) -> None:
    """A row another tool inserted waits for its rank: a search still finds it (and skips the ranked read);
    the store's next write ranks it."""
    store.create_contact(first_name="Mario", last_name="Rossi")
    path = store._write_engine.url.database
    assert path is not None
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(
            "INSERT INTO contact (first_name, last_name, company, email, phone, source, owner, name_key, search_text,"
            " created_at, updated_at, version) VALUES ('Rosario', 'Esterno', '', '', '', 'manual', '', "
            "'rosario esterno', 'rosario esterno', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"
        )
    raw.close()
    assert names(store, ContactQuery(search="ario")) == ["Mario Rossi", "Rosario Esterno"]
    assert names(store, ContactQuery(search="sterno")) == ["Rosario Esterno"]
    store.create_contact(first_name="Anna")
    check_ranks(store)
    assert names(store, ContactQuery(search="ario")) == ["Mario Rossi", "Rosario Esterno"]


def test_a_full_gap_is_spread_again_with_its_neighbours(store: Store) -> None:
    """The same name saved again and again lands in the same gap: once it is full, it and a few neighbours get
    new ranks, the names far from it keep theirs, and the order holds."""
    for first in ["Anna", "Bruno", "Carla", "Dario", "Zeno"]:
        for _ in range(30):
            store.create_contact(first_name=first, last_name="Neri")
    with store.read() as s:
        before: dict[int, int] = dict(s.connection().exec_driver_sql("SELECT id, rank FROM contact_rank").all())
    for _ in range(40):  # more than the room between two ranks numbered afresh
        store.create_contact(first_name="Carla", last_name="Neri")
    check_ranks(store)
    with store.read() as s:
        after: dict[int, int] = dict(s.connection().exec_driver_sql("SELECT id, rank FROM contact_rank").all())
    kept = [cid for cid in before if after[cid] == before[cid]]
    assert len(before) - len(kept) < 60 and len(kept) > 80  # a window moved, not the whole table
    assert store.count_contacts(ContactQuery(search="carla")) == 70


@pytest.mark.parametrize("few", [10, 2000])
def test_imports_and_their_undo_keep_the_ranks(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """An import of more contacts than the table has numbers everyone again (FEW 10) or ranks them in their
    gaps (FEW 2000); a re-import that renames ranks the renamed again; undo leaves the rest ranked."""
    monkeypatch.setattr(name_rank, "FEW", few)
    for i in range(30):
        store.create_contact(first_name="Rimane", last_name=f"Qui{i}", email=f"keep{i}@example.org")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_file(first, 300)
    result = run_import(store, first)
    check_ranks(store)
    second.write_text("First Name,Last Name,E-mail 1 - Value\nAaa,Nuovo,nuovo@example.org\n"
                      "Rimane,Rinominato,keep1@example.org\n", encoding="utf-8")  # fmt: skip
    again = run_import(store, second, ImportOptions(on_duplicate="update"))
    assert again.counts.created == 1
    check_ranks(store)
    assert names(store, ContactQuery(search="nominat")) == ["Rimane Rinominato"]
    undo_batch(store, again.batch_id or 0)
    undo_batch(store, result.batch_id or 0)
    check_ranks(store)
    assert store.count_contacts(ContactQuery(search="rimane")) == 30


def test_numbering_everyone_twice_in_one_transaction(store: Store) -> None:
    """rank_all fills a temporary table in name order: a second call in the same transaction (an undo after an
    import, a caller that went on after a failed call) starts from an empty one, with the same result."""
    for first in ["Zoë", "Anna", "Mario", "Ilaria", "Dario", "Anna"]:
        store.create_contact(first_name=first, last_name="Rossi")
    with store.write() as tx:
        conn = tx.session.connection()
        conn.exec_driver_sql("CREATE TEMP TABLE rank_order(pos INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO temp.rank_order(id) VALUES (999)")  # as a failed call would leave it
        name_rank.rank_all(conn)
        first = conn.exec_driver_sql("SELECT rank, id FROM contact_rank ORDER BY rank").all()
        name_rank.rank_all(conn)
        assert conn.exec_driver_sql("SELECT rank, id FROM contact_rank ORDER BY rank").all() == first
    assert [rank for rank, _cid in first] == [64 * n for n in range(1, 7)]
    check_ranks(store)
    assert names(store, ContactQuery(search="ross")) == [
        "Anna Rossi", "Anna Rossi", "Dario Rossi", "Ilaria Rossi", "Mario Rossi", "Zoë Rossi"
    ]  # fmt: skip
