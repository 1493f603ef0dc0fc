"""`koachify pipelines add/rename/delete` and `koachify pipelines stages add|rename|move|delete`."""

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


def stages(db: Path, pipeline: str) -> list[str]:
    code, out, _err = run(db, "pipelines", "list", "--json")
    assert code == 0
    return next([s["name"] for s in p["stages"]] for p in json.loads(out) if p["name"] == pipeline)


def test_pipeline_and_stage_lifecycle(db_path: Path) -> None:
    Store.open(db_path).close()
    code, out, _err = run(db_path, "pipelines", "add", "Aziende", "-s", "Contatto", "-s", "Demo", "--json")
    assert code == 0 and json.loads(out)["name"] == "Aziende"
    code, _out, err = run(db_path, "pipelines", "add", "aziende")
    assert code == 1 and "already exists" in err
    assert run(db_path, "pipelines", "rename", "Aziende", "Imprese")[0] == 0
    assert run(db_path, "pipelines", "stages", "add", "Imprese", "Firmato")[0] == 0
    assert run(db_path, "pipelines", "stages", "add", "Imprese", "Qualifica", "--position", "2")[0] == 0
    assert stages(db_path, "Imprese") == ["Contatto", "Qualifica", "Demo", "Firmato"]
    code, _out, err = run(db_path, "pipelines", "stages", "add", "Imprese", "demo")
    assert code == 1 and "already has a stage" in err
    assert run(db_path, "pipelines", "stages", "move", "Imprese", "Contatto", "4")[0] == 0
    assert stages(db_path, "Imprese") == ["Qualifica", "Demo", "Firmato", "Contatto"]
    assert run(db_path, "pipelines", "stages", "rename", "Imprese", "Firmato", "Vinto")[0] == 0
    assert stages(db_path, "Imprese") == ["Qualifica", "Demo", "Vinto", "Contatto"]


def test_deleting_a_stage_with_deals_needs_a_target(db_path: Path) -> None:
    store = Store.open(db_path)
    cid = store.create_contact(first_name="Mario").id
    opp = store.create_opportunity(cid, "Deal", "Vendite Coaching", stage="Proposta inviata").id  # type: ignore[arg-type]
    store.create_pipeline("Aziende", ["Contatto", "Demo"])
    store.close()
    code, _out, err = run(db_path, "pipelines", "stages", "delete", "Vendite Coaching", "Proposta inviata")
    assert code == 1 and "say where to move them" in err
    code, out, _err = run(
        db_path, "pipelines", "stages", "delete", "Vendite Coaching", "Proposta inviata", "--move-to", "Contratto vinto"
    )
    assert code == 0
    assert stages(db_path, "Vendite Coaching") == ["Nuovo contatto", "Contratto vinto"]
    code, _out, err = run(db_path, "pipelines", "delete", "Vendite Coaching")
    assert code == 1 and "say where to move them" in err
    code, out, _err = run(db_path, "pipelines", "delete", "Vendite Coaching", "--move-to", "Aziende:Demo", "--json")
    assert code == 0 and json.loads(out)["name"] == "Vendite Coaching"
    store = Store.open(db_path)
    row = store.opportunity_row(opp)  # type: ignore[arg-type]
    assert (row.pipeline, row.stage) == ("Aziende", "Demo")
    assert [h.kind for h in store.opportunity_history(opp)].count("stage_change") == 2  # type: ignore[arg-type]
    store.close()
