"""The importer's portable (Core) paths on PostgreSQL (set KOACHIFY_TEST_PG_URL; .ci/run starts a server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from import_bulk_checks import check_store, write_file
from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.importer import ImportOptions, run_import, undo_batch

PG_URL = os.environ.get("KOACHIFY_TEST_PG_URL", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="KOACHIFY_TEST_PG_URL not set")


@pytest.fixture
def pg_store() -> Iterator[Store]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"koachify_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store.open(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield store
    store.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


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
