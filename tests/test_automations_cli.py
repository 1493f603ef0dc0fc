"""`koachify automations …` through typer's CliRunner on the real app."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koachify_tui.automations import sequences
from koachify_tui.cli import app
from koachify_tui.store import Store
from koachify_tui.store.models import utcnow

runner = CliRunner(env={"COLUMNS": "200"})  # rich tables would wrap at 80


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KOACHIFY_CONFIG", str(tmp_path / "config.toml"))
    path = tmp_path / "crm.db"
    Store.open(path).close()
    yield str(path)


def run(db: str, *args: str) -> str:
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 0, result.output
    return result.stdout


def fail(db: str, *args: str) -> str:
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 1, result.output
    return result.stderr


def test_list_shows_the_seed_rule(db: str) -> None:
    (rule,) = json.loads(run(db, "automations", "list", "--json"))
    assert rule["trigger"] == "opportunity.status_changed" and rule["filters"] == {
        "to_status": "won",
        "pipeline": "Vendite Coaching",
    }
    assert rule["actions"] == [{"type": "add_tag", "target": "contact", "tag": "Cliente attivo"}]
    assert "Cliente attivo" in run(db, "automations", "list")


def test_add_from_flags_enable_disable_delete(db: str) -> None:
    Path(os.environ["KOACHIFY_CONFIG"]).write_text('locale = "it_IT"\n')  # value_gte typed the Italian way
    rule = json.loads(
        run(
            db, "automations", "add", "--name", "Proposta", "--trigger", "opportunity.stage_changed",
            "--filter", "to_stage=Proposta inviata", "--filter", "value_gte=1.500,00",
            "--task", "Richiamare", "--due-days", "3", "--add-tag", "Caldo", "--json",
        )
    )  # fmt: skip
    assert rule["filters"] == {"to_stage": "Proposta inviata", "value_gte": 1500.0}
    assert rule["actions"] == [
        {"type": "add_tag", "tag": "Caldo"},
        {"type": "create_task", "title": "Richiamare", "due_in_days": 3},
    ]
    rid = str(rule["id"])
    assert json.loads(run(db, "automations", "disable", rid, "--json"))["enabled"] is False
    assert "enabled" in run(db, "automations", "enable", rid)
    assert "Deleted rule" in run(db, "automations", "delete", rid)
    assert len(json.loads(run(db, "automations", "list", "--json"))) == 1


def test_add_from_json_and_toml_files(db: str, tmp_path: Path) -> None:
    (tmp_path / "rule.json").write_text(
        json.dumps({"name": "Lead", "trigger": "contact.created", "actions": [{"type": "add_tag", "tag": "Nuovo"}]}),
        encoding="utf-8",
    )
    (tmp_path / "rules.toml").write_text(
        """
[[rules]]
name = "Perso ⇒ nota"
trigger = "opportunity.status_changed"
filters = { to_status = ["lost", "abandoned"] }
actions = [{ type = "add_note", body = "Ricontattare tra 6 mesi" }]

