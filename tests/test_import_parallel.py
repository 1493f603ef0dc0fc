"""Parsing in a forked child (`importer.producer`) gives exactly the in-process result, and never leaves a
child behind: on file errors, on a cancel, or when the child dies."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from import_bulk_checks import check_store, write_file
from koachify_tui.store import Store
from koachify_tui.store.importer import FileError, ImportOptions, list_batches, open_csv, producer, run_import
from koachify_tui.store.importer.rows import Candidate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parsing child is forked (Linux)")


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table an import writes, without the times."""
    queries = {
        "contact": "SELECT id, first_name, last_name, company, email, email_key, phone, phone_e164, source, owner, "
        "name_key, search_text FROM contact ORDER BY id",
        "channel": "SELECT contact_id, kind, value, key FROM contact_channel ORDER BY id",
        "tag": "SELECT contact_id, tag_id FROM contact_tag ORDER BY contact_id, tag_id",
        "value": "SELECT field_id, entity_id, value_json FROM custom_field_value ORDER BY field_id, entity_id",
        "item": "SELECT contact_id, action, before_json FROM import_batch_item ORDER BY id",
        "history": "SELECT contact_id, kind, text FROM history_entry ORDER BY id",
    }
    with store.read() as s:
        conn = s.connection()
        return {name: [tuple(r) for r in conn.exec_driver_sql(sql)] for name, sql in queries.items()}


def children() -> list[int]:
    """Pids of this process's live (or unreaped) children."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.append(int(entry))
    return found


def test_parallel_and_in_process_imports_write_the_same(tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 700)
    with path.open("a", encoding="utf-8", newline="") as fh:  # rejects and warnings go through the pipe too
        fh.write(",,,,not-an-email,,,,,\n")
        fh.write("Bad,Phone,,,,,3.93331E+11,,,\n")
        fh.write("Too,Many,,,,,,,,,extra,cells\n")
    results, snapshots = [], []
    for parallel in (False, True):
        store = Store.open(tmp_path / f"{parallel}.db")
        options = ImportOptions(chunk_size=64, parallel=parallel, tags=["Lista 2026"])
        result = run_import(store, path, options)
        assert result.parallel is parallel
        again = run_import(store, path, dataclasses.replace(options, on_duplicate="update"))
        assert again.counts.created == 0
        results.append((result.counts, result.rejects, result.warnings, again.counts))
        snapshots.append(snapshot(store))
        assert result.counts.created == distinct + 1  # "Bad Phone" is kept, without its phone
    assert results[0] == results[1]
    assert snapshots[0] == snapshots[1]
    last = path.read_text(encoding="utf-8").count("\n")
    assert [r.line for r in results[1][1]] == [last - 2, last]  # no name, email or phone; misaligned
    assert any("scientific notation" in message for _line, message in results[1][2])


def test_parallel_import_keeps_the_store_invariants(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 400, seed=11)
    result = run_import(store, path, ImportOptions(chunk_size=50, parallel=True))
    check_store(store, result.batch_id or 0, distinct)
    assert children() == []


def test_a_file_error_in_the_child_rolls_back_and_reaps_it(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    rows = "".join(f"Nome{i},n{i}@example.it\n" for i in range(3000))  # past the first block read
    path.write_bytes(("Nome,Email\n" + rows + "Niccolò,x@example.it\n").encode("cp1252"))
    with pytest.raises(FileError, match="not valid utf-8"):
        run_import(store, path, ImportOptions(encoding="utf-8", chunk_size=100, parallel=True))
    assert store.count_contacts() == 0 and list_batches(store) == []
    assert children() == []


def test_a_cancel_kills_the_child(store: Store, tmp_path: Path) -> None:
    """The TUI cancels by raising from the progress callback: the child must not outlive the import."""
    path = tmp_path / "gen.csv"
    write_file(path, 500)

    def progress(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(store, path, ImportOptions(chunk_size=50, parallel=True), progress=progress)
    assert store.count_contacts() == 0 and children() == []


def test_a_child_that_dies_fails_the_import_cleanly(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gen.csv"
    write_file(path, 300)
    real = producer.parse_chunks

    def dying(*args: Any, **kwargs: Any) -> Any:
        for number, chunk in enumerate(real(*args, **kwargs)):
            if number == 2:
                os.kill(os.getpid(), signal.SIGKILL)  # in the child: the parent sees the pipe close early
            yield chunk

    monkeypatch.setattr(producer, "parse_chunks", dying)
    with pytest.raises(FileError, match="stopped unexpectedly"):  # one line in the CLI, not a traceback
        run_import(store, path, ImportOptions(chunk_size=50, parallel=True))
    assert store.count_contacts() == 0 and children() == []


def test_the_wire_format_follows_the_candidate_fields() -> None:
    """`_encode` lists a Candidate's fields in declaration order: a new field must be added there too."""
    fields = [f.name for f in dataclasses.fields(Candidate)]
    values = {name: f"<{name}>" for name in fields}
    values["cells"] = ["a", "b"]
    candidate = Candidate(**values)  # type: ignore[arg-type]
    encoded = producer._encode(candidate)
    assert len(encoded) == len(fields)
    decoded = Candidate(*encoded)
    assert dataclasses.asdict(decoded) == {**values, "cells": "a\x00b"}


