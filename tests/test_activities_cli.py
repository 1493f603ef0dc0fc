"""`koachify activities …`: the CLI equivalents of the TUI's item keys (issue 15, item 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import Store

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["activities", *args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def _seed(db_path: Path) -> tuple[int, int, int]:
    store = Store.open(f"sqlite:///{db_path}")
    try:
        c = store.create_contact(first_name="Giulia")
        note = store.add_note("Prima call", contact_id=c.id)
        task = store.add_task("Richiamare", contact_id=c.id, due_at=datetime.now(UTC) - timedelta(days=2))
        assert c.id is not None and note.id is not None and task.id is not None
        return c.id, note.id, task.id
    finally:
        store.close()


def test_list_edit_delete_restore(db_path: Path) -> None:
    cid, note, _task = _seed(db_path)
    code, out, err = run(db_path, "list", str(cid))
    assert code == 0, err
    assert f"note:{note}" in out and "Prima call" in out
    code, out, err = run(db_path, "edit", "note", str(note), "--text", "Prima call: ok", "--json")
    assert code == 0, err
    assert json.loads(out)["body"] == "Prima call: ok"
    code, out, err = run(db_path, "delete", "note", str(note))
    assert code == 0 and "restore" in out
    assert f"note:{note}" not in run(db_path, "list", str(cid))[1]
    code, out, _err = run(db_path, "restore", "note", str(note), "--json")
    assert code == 0 and json.loads(out)["deleted_at"] is None
    store = Store.open(f"sqlite:///{db_path}")
    try:
        assert [ch.field for ch in store.changes(entity="note", entity_id=note)] == ["deleted_at", "deleted_at", "body"]
    finally:
        store.close()


def test_task_done_reopen_snooze(db_path: Path) -> None:
    cid, _note, task = _seed(db_path)
    assert run(db_path, "done", str(task))[0] == 0
    assert "☑" in run(db_path, "list", str(cid), "--kind", "task")[1]
    assert run(db_path, "reopen", str(task))[0] == 0
    code, out, err = run(db_path, "snooze", str(task), "1d", "--json")
    assert code == 0, err
    due = datetime.fromisoformat(json.loads(out)["due_at"])
    assert due.astimezone().date() == datetime.now().astimezone().date() + timedelta(days=1)
    code, out, err = run(db_path, "snooze", str(task), "2099-01-31")
    assert code == 0, err
    code, out, _err = run(db_path, "task", str(cid), "Inviare proposta", "--due", "+3", "--json")
    assert code == 0 and json.loads(out)["title"] == "Inviare proposta"


def test_log_a_call(db_path: Path) -> None:
    cid, _note, _task = _seed(db_path)
    code, out, err = run(db_path, "log", str(cid), "--duration", "1h30", "--outcome", "nessuna risposta",
                         "--at", "2026-03-02 10:15", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert (data["channel"], data["duration_s"], data["outcome"]) == ("call", 5400, "no answer")


def test_bad_input_is_one_line_and_writes_nothing(db_path: Path) -> None:
    cid, note, task = _seed(db_path)
    for args, message in (
        (("edit", "thing", "1", "--text", "x"), "unknown kind"),
        (("edit", "note", str(note)), "nothing to change"),
        (("edit", "note", "999", "--text", "x"), "no note"),
        (("log", str(cid), "--duration", "tanto"), "invalid duration"),
        (("snooze", str(task), "31/31/2026"), "invalid date"),
        (("edit", "note", str(note), "--text", "   "), "cannot be empty"),
    ):
        code, _out, err = run(db_path, *args)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1, (args, err)
    store = Store.open(f"sqlite:///{db_path}")
    try:
        assert store.changes(entity="note") == [] and store.list_messages() == []
    finally:
        store.close()
