"""The "Imported from FILE" line on the timeline of a contact an import created: derived from the batch's undo
records (import_batch_item), not from a history row per contact."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from koachify_tui.store import Store
from koachify_tui.store.importer import list_batches, run_import, undo_batch
from koachify_tui.store.timeline import KIND_GROUPS

HEADER = "First Name,Last Name,Email\n"


def import_file(store: Store, tmp_path: Path, body: str, name: str) -> int:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    batch_id = run_import(store, path).batch_id
    assert batch_id is not None
    return batch_id


def import_lines(store: Store, contact_id: int, **kwargs: object) -> list[str]:
    return [i.text for i in store.timeline(contact_id, **kwargs) if i.kind == "import"]  # type: ignore[arg-type]


def test_created_contact_shows_one_line_with_every_filter_and_page(store: Store, tmp_path: Path) -> None:
    import_file(store, tmp_path, "Anna,,anna@x.it\nBruno,,bruno@x.it\n", "x.csv")
    import_file(store, tmp_path, "Anna,Bianchi,anna@x.it\n", "y.csv")  # merged: fills the last name
    [cid] = store.find_contacts_by_email("anna@x.it")
    store.add_note("Prima call", contact_id=cid)
    items = store.timeline(cid)
    assert [(i.kind, i.text) for i in items] == [
        ("note", "Prima call"),
        ("import", "Updated from y.csv"),  # a history row, as before
        ("import", "Imported from x.csv"),
    ]
    line = items[-1]
    first = list_batches(store)[-1]
    assert line.at == first.started_at and line.opportunity_id is None
    assert line.ref_id < 0  # not a history_entry id: the timeline widget keys history rows by id
    assert line.detail["actor"] == "import" and line.detail["batch_id"] == first.id
    expected = ["Updated from y.csv", "Imported from x.csv"]
    assert import_lines(store, cid, kinds=KIND_GROUPS["changes"]) == expected
    assert [i.text for i in store.timeline(cid, kinds={"import"})] == expected
    assert import_lines(store, cid, kinds={"note", "task"}) == []
    # Paging newest first, a page of one at a time (`before` is strict).
    assert [i.text for i in store.timeline(cid, limit=1)] == ["Prima call"]
    assert [i.text for i in store.timeline(cid, before=items[1].at, limit=1)] == ["Imported from x.csv"]
    assert store.timeline(cid, before=line.at) == []
    assert store.timeline(cid, kinds={"import"}, before=items[1].at) == [line]
    # Deals have no import line.
    opp = store.create_opportunity(cid, "Percorso", "Vendite Coaching")
    assert import_lines(store, cid, opportunity_id=opp.id) == []
    [other] = store.find_contacts_by_email("bruno@x.it")
    assert import_lines(store, other) == ["Imported from x.csv"]


def test_undone_batch_shows_no_line_on_a_recycled_id(store: Store, tmp_path: Path) -> None:
    batch_id = import_file(store, tmp_path, "Anna,,anna@x.it\n", "x.csv")
    [cid] = store.find_contacts_by_email("anna@x.it")
    undo_batch(store, batch_id)
    again = store.create_contact(first_name="Carla")
    assert again.id == cid  # the id is reused
    assert import_lines(store, cid) == []


def test_purged_contact_takes_its_line_along(store: Store, tmp_path: Path) -> None:
    batch_id = import_file(store, tmp_path, "Anna,,anna@x.it\n", "x.csv")
    [cid] = store.find_contacts_by_email("anna@x.it")
    store.delete_contact(cid)
    assert import_lines(store, cid) == ["Imported from x.csv"]  # still in the Trash
    store.purge_contact(cid)
    with store.read() as s:
        assert s.execute(text("SELECT count(*) FROM import_batch_item")).scalar() == 0
    again = store.create_contact(first_name="Carla")
    assert again.id == cid
    assert import_lines(store, cid) == []
    undo_batch(store, batch_id)  # nothing of Carla's belongs to the batch
    assert store.contact_row(cid).first_name == "Carla"


def test_item_left_by_an_older_purge_is_not_shown(store: Store, tmp_path: Path) -> None:
    """Before purges removed them, a purged contact's items stayed: a contact created after the batch with
    the same id is not the one it created."""
    batch_id = import_file(store, tmp_path, "Anna,,anna@x.it\n", "x.csv")
    [cid] = store.find_contacts_by_email("anna@x.it")
    store.purge_contact(cid)
    again = store.create_contact(first_name="Carla")
    assert again.id == cid
    with store.write() as tx:
        tx.session.execute(
            text(
                "INSERT INTO import_batch_item (batch_id, contact_id, action, before_json)"
                " VALUES (:batch, :cid, 'created', '{}')"
            ),
            {"batch": batch_id, "cid": cid},
        )
    assert import_lines(store, cid) == []
