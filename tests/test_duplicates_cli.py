"""`koachify duplicates list|ignore`, `contacts add --allow-duplicate` and the import's duplicates count."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import Store

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def seeded(db_path: Path) -> tuple[int, int, int]:
    store = Store.open(db_path)
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="Mario@Example.it")
    b = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@example.it", phone="347 1234567")
    c = store.create_contact(first_name="Anna", last_name="Verdi", phone="+39 347 123 4567")
    store.close()
    return a.id or 0, b.id or 0, c.id or 0


def test_list_json_and_human(db_path: Path) -> None:
    a, b, c = seeded(db_path)
    code, out, err = run("duplicates", "list", "--db", str(db_path), "--json")
    assert code == 0, err
    groups = json.loads(out)
    assert [g["contact_ids"] for g in groups] == [[a, b, c]]
    assert groups[0]["strong"] is True
    assert {r["kind"] for r in groups[0]["reasons"]} >= {"email", "phone"}
    assert groups[0]["contacts"][0] == {"id": a, "name": "Mario Rossi"}
    code, out, err = run("duplicates", "list", "--db", str(db_path))
    assert code == 0
    assert f"#{a} Mario Rossi" in out and "same email mario@example.it" in out and "same phone +39 347 123 4567" in out
    assert "1 group of possible duplicates" in err


def test_ignore_then_list_and_bad_ids(db_path: Path) -> None:
    a, b, c = seeded(db_path)
    code, out, err = run("duplicates", "ignore", str(c), str(b), "--db", str(db_path))
    assert (code, out.strip()) == (0, f"#{b} and #{c} are marked as not a duplicate"), err
    code, out, _err = run("duplicates", "ignore", str(b), str(c), "--db", str(db_path), "--json")
    assert json.loads(out) == {"contact_ids": [b, c], "ignored": True, "already": True}
    code, out, _err = run("duplicates", "list", "--db", str(db_path), "--json")
    assert [g["contact_ids"] for g in json.loads(out)] == [[a, b]]
    for args, message in (
        ((str(a), "999"), "no contact with id 999"),
        ((str(a), str(a)), "give two different ids"),
    ):
        code, out, err = run("duplicates", "ignore", *args, "--db", str(db_path))
        assert code == 1 and out == ""
        assert len(err.strip().splitlines()) == 1 and message in err
    code, _out, err = run("duplicates", "list", "--limit", "0", "--db", str(db_path))
    assert code == 1 and "--limit" in err


def test_contacts_add_refuses_a_known_email_or_phone(db_path: Path) -> None:
    a, b, _c = seeded(db_path)
    code, out, err = run("contacts", "add", "-f", "Mario", "--email", "MARIO@example.it", "--db", str(db_path))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"Error: email already belongs to #{a} Mario Rossi, #{b} Mario Rossi; use --allow-duplicate to add anyway"
    )
    code, _out, err = run("contacts", "add", "-f", "Gino", "--phone", "3471234567", "--db", str(db_path))
    assert code == 1 and "phone already belongs to" in err
    store = Store.open(db_path)
    assert store.count_contacts() == 3
    store.close()
    code, out, err = run("contacts", "add", "-f", "Mario", "--email", "mario@example.it", "--allow-duplicate",
                         "--db", str(db_path), "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["email"] == "mario@example.it"


def test_import_counts_possible_duplicates(db_path: Path, tmp_path: Path) -> None:
    store = Store.open(db_path)
    store.create_contact(first_name="Giulia", last_name="Verdi", company="Studio Verdi", email="g@gmail.com")
    store.close()
    csv = tmp_path / "in.csv"
    csv.write_text("First Name,Last Name,Company,Email\nGiulià,VERDI,studio verdi,giulia@libero.it\n", encoding="utf-8")
    code, out, err = run("import", str(csv), "--db", str(db_path), "--json")
    assert code == 0, err
    assert json.loads(out)["possible_duplicates"] == 1
    csv.write_text("First Name,Last Name,Company,Email\nPaolo,Neri,,p@x.it\n", encoding="utf-8")
    code, out, err = run("import", str(csv), "--db", str(db_path))
    assert code == 0 and "possible duplicate" not in err
    code, out, err = run("import", str(csv), "--db", str(db_path), "--dry-run", "--json")
    assert json.loads(out)["possible_duplicates"] is None


def test_list_batch_is_the_imports_count(db_path: Path, tmp_path: Path) -> None:
    store = Store.open(db_path)
    giulia = store.create_contact(first_name="Giulia", last_name="Verdi", company="Studio Verdi", email="g@gmail.com")
    store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it")
    store.create_contact(first_name="Mario", last_name="Rossi", email="MARIO@x.it")  # a group outside the batch
    store.close()
    csv = tmp_path / "in.csv"
    csv.write_text("First Name,Last Name,Company,Email\nGiulià,VERDI,studio verdi,giulia@libero.it\n", encoding="utf-8")
    code, out, err = run("import", str(csv), "--db", str(db_path), "--json")
    assert code == 0, err
    data = json.loads(out)
    code, out, err = run("duplicates", "list", "--batch", str(data["batch_id"]), "--db", str(db_path), "--json")
    assert code == 0, err
    groups = json.loads(out)
    assert len(groups) == data["possible_duplicates"] == 1 and groups[0]["contact_ids"][0] == giulia.id
    csv.write_text("First Name,Last Name,Company,Email\nGiulia,Verdi,Studio Verdi,gv@libero.it\n", encoding="utf-8")
    code, _out, err = run("import", str(csv), "--db", str(db_path))
    assert code == 0 and "see `koachify duplicates list --batch " in err
    for bad in ("999", str(2**70)):
        code, out, err = run("duplicates", "list", "--batch", bad, "--db", str(db_path))
        assert code == 1 and out == "" and err.strip() == f"Error: no import batch {bad}"
