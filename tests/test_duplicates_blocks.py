"""The blocked finder (store/dup_blocks.py: only the contacts in a shared key or a comparing name bucket are
read) finds exactly what reading every contact finds, a batch's groups are the whole list's that hold one of
its contacts, and the import's count is the number of those groups (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import Store, dup_blocks, duplicates
from koachify_tui.store.duplicate_types import DuplicateGroup
from koachify_tui.store.importer import ImportOptions, run_import

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

FIRST = ["Mario", "Maria", "Luca", "Giulia", "Giulià", "G.", "Beppe", "Giuseppe", "Anna", "", "Zoë"]
LAST = ["Rossi", "ROSSI", "Verdi", "Bianchi", "Bianchini", "D'Amico", "Damico", ""]
COMPANIES = ["", "", "Acme", "ACME", "Studio Verdi", "studio verdi "]
DOMAINS = ["acme.it", "studio.it", "gmail.com", "example.it", "libero.it"]
LOCALS = ["mario", "giulia", "info", "none", "test", "a.b", "luca"]


@pytest.fixture(autouse=True)
def blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocked path at these sizes too (it reads everyone below BLOCKED_FROM contacts)."""
    monkeypatch.setattr(dup_blocks, "BLOCKED_FROM", 0)


@pytest.fixture
def small_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds a few hundred contacts reach: big buckets (exact names only) and common values happen."""
    monkeypatch.setattr(duplicates, "BUCKET_MAX", 4)
    monkeypatch.setattr(duplicates, "COMMON_MIN", 12)


def _email(rng: random.Random) -> str:
    return f"{rng.choice(LOCALS)}{rng.choice(['', '', '1', '2'])}@{rng.choice(DOMAINS)}"


def populate(store: Store, n: int, seed: int) -> list[int]:
    """`n` contacts drawn from few names, companies, domains, tags, two city fields, extra addresses and
    placeholder-looking ones; some deleted, some merged, a pair marked "not a duplicate"."""
    rng = random.Random(seed)
    store.define_field("contact", "City")
    store.define_field("contact", "Address 1 - City")
    ids = []
    for _ in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if not first and not last:
            last = "Neri"
        custom = {}
        if rng.random() < 0.3:
            custom["city"] = rng.choice(["Como", "COMO ", "Milano", "Lodi"])
        if rng.random() < 0.1:
            custom["address_1_city"] = rng.choice(["Como", "Pavia", ""])
        contact = store.create_contact(
            first_name=first,
            last_name=last,
            company=rng.choice(COMPANIES),
            email=_email(rng) if rng.random() < 0.7 else "",
            emails=[_email(rng)] if rng.random() < 0.15 else [],
            phone=f"347 {rng.randint(1000000, 1000040)}" if rng.random() < 0.3 else "",
            phones=["02 1234567"] if rng.random() < 0.05 else [],
            tags=rng.sample(["VIP", "vip", "Yoga", "Lead"], rng.randint(0, 2)),
            custom=custom,
        )
        ids.append(contact.id or 0)
    deleted = set(rng.sample(ids, n // 20))
    for cid in deleted:
        store.delete_contact(cid)
    live = [cid for cid in ids if cid not in deleted]
    a, b = rng.sample(live, 2)
    store.merge_contacts(a, [b])
    store.ignore_duplicate(*rng.sample([cid for cid in live if cid != b], 2))
    return ids


def both(store: Store) -> tuple[list[DuplicateGroup], list[DuplicateGroup]]:
    with store.read() as s:
        assert dup_blocks.plan(s.connection(), duplicates.PUBLIC_DOMAINS, lambda n: n, 60, lambda i, c: ()) is not None
        return duplicates.find_groups(s), duplicates.find_groups(s, exhaustive=True)


def in_batch(groups: list[DuplicateGroup], ids: list[int]) -> list[DuplicateGroup]:
    batch = set(ids)
    return [g for g in groups if batch & set(g.contact_ids)]


@pytest.mark.parametrize("seed", [1, 2])
def test_blocked_finder_equals_reading_everyone(any_store: Store, small_rules: None, seed: int) -> None:
    ids = populate(any_store, 160, seed)
    blocked, exhaustive = both(any_store)
    assert len(exhaustive) > 10 and any(not g.strong for g in exhaustive) and any(g.strong for g in exhaustive)
    assert blocked == exhaustive
    for batch in (ids[:5], ids[40:120], ids[-1:]):
        assert any_store.find_duplicates(contact_ids=batch) == in_batch(exhaustive, batch)


def test_the_defaults_on_the_same_data(any_store: Store) -> None:
    populate(any_store, 120, 3)
    blocked, exhaustive = both(any_store)
    assert blocked == exhaustive and exhaustive


def test_bench_data_blocked_equals_exhaustive(tmp_path: Path) -> None:
    from bench_duplicates import generate, write

    db = tmp_path / "d.db"
    people, _planted = generate(3000)
    write(db, people)
    store = Store.open(db)
    blocked, exhaustive = both(store)
    store.close()
    assert len(exhaustive) > 20 and blocked == exhaustive


def _csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    lines = ["First Name,Last Name,Company,Email,Phone,Labels"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _batch_rows(seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(60):
        email = _email(rng) if rng.random() < 0.6 else ""
        phone = f"347 {rng.randint(1000000, 1000040)}" if rng.random() < 0.3 else ""
        rows.append((rng.choice(FIRST) or "Ugo", rng.choice(LAST), rng.choice(COMPANIES).strip(), email, phone,
                     rng.choice(["", "VIP", "Yoga"])))  # fmt: skip
    return rows


def test_a_batch_into_a_full_database_counts_the_whole_lists_groups(any_store: Store, tmp_path: Path) -> None:
    populate(any_store, 150, 4)
    result = run_import(any_store, _csv(tmp_path / "b.csv", _batch_rows(5)), ImportOptions())
    assert result.batch_id is not None
    batch = any_store.import_batch_contacts(result.batch_id)
    whole = any_store.find_duplicates()
    with any_store.read() as s:
        exhaustive = duplicates.find_groups(s, exhaustive=True)
    assert whole == exhaustive
    assert any_store.batch_duplicates(result.batch_id) == in_batch(whole, batch)
    assert 0 < len(in_batch(whole, batch)) < len(whole)


def test_the_import_command_prints_that_count(db_path: Path, tmp_path: Path) -> None:
    store = Store.open(db_path)
    populate(store, 150, 6)
    store.close()
    out = CliRunner().invoke(app, ["import", str(_csv(tmp_path / "b.csv", _batch_rows(7))), "--db", str(db_path),
                                   "--json"])  # fmt: skip
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    store = Store.open(db_path)
    batch = store.import_batch_contacts(data["batch_id"])
    listed = CliRunner().invoke(app, ["duplicates", "list", "--db", str(db_path), "--json"])
    groups = json.loads(listed.stdout)
    store.close()
    shown = [g for g in groups if set(batch) & set(g["contact_ids"])]
    assert data["possible_duplicates"] == len(shown) > 0
