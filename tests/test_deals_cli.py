"""`koachify opportunities delete|restore|list --deleted` and `koachify pipelines stages … --won-on-entry`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import Store

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def _deal(db: Path) -> int:
    s = Store.open(db)
    cid = s.create_contact(first_name="Anna").id or 0
    oid = s.create_opportunity(cid, "Percorso", "Vendite Coaching", value_minor=100_000).id or 0
    s.close()
    return oid


def test_delete_list_restore(db_path: Path) -> None:
    oid = _deal(db_path)
    code, out, _err = run(db_path, "opportunities", "delete", str(oid))
    assert code == 0 and f"koachify opportunities restore {oid}" in out
    assert json.loads(run(db_path, "opportunities", "list", "--json")[1]) == []
    code, out, _err = run(db_path, "opportunities", "list", "--deleted", "--json")
    assert [r["id"] for r in json.loads(out)] == [oid]
    code, _out, err = run(db_path, "opportunities", "delete", str(oid))
    assert code == 1 and err.strip() == f"Error: no opportunity with id {oid}"  # one line, no traceback
    code, out, _err = run(db_path, "opportunities", "restore", str(oid), "--json")
    assert code == 0 and json.loads(out)["stage"] == "Nuovo contatto"
    code, _out, err = run(db_path, "opportunities", "restore", str(oid))
    assert code == 1 and "no deleted opportunity" in err and "Traceback" not in err
    code, out, _err = run(db_path, "opportunities", "delete", str(oid), "--json")
    assert code == 0 and json.loads(out)["deleted"] is True


def test_won_on_entry_flag(db_path: Path) -> None:
    oid = _deal(db_path)
    code, out, _err = run(
        db_path, "pipelines", "stages", "set", "Vendite Coaching", "Contratto vinto", "--won-on-entry"
    )
    assert code == 0 and "Contratto vinto ✓" in out
    code, out, _err = run(db_path, "pipelines", "list", "--json")
    (stage,) = [s for s in json.loads(out)[0]["stages"] if s["won_on_entry"]]
    assert stage["name"] == "Contratto vinto"
    code, out, _err = run(db_path, "opportunities", "move", str(oid), "-s", "Contratto vinto")
    assert code == 0 and "won" in out
    code, out, _err = run(db_path, "opportunities", "show", str(oid), "--json")
    assert json.loads(out)["status"] == "won"
    code, _out, err = run(db_path, "pipelines", "stages", "set", "Vendite Coaching", "Contratto vinto")
    assert code == 1 and "--won-on-entry" in err
    code, _out, _err = run(
        db_path, "pipelines", "stages", "set", "Vendite Coaching", "Contratto vinto", "--no-won-on-entry"
    )
    assert code == 0
    code, out, _err = run(
        db_path, "pipelines", "stages", "add", "Vendite Coaching", "Saldato", "--won-on-entry", "--json"
    )
    assert code == 0
    flags = {s["name"]: s["won_on_entry"] for s in json.loads(out)["stages"]}
    assert flags == {"Nuovo contatto": False, "Proposta inviata": False, "Contratto vinto": False, "Saldato": True}
