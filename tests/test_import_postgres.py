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


def test_matching_v2_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    """Switchboard, placeholder and shared-email rules through the Core paths (held rows, keys taken off)."""
    path = tmp_path / "mix.csv"
    rows = ["First Name,Last Name,Email,Phone"]
    rows += [f"N{i},Alfa,n{i}@alfa.it,+39 02 4851 2311" for i in range(7)]  # one switchboard, own emails
    rows += [f"P{i},Beta,none@gmail.com," for i in range(5)]  # a placeholder
    rows += [f"{name},Gamma,info@gamma.it," for name in ("Anna", "Bruno", "Carla")]  # an office mailbox
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_import(pg_store, path, ImportOptions(chunk_size=4))
    assert pg_store.count_contacts() == 15 and result.counts.merged == 0
    assert result.findings["placeholders"] == {"none@gmail.com": 5}
    assert "info@gamma.it" in result.findings["shared"]
    again = tmp_path / "again.csv"
    again.write_text("First Name,Last Name,Email,Phone\nDario,Gamma,info@gamma.it,\n", encoding="utf-8")
    assert run_import(pg_store, again).counts.created == 1
    assert undo_batch(pg_store, result.batch_id or 0).removed == 15
