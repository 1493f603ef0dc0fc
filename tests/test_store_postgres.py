"""The same store on PostgreSQL (set KOACHIFY_TEST_PG_URL; .ci/run starts a throw-away server)."""

from __future__ import annotations

from pathlib import Path

from conftest import needs_postgres, new_pg_database
from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.db import SCHEMA_HEAD, current_revision

pytestmark = needs_postgres


def test_schema_and_defaults(pg_store: Store) -> None:
    assert current_revision(pg_store._write_engine) == SCHEMA_HEAD
    assert [s.name for s in pg_store.get_pipeline("Vendite Coaching").stages] == [
        "Nuovo contatto",
        "Proposta inviata",
        "Contratto vinto",
    ]


def test_contacts_search_fallback_and_tags(pg_store: Store) -> None:
    pg_store.create_contact(first_name="Niccolò", last_name="Rossi", phone="+39 333 123 4567", tags=["VIP"])
    pg_store.create_contact(first_name="Anna", tags=["vip"])
    assert pg_store.list_tags() == [("VIP", 2)]
    for query in ("ross", "333 1234567", "NICCOLÒ", "rossi niccolò"):
        assert [r.first_name for r in pg_store.list_contacts(ContactQuery(search=query))] == ["Niccolò"], query
    assert pg_store.count_contacts(ContactQuery(tags_all=["VIP"])) == 2


def test_canonical_flow_and_timeline(pg_store: Store) -> None:
    c = pg_store.create_contact(first_name="Lead", source="Form")
    opp = pg_store.create_opportunity(c.id, "Percorso", "Vendite Coaching", value_minor=150000)
    pg_store.add_note("Prima call", opportunity_id=opp.id)
    pg_store.move_opportunity(opp.id, "Proposta inviata")
    pg_store.move_opportunity(opp.id, "Contratto vinto")
    pg_store.set_status(opp.id, "won")
    kinds = [i.kind for i in pg_store.timeline(c.id)]
    assert kinds[:3] == ["status_change", "stage_change", "stage_change"]
    assert "note" in kinds
    p = pg_store.get_pipeline("Vendite Coaching")
    pg_store.delete_stage(p.stage("Contratto vinto").id, move_to=p.stage("Nuovo contatto").id)
    assert pg_store.opportunity_row(opp.id).stage == "Nuovo contatto"


def test_custom_fields_and_soft_delete(pg_store: Store) -> None:
    pg_store.define_field("contact", "Compleanno", type="date")
    c = pg_store.create_contact(first_name="A", custom={"compleanno": "01/02/1990"})
    assert pg_store.field_values("contact", c.id) == {"compleanno": "1990-02-01"}
    pg_store.delete_contact(c.id)
    assert pg_store.count_contacts() == 0
    pg_store.restore_contact(c.id)
    pg_store.purge_contact(c.id)
    assert pg_store.count_contacts(ContactQuery(deleted=True)) == 0


def test_imported_from_line_derived_from_the_batch(pg_store: Store, tmp_path: Path) -> None:
    from koachify_tui.store.importer import run_import, undo_batch

    path = tmp_path / "x.csv"
    path.write_text("First Name,Email\nAnna,anna@x.it\nBruno,bruno@x.it\n", encoding="utf-8")
    batch_id = run_import(pg_store, path).batch_id or 0
    anna, bruno = (pg_store.find_contacts_by_email(e)[0] for e in ("anna@x.it", "bruno@x.it"))
    assert [(i.kind, i.text) for i in pg_store.timeline(anna)] == [("import", "Imported from x.csv")]
    assert [i.text for i in pg_store.timeline(anna, kinds={"import"}, before=pg_store.timeline(anna)[0].at)] == []
    pg_store.purge_contact(anna)
    undo_batch(pg_store, batch_id)
    assert pg_store.count_contacts() == 0
    assert pg_store.timeline(bruno) == []


def test_migrations_from_scratch_on_postgres() -> None:
    """New databases are created at head in one step; the migrations must still run on PostgreSQL."""
    from sqlalchemy import create_engine

    from koachify_tui.store.db import upgrade

    with new_pg_database() as url:
        engine = create_engine(url)
        try:
            upgrade(engine)
            assert current_revision(engine) == SCHEMA_HEAD
        finally:
            engine.dispose()
        store = Store.open(url)
        assert store.get_pipeline("Vendite Coaching").stages
        store.close()
