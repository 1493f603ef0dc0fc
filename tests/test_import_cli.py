"""`koachify import` / `koachify export` end to end, exit codes, and a kill during an import."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koachify_tui.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOACHIFY_CONFIG", str(tmp_path / "config.toml"))


def invoke(*args: str) -> object:
    """Run the CLI; `--db X` given first is moved after the sub-command (its own option)."""
    argv = list(args)
    if argv[:1] == ["--db"]:
        argv = [*argv[2:], "--db", argv[1]]
    return runner.invoke(app, argv)


def test_import_json_then_reimport_then_undo(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    result = invoke("--db", db, "import", str(FIXTURES / "google.csv"), "--json", "--tag", "Google")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads(result.output)  # type: ignore[attr-defined]
    assert data["counts"]["created"] == 2 and data["batch_id"] == 1
    again = json.loads(invoke("--db", db, "import", str(FIXTURES / "google.csv"), "--json").output)  # type: ignore[attr-defined]
    assert again["counts"]["unchanged"] == 2
    listed = json.loads(invoke("--db", db, "import", "--list-batches", "--json").output)  # type: ignore[attr-defined]
    assert [b["id"] for b in listed] == [2, 1]
    undo = invoke("--db", db, "import", "--undo", "1")
    assert undo.exit_code == 0 and "2 contacts removed" in undo.output  # type: ignore[attr-defined]


def test_summary_table_and_report(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    source = tmp_path / "in.csv"
    source.write_text("Name,Email\nOk,ok@x.it\n,nope\n")
    report = tmp_path / "rejects.csv"
    result = invoke("--db", db, "import", str(source), "--report", str(report))
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert "created" in result.output and "rejected" in result.output  # type: ignore[attr-defined]
    assert "invalid email" in report.read_text(encoding="utf-8-sig")


def test_dry_run_shows_mapping_and_creates_no_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = invoke("--db", str(db), "import", str(FIXTURES / "hubspot.csv"), "--dry-run")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "Record ID" in result.output and "Would import" in result.output  # type: ignore[attr-defined]
    assert not db.exists()


@pytest.mark.parametrize("name", ["empty.csv", "binary.csv", "missing.csv"])
def test_file_errors_exit_non_zero_with_one_line(tmp_path: Path, name: str) -> None:
    result = invoke("--db", str(tmp_path / "crm.db"), "import", str(FIXTURES / name))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert result.output.strip().count("\n") == 0 and result.output.startswith("Error:")  # type: ignore[attr-defined]


def test_bad_option_values(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    assert invoke("--db", db, "import", str(FIXTURES / "google.csv"), "--on-duplicate", "glue").exit_code == 1  # type: ignore[attr-defined]
    assert invoke("--db", db, "import", str(FIXTURES / "google.csv"), "--map", "Nope=email").exit_code == 1  # type: ignore[attr-defined]


def test_export_command(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    invoke("--db", db, "import", str(FIXTURES / "excel_it.csv"))
    out = tmp_path / "out.csv"
    result = invoke("--db", db, "export", str(out), "--delimiter", ";")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffKoachify ID;") and "Niccolò" in text


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("First Name,Last Name,Email,Phone,Labels,Title\n")
        for i in range(rows):
            fh.write(f"N{i},L{i},n{i}@example.com,3{i:09d},* myContacts ::: T{i % 7},T{i}\n")


def _has_batch_table(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name='import_batch'").fetchone())
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _processes_reading(path: Path) -> list[int]:
    """Pids of live processes whose command line names `path` (a forked child keeps its parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_kill_during_import_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    big = tmp_path / "big.csv"
    _big_csv(big, 150_000)
    env = {**os.environ, "KOACHIFY_CONFIG": str(tmp_path / "config.toml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "koachify_tui", "import", str(big), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 60
    # Wait for the schema to be committed (the import transaction starts right after), then for the import
    # to have written a few MB of its transaction, and kill it mid-way.
    while time.monotonic() < deadline and proc.poll() is None and not _has_batch_table(db):
        time.sleep(0.05)
    wal = Path(f"{db}-wal")
    while time.monotonic() < deadline and proc.poll() is None and (not wal.exists() or wal.stat().st_size < 8e6):
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The parsing child it forked notices (its pipe breaks) and exits too.
    while time.monotonic() < deadline and _processes_reading(big):
        time.sleep(0.05)
    assert not _processes_reading(big)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("contact", "import_batch", "tag")]
        assert counts == [0, 0, 0]
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert {"contact_fts_ai", "contact_fts_au"} <= triggers  # dropped inside the transaction only
    finally:
        conn.close()


def test_a_big_file_is_parsed_by_a_second_process(tmp_path: Path) -> None:
    """The CLI is single-threaded: a file over PARALLEL_MIN_BYTES is parsed by a forked child, with the same
    result (the in-process path is compared with it in test_import_parallel.py)."""
    big = tmp_path / "big.csv"
    _big_csv(big, 20_000)  # ~1.4 MB
    env = {**os.environ, "KOACHIFY_CONFIG": str(tmp_path / "config.toml")}
    out = subprocess.run(
        [sys.executable, "-m", "koachify_tui", "import", str(big), "--db", str(tmp_path / "crm.db"), "--json"],
        capture_output=True,
        env=env,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert result["parallel"] is (sys.platform.startswith("linux"))
    assert result["counts"]["created"] == 20_000 and result["counts"]["rejected"] == 0


def test_dry_run_lists_merges_and_findings_and_no_header_columns(tmp_path: Path) -> None:
    db = str(tmp_path / "crm.db")
    first = tmp_path / "a.csv"
    first.write_text("First Name,Email\nMario,mario@x.it\n", encoding="utf-8")
    assert invoke("--db", db, "import", str(first)).exit_code == 0  # type: ignore[attr-defined]
    raw = tmp_path / "raw.csv"
    raw.write_text("Mario,Rossi,MARIO@x.it\nAnna,Neri,none@gmail.com\n", encoding="utf-8")
    refused = invoke("--db", db, "import", str(raw))
    assert refused.exit_code == 1 and "--no-header" in refused.output  # type: ignore[attr-defined]
    args = ["--db", db, "import", str(raw), "--no-header", "--columns", "first_name,last_name,email", "--dry-run"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert "line 1: merges into mario (#1) (same email mario@x.it)" in out
    assert "none@gmail.com" in out and "Placeholder" in out
