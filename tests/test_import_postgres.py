"""The importer's portable (Core) paths on PostgreSQL (set KOACHIFY_TEST_PG_URL; .ci/run starts a server)."""

from __future__ import annotations

from pathlib import Path

from conftest import needs_postgres
from import_bulk_checks import check_store, write_file
from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.importer import ImportOptions, run_import, undo_batch

pytestmark = needs_postgres


def test_import_dedupe_and_undo_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 300)
    existing = pg_store.create_contact(first_name="Pre", email="user0@example.com")
    result = run_import(pg_store, path, ImportOptions(chunk_size=61))
    assert result.counts.created == distinct - 1 and result.counts.rejected == 0
    assert pg_store.count_contacts(ContactQuery(search="straße")) >= 1
    assert undo_batch(pg_store, result.batch_id or 0).removed == distinct - 1
    assert pg_store.count_contacts() == 1 and pg_store.get_contact(existing.id or 0).first_name == "Pre"


def test_bulk_import_matches_the_store_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 300, seed=5)
    result = run_import(pg_store, path, ImportOptions(chunk_size=61))
    check_store(pg_store, result.batch_id or 0, distinct)