[[rules]]
name = "VIP"
trigger = "tag.added"
enabled = false
filters = { tag = "VIP" }
actions = [{ type = "set_owner", owner = "Marta" }]
""",
        encoding="utf-8",
    )
    run(db, "automations", "add", "--file", str(tmp_path / "rule.json"))
    created = json.loads(run(db, "automations", "add", "-f", str(tmp_path / "rules.toml"), "--json"))
    assert [(r["name"], r["enabled"]) for r in created] == [("Perso ⇒ nota", True), ("VIP", False)]
    # an exported rule reads back
    exported = tmp_path / "export.json"
    exported.write_text(run(db, "automations", "show", str(created[0]["id"])), encoding="utf-8")
    run(db, "automations", "add", "-f", str(exported))
    assert len(json.loads(run(db, "automations", "list", "--json"))) == 5


def test_bad_rules_are_one_line_errors_and_add_nothing(db: str, tmp_path: Path) -> None:
    assert "unknown trigger" in fail(db, "automations", "add", "--name", "x", "--trigger", "nope")
    (tmp_path / "bad.toml").write_text(
        '[[rules]]\nname = "ok"\ntrigger = "tag.added"\n[[rules]]\nname = "bad"\ntrigger = "tag.added"\n'
        'actions = [{ type = "explode" }]\n',
        encoding="utf-8",
    )
    assert "explode" in fail(db, "automations", "add", "-f", str(tmp_path / "bad.toml"))
    assert len(json.loads(run(db, "automations", "list", "--json"))) == 1  # the good one was rolled back too
    assert "not valid" in fail(db, "automations", "add", "--name", "x", "--trigger", "tag.added", "--action", "{")


def test_cli_changes_fire_rules_and_log(db: str) -> None:
    contact = json.loads(run(db, "contacts", "add", "-f", "Anna", "--source", "Form", "--json"))
    opp = json.loads(
        run(db, "opportunities", "add", "-c", str(contact["id"]), "-p", "Vendite Coaching", "--title", "Deal", "--json")
    )
    run(db, "opportunities", "status", str(opp["id"]), "won")
    with _open(db) as store:
        assert "Cliente attivo" in store.contact_tags(contact["id"])
    (entry,) = json.loads(run(db, "automations", "log", "--json"))
    assert entry["ok"] and entry["rule"] == "Won ⇒ tag Cliente attivo" and entry["contact_id"] == contact["id"]
    assert entry["actions"] == ["contact tagged “Cliente attivo”"]
    assert "Won ⇒ tag Cliente attivo" in run(db, "automations", "log", "--contact", str(contact["id"]))
    assert json.loads(run(db, "automations", "log", "--failed", "--json")) == []


def test_sequences_and_run_due(db: str) -> None:
    out = run(
        db, "automations", "sequences", "add", "--name", "Onboarding",
        "--step", "0:task:Chiamata", "--step", "2:note:Inviato materiale", "--json",
    )  # fmt: skip
    assert [s["action"] for s in json.loads(out)["steps"]] == ["task", "note"]
    cid = json.loads(run(db, "contacts", "add", "-f", "Anna", "--json"))["id"]
    enrolled = json.loads(run(db, "automations", "sequences", "enroll", str(cid), "Onboarding", "--json"))
    assert enrolled["enrolled"] and [r["step"] for r in enrolled["steps_run"]] == [1]
    assert json.loads(run(db, "automations", "run-due", "--json")) == []
    # two days later (moved back in the database rather than sleeping)
    with _open(db) as store, store.write() as tx:
        from sqlalchemy import select

        from koachify_tui.store.models import SequenceEnrollment

        for e in tx.session.exec(select(SequenceEnrollment)).scalars():
            e.next_due_at = utcnow() - timedelta(minutes=1)
    (step,) = json.loads(run(db, "automations", "run-due", "--json"))
    assert step["ok"] and step["step"] == 2 and step["contact_id"] == cid
    assert "Onboarding" in run(db, "automations", "sequences", "list")
    assert json.loads(run(db, "automations", "sequences", "enrollments", "--json")) == []
    assert "0 enrolments" in run(db, "automations", "sequences", "leave", str(cid), "*")
    run(db, "automations", "sequences", "delete", "Onboarding")
    with _open(db) as store:
        assert sequences.list_sequences(store) == []


def test_bad_step_and_missing_db(db: str, tmp_path: Path) -> None:
    assert "DAYS:task:Title" in fail(db, "automations", "sequences", "add", "-n", "X", "--step", "soon:task:x")
    result = runner.invoke(app, ["automations", "list", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 1 and "no database" in result.stderr


def test_hooks_command(db: str) -> None:
    assert json.loads(run(db, "automations", "hooks", "--json")) == []


class _open:  # noqa: N801 - a tiny context manager reads better here than a fixture
    def __init__(self, db: str) -> None:
        self.store = Store.open(db)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
