"""The importer's portable (Core) paths on PostgreSQL (set KOACHIFY_TEST_PG_URL; .ci/run starts a server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import needs_postgres, new_pg_database
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


def _two_imports_at_once(url: str, path: Path) -> tuple[list[str], list[BaseException]]:
    """Import `path` twice at the same time through two stores (two processes' worth of connections): the
    second starts while the first is mid-file, and the first goes on once the second is waiting for it."""
    import threading

    first_holds, second_waits = threading.Event(), threading.Event()
    messages: list[str] = []
    errors: list[BaseException] = []

    def first_progress(_done: int, _total: int) -> None:
        if not first_holds.is_set():  # mid-file, holding the import lock: let the second start, wait for it
            first_holds.set()
            second_waits.wait(timeout=30)

    def run(progress: Any, waiting: Any) -> None:
        store = Store.open(url)
        try:
            run_import(store, path, ImportOptions(chunk_size=50), progress=progress, waiting=waiting)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            first_holds.set()
            second_waits.set()
        finally:
            store.close()

    def waiting(message: str) -> None:
        messages.append(message)
        second_waits.set()

    first = threading.Thread(target=run, args=(first_progress, None))
    first.start()
    first_holds.wait(timeout=30)
    second = threading.Thread(target=run, args=(None, waiting))
    second.start()
    first.join()
    second.join()
    return messages, errors


@pytest.mark.parametrize("extra", ["plain", "labels", "custom"])
def test_two_concurrent_imports_of_one_file_make_the_contacts_of_one(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "same.csv"
    header = ["First Name", "Last Name", "Email"] + {"plain": [], "labels": ["Labels"], "custom": ["Obiettivo"]}[extra]
    lines = [",".join(header)]
    for i in range(400):
        cells = [f"Nome{i}", f"Cognome{i}", f"p{i}@example.it"]
        cells += {"plain": [], "labels": [f"lead ::: t{i % 7}"], "custom": [f"obiettivo {i % 3}"]}[extra]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with new_pg_database() as url:
        Store.open(url).close()
        messages, errors = _two_imports_at_once(url, path)
        assert errors == []
        assert messages and "another import" in messages[0]
        store = Store.open(url)
        assert store.count_contacts() == 400
        if extra == "labels":
            assert len(store.list_tags()) == 8
        if extra == "custom":
            assert [d.key for d in store.list_fields("contact")] == ["obiettivo"]
        store.close()


def test_tag_created_by_two_stores_at_once_is_one_tag() -> None:
    import threading

    with new_pg_database() as url:
        a, b = Store.open(url), Store.open(url)
        ca, cb = a.create_contact(first_name="A"), b.create_contact(first_name="B")
        done = threading.Event()
        with a.write() as tx:
            a.add_tag(ca.id or 0, "Nuovo")  # not committed yet: B's insert of the same tag waits for it
            thread = threading.Thread(target=lambda: (b.add_tag(cb.id or 0, "nuovo"), done.set()))
            thread.start()
            assert not done.wait(0.3)
            tx.session.flush()
        thread.join()
        assert done.is_set() and a.list_tags() == [("Nuovo", 2)]
        a.close()
        b.close()