def test_auto_mode_forks_only_for_big_files_in_a_single_threaded_process(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "small.csv"
    write_file(path, 50)
    assert run_import(store, path).parallel is False  # under PARALLEL_MIN_BYTES
    assert producer.can_fork() is (__import__("threading").active_count() == 1)


def test_a_refused_fork_falls_back_to_parsing_in_process(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from koachify_tui.store.importer import runner

    path = tmp_path / "gen.csv"
    distinct = write_file(path, 200)

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(producer.os, "fork", refuse)
    monkeypatch.setattr(runner, "worth_forking", lambda size: True)
    with pytest.raises(OSError):
        run_import(store, path, ImportOptions(parallel=True))
    result = run_import(store, path)  # auto: parses here instead
    assert result.parallel is False and result.counts.created == distinct
    assert children() == []


@pytest.mark.parametrize("parallel", [False, True])
def test_typed_custom_fields_are_coerced_on_the_bulk_path(store: Store, tmp_path: Path, parallel: bool) -> None:
    """Text columns go in by set-based INSERTs; a column feeding an existing number field is coerced row by
    row, a bad value dropped with a warning, and a row merged into a new contact of the same chunk keeps
    both (a promoted Target)."""
    store.define_field("contact", "Budget", type="number", key="budget")
    path = tmp_path / "typed.csv"
    path.write_text(
        "Nome,Email,Budget,Città\n"
        "Anna,anna@example.it,1500,Roma\n"
        "Luca,luca@example.it,tanti,Milano\n"
        "Anna B,ANNA@example.it,,Napoli\n",  # same email as line 2: merged into the contact line 2 creates
        encoding="utf-8",
    )
    result = run_import(store, path, ImportOptions(parallel=parallel))
    assert result.counts.created == 2 and result.counts.merged == 1  # line 4 fills Anna's blank last name
    assert [line for line, _m in result.warnings] == [3]
    anna, luca = (store.find_contacts_by_email(e)[0] for e in ("anna@example.it", "luca@example.it"))
    assert store.field_values("contact", anna) == {"budget": 1500, "citta": "Roma"}
    assert store.field_values("contact", luca) == {"citta": "Milano"}


def test_a_parser_started_before_the_store_gives_the_same_result(tmp_path: Path) -> None:
    """`koachify import` forks the parser before it loads the store (`producer.start_parser`)."""
    path = tmp_path / "gen.csv"
    write_file(path, 900, seed=5)
    snapshots = []
    for early in (False, True):
        store = Store.open(tmp_path / f"{early}.db")
        options = ImportOptions(chunk_size=128, parallel=early)
        child = None
        if early:
            monkey = pytest.MonkeyPatch()
            monkey.setattr(producer, "PARALLEL_MIN_BYTES", 0)
            monkey.setattr(producer, "can_fork", lambda: True)
            child = producer.start_parser(path, options, store.region)
            monkey.undo()
            assert child is not None
        result = run_import(store, path, options, parser=child)
        assert result.parallel is early
        snapshots.append((result.counts, snapshot(store)))
    assert snapshots[0] == snapshots[1]
    assert children() == []


def test_an_early_parser_is_stopped_when_the_import_fails_before_using_it(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    write_file(path, 300)
    options = ImportOptions(on_duplicate="overwrite-everything", parallel=True)
    child = producer.fork_parser(lambda: (iter(()), open_csv(path), None, []), 100, bulk=True)  # type: ignore[arg-type]
    with pytest.raises(FileError, match="--on-duplicate"):
        run_import(store, path, options, parser=child)
    assert children() == []
