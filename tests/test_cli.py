"""The `koachify` command line through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from koachify_tui.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_commands() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("contacts", "opportunities", "pipelines", "demo", "board"):
        assert command in out


def test_demo_then_list_json(db_path: Path) -> None:
    code, out, err = run("demo", "--db", str(db_path), "--no-open", "--contacts", "40", "--json")
    assert code == 0, err
    assert json.loads(out)["created"]["contacts"] == 40
    code, out, _ = run("contacts", "list", "--db", str(db_path), "--json")
    rows = json.loads(out)
    assert len(rows) == 40
    assert set(rows[0]) >= {"id", "first_name", "last_name", "email", "phone", "company", "source", "tags"}
    # A second demo run never overwrites a database that holds contacts.
    code, out, err = run("demo", "--db", str(db_path), "--no-open")
    assert code == 0 and "left as it is" in err
    assert len(json.loads(run("contacts", "list", "--db", str(db_path), "--json")[1])) == 40


def test_demo_is_deterministic(tmp_path: Path) -> None:
    outs = []
    for name in ("a.db", "b.db"):
        run("demo", "--db", str(tmp_path / name), "--no-open", "--contacts", "30")
        rows = json.loads(run("contacts", "list", "--db", str(tmp_path / name), "--json")[1])
        outs.append([(r["first_name"], r["last_name"], r["email"], r["tags"]) for r in rows])
    assert outs[0] == outs[1]


def test_contact_add_show_and_canonical_flow(db_path: Path) -> None:
    (db_path.parent / "config.toml").write_text('locale = "it_IT"\n')  # amounts typed the Italian way
    code, out, err = run(
        "contacts",
        "add",
        "--first-name",
        "Giulia",
        "--last-name",
        "Conti",
        "--email",
        "giulia@example.it",
        "--phone",
        "333 1234567",
        "--source",
        "Form",
        "--tag",
        "Lead",
        "--db",
        str(db_path),
        "--json",
    )
    assert code == 0, err
    contact = json.loads(out)
    assert contact["phone"] == "+393331234567" and contact["tags"] == ["Lead"]
    code, out, err = run(
        "opportunities",
        "add",
        "--contact",
        str(contact["id"]),
        "--pipeline",
        "Vendite Coaching",
        "--title",
        "Percorso 3 mesi",
        "--value",
        "1.500,00",
        "--db",
        str(db_path),
        "--json",
    )
    assert code == 0, err
    opp = json.loads(out)
    assert (opp["stage"], opp["value"], opp["currency"]) == ("Nuovo contatto", 1500.0, "EUR")
    for stage in ("Proposta inviata", "Contratto vinto"):
        assert run("opportunities", "move", str(opp["id"]), "--stage", stage, "--db", str(db_path))[0] == 0
    code, out, _ = run("opportunities", "status", str(opp["id"]), "won", "--db", str(db_path), "--json")
    assert json.loads(out)["status"] == "won"
    code, out, _ = run("contacts", "show", str(contact["id"]), "--db", str(db_path), "--json")
    shown = json.loads(out)
    assert [o["title"] for o in shown["opportunities"]] == ["Percorso 3 mesi"]
    # The seed rule (Won ⇒ tag "Cliente attivo") ran in-process after the CLI's status change.
    assert [e["kind"] for e in shown["timeline"]][:4] == ["automation", "status_change", "stage_change", "stage_change"]
    assert "Cliente attivo" in shown["tags"]
    assert all({"kind", "at", "text"} <= set(e) for e in shown["timeline"])
    code, out, _ = run("opportunities", "list", "--pipeline", "Vendite Coaching", "--db", str(db_path), "--json")
    assert {"id", "title", "contact_id", "pipeline", "stage", "status", "value", "currency"} <= set(json.loads(out)[0])


def test_pipelines_list_json(db_path: Path) -> None:
    run("contacts", "add", "-f", "X", "--db", str(db_path))
    code, out, _ = run("pipelines", "list", "--db", str(db_path), "--json")
    [p] = json.loads(out)
    assert [s["name"] for s in p["stages"]] == ["Nuovo contatto", "Proposta inviata", "Contratto vinto"]


def test_errors_are_one_line_without_traceback(db_path: Path, tmp_path: Path) -> None:
    run("contacts", "add", "-f", "X", "--db", str(db_path))
    cases = [
        ("contacts", "show", "999", "--db", str(db_path)),
        ("contacts", "add", "-f", "X", "--email", "bad@", "--db", str(db_path)),
        ("contacts", "list", "--db", str(tmp_path / "missing.db")),
        ("opportunities", "status", "1", "maybe", "--db", str(db_path)),
    ]
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 100)
    cases.append(("contacts", "list", "--db", str(corrupt)))
    for args in cases:
        code, out, err = run(*args)
        assert code == 1, args
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err and err.startswith("Error: ")


def test_json_output_is_pure(db_path: Path) -> None:
    code, out, _ = run("contacts", "add", "-f", "[bold]Mario[/]", "--db", str(db_path), "--json")
    assert json.loads(out)["first_name"] == "[bold]Mario[/]"


def test_root_db_option_reaches_sub_commands(db_path: Path) -> None:
    code, _, err = run("--db", str(db_path), "contacts", "add", "-f", "Root")
    assert code == 0, err
    code, out, _ = run("--db", str(db_path), "contacts", "list", "--json")
    assert [r["first_name"] for r in json.loads(out)] == ["Root"]
