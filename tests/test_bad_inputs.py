"""Issue 14's battery: every bad input gets one clear line, a non-zero exit and no traceback, and leaves the
database and every existing file byte-identical.

Each group reuses one database (a refused command must not change it: that is what is asserted), the CLI runs
in-process through typer's CliRunner, and a few real subprocesses check the exit status and stderr as a shell
sees them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import Store

runner = CliRunner()
HUGE = str(2**63)
HUGER = str(2**64 + 5)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database (a contact, a deal, the seed rule), an input CSV and an existing export in one dir."""
    root = tmp_path_factory.mktemp("bad")
    store = Store.open(root / "crm.db")
    contact = store.create_contact(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    store.create_opportunity(contact.id or 0, "Percorso", "Vendite Coaching", value_minor=150000)
    store.close()
    (root / "in.csv").write_text("First Name,Email\nBea,bea@example.com\nNobody,not-an-email\n", encoding="utf-8")
    (root / "existing.csv").write_text("keep me\n", encoding="utf-8")
    (root / "report.csv").write_text("old report\n", encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under root except SQLite's -shm (shared memory that readers touch)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm") and not p.name.endswith(".log")
    }


def invoke(root: Path, args: list[str]) -> tuple[int, str, str]:
    expanded = [a.replace("{root}", str(root)) for a in args]
    result = runner.invoke(app, [*expanded, "--db", str(root / "crm.db")] if "--db" not in expanded else expanded)
    return result.exit_code, result.stdout, result.stderr


def assert_refused(root: Path, args: list[str], expect: str) -> None:
    before = snapshot(root)
    code, out, err = invoke(root, args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0, (args, out, err)
    assert len(lines) == 1, (args, err)
    assert "Traceback" not in err + out and lines[0].startswith("Error: "), err
    assert expect.lower() in lines[0].lower(), (expect, lines[0])
    assert snapshot(root) == before, args


# --- ids -------------------------------------------------------------------------------------------------
ID_CASES = [
    (["contacts", "show", HUGE], f"no contact {HUGE}"),
    (["contacts", "show", HUGER], f"no contact {HUGER}"),
    (["contacts", "show", "999999"], "no contact with id 999999"),
    (["contacts", "show", "0"], "no contact"),
    (["contacts", "edit", HUGE, "--first-name", "X"], f"no contact {HUGE}"),
    (["contacts", "edit", "999999", "--first-name", "X"], "no contact"),
    (["contacts", "delete", HUGE], f"no contact {HUGE}"),
    (["contacts", "restore", HUGE], f"no contact {HUGE}"),
    (["contacts", "tag", HUGE, "vip"], f"no contact {HUGE}"),
    (["contacts", "note", HUGE, "hello"], f"no contact {HUGE}"),
    (["contacts", "note", "1", "hello", "--opportunity", HUGE], f"no opportunity {HUGE}"),
    (["contacts", "list", "--limit", HUGE], "limit"),
    (["opportunities", "show", HUGE], f"no opportunity {HUGE}"),
    (["opportunities", "show", "999999"], "no opportunity"),
    (["opportunities", "move", HUGE, "--stage", "Proposta inviata"], f"no opportunity {HUGE}"),
    (["opportunities", "status", HUGE, "won"], f"no opportunity {HUGE}"),
    (["opportunities", "add", "--contact", HUGE, "--pipeline", "Vendite Coaching", "--title", "T"], "no contact"),
    (["opportunities", "add", "--contact", "999999", "--pipeline", "Vendite Coaching", "--title", "T"], "no contact"),
    (["automations", "show", HUGE], f"no automation rule {HUGE}"),
    (["automations", "enable", HUGE], f"no automation rule {HUGE}"),
    (["automations", "delete", "999999"], "no automation rule"),
    (["automations", "log", "--rule", HUGE], f"no automation rule {HUGE}"),
    (["automations", "sequences", "enroll", HUGE, "x"], f"no contact {HUGE}"),
    (["import", "--undo", HUGE], f"no import batch {HUGE}"),
    (["pipelines", "stages", "move", "Vendite Coaching", "Nuovo contatto", HUGE], "position"),
]


@pytest.mark.parametrize(("args", "expect"), ID_CASES, ids=[" ".join(a[:3]) for a, _ in ID_CASES])
def test_unknown_and_huge_ids(world: Path, args: list[str], expect: str) -> None:
    assert_refused(world, args, expect)


# --- amounts, currencies, rule filters ------------------------------------------------------------------
BAD_AMOUNTS = ["15O0", "1e3", "1E6", "0x10", "0.001", "1,234.567", "1e309", HUGE, "abc", "€", "--5", "1.2.3,4,5"]
ADD_DEAL = ["opportunities", "add", "--contact", "1", "--pipeline", "Vendite Coaching", "--title", "T"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_amounts(world: Path, amount: str) -> None:
    assert_refused(world, [*ADD_DEAL, f"--value={amount}"], "amount")


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_amounts_in_rule_filters(world: Path, amount: str) -> None:
    args = ["automations", "add", "--name", "n", "--trigger", "opportunity.created", "--filter", f"value_gte={amount}"]
    assert_refused(world, args, "amount")


@pytest.mark.parametrize(("currency", "expect"), [("XXXX", "currency"), ("", "currency"), ("E1R", "currency")])
def test_bad_currencies(world: Path, currency: str, expect: str) -> None:
    assert_refused(world, [*ADD_DEAL, "--value", "10", "--currency", currency], expect)


def test_negative_amount(world: Path) -> None:
    assert_refused(world, [*ADD_DEAL, "--value=-5"], "negative")


# --- identity and stages ----------------------------------------------------------------------------------
IDENTITY_CASES = [
    (["contacts", "add", "--first-name", "\u200b\u200b", "--source", ""], "needs a name"),
    (["contacts", "add", "--first-name", "   ", "--last-name", "\u2060"], "needs a name"),
    (["contacts", "add", "--first-name", "\u202e"], "needs a name"),
    (["contacts", "add", "--email", "not-an-email"], "invalid email"),
    (["contacts", "add", "--phone", "12"], "invalid phone"),
    (["contacts", "edit", "1", "-f", "", "-l", "", "--email", "", "--company", ""], "needs a name"),
    (["contacts", "edit", "1", "-f", "\u200b", "-l", " ", "--email", ""], "needs a name"),
    (["pipelines", "add", "Vuota"], "at least one stage"),
]


@pytest.mark.parametrize(("args", "expect"), IDENTITY_CASES, ids=[str(i) for i in range(len(IDENTITY_CASES))])
def test_identity_and_pipeline_sanity(world: Path, args: list[str], expect: str) -> None:
    assert_refused(world, args, expect)


def test_last_stage_cannot_be_deleted(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "one.db")
    store.create_pipeline("Solo", ["Unico"])
    store.close()
    assert_refused(tmp_path, ["pipelines", "stages", "delete", "Solo", "Unico", "--db", str(tmp_path / "one.db")],
                   "at least one stage")  # fmt: skip


# --- rule files ---------------------------------------------------------------------------------------------
RULE = 'name = "r"\ntrigger = "opportunity.created"\n'
RULE_FILES = [
    ("enabled.toml", RULE + 'enabled = "false"\n', "enabled"),
    ("enabled-no.toml", RULE + 'enabled = "no"\n', "enabled"),
    ("import.toml", RULE + 'fire_on_import = "false"\n', "fire_on_import"),
    ("tag.toml", RULE + '[[actions]]\ntype = "add_tag"\ntag = ["a", "b"]\n', "actions[0].tag"),
    ("tagnum.toml", RULE + '[[actions]]\ntype = "add_tag"\ntag = 5\n', "tag must be text"),
    ("days.toml", RULE + '[[actions]]\ntype = "create_task"\ntitle = "t"\ndue_in_days = 1.5\n', "due_in_days"),
    ("inf.toml", RULE + "[filters]\nvalue_gte = inf\n", "value_gte"),
    ("big.toml", RULE + "[filters]\nvalue_gte = 1e309\n", "value_gte"),
    ("name.toml", 'name = 5\ntrigger = "opportunity.created"\n', "name"),
    ("unknown.toml", RULE + "colour = 1\n", "colour"),
    ("second.toml", f"[[rules]]\n{RULE}\n[[rules]]\n{RULE}enabled = 1\n", "rules[1].enabled"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested"),
    ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000, "nested"),
    ("broken.toml", "name = \n", "not valid"),
    ("notutf8.toml", "name = '\udcff'", "cannot read"),
    ("list.json", '["a"]', "rules[0]"),
]


@pytest.mark.parametrize(("name", "text", "expect"), RULE_FILES, ids=[n for n, _, _ in RULE_FILES])
def test_bad_rule_files(world: Path, name: str, text: str, expect: str) -> None:
    path = world / "rules" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert_refused(world, ["automations", "add", "--file", str(path)], expect)


# --- output targets -------------------------------------------------------------------------------------------
TARGETS = [
    (["export", "{root}/crm.db"], "refusing to overwrite"),
    (["export", "{root}/crm.db-wal"], "refusing to overwrite"),
    (["export", "{root}/crm.db-shm"], "refusing to overwrite"),
    (["export", "{root}"], "is a directory"),
    (["export", "{root}/nowhere/x.csv"], "no directory"),
    (["export", "{root}/existing.csv", "--list", "nope"], "nope"),
    (["export", "{root}/existing.csv", "--delimiter", ";;"], "one character"),
    (["import", "{root}/in.csv", "--report", "{root}/in.csv"], "refusing to overwrite"),
    (["import", "{root}/in.csv", "--report", "{root}/crm.db"], "refusing to overwrite"),
    (["import", "{root}/in.csv", "--report", "{root}/crm.db-wal"], "refusing to overwrite"),
    (["import", "{root}/in.csv", "--report", "{root}"], "is a directory"),
    (["import", "{root}/missing.csv", "--report", "{root}/report.csv"], "missing.csv"),
]


@pytest.mark.parametrize(("args", "expect"), TARGETS, ids=[" ".join(a).replace("{root}", "") for a, _ in TARGETS])
def test_output_targets(world: Path, args: list[str], expect: str) -> None:
    assert_refused(world, args, expect)


def test_export_over_the_database_by_a_relative_or_linked_path(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = world / "link.db"
    if not link.exists():
        link.symlink_to(world / "crm.db")
    monkeypatch.chdir(world)
    assert_refused(world, ["export", "crm.db"], "refusing to overwrite")
    assert_refused(world, ["export", str(link)], "refusing to overwrite")


def test_a_good_export_replaces_the_file_and_keeps_its_mode(world: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    code, _out, err = invoke(world, ["export", str(target)])
    assert code == 0, err
    assert "Ada" in target.read_text(encoding="utf-8-sig") and (target.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left behind


def test_no_rejects_leave_an_existing_report_alone(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("First Name\nBea\n", encoding="utf-8")
    (tmp_path / "report.csv").write_text("old report\n", encoding="utf-8")
    code, _out, err = invoke(tmp_path, ["import", str(tmp_path / "ok.csv"), "--report", str(tmp_path / "report.csv")])
    assert code == 0, err
    assert (tmp_path / "report.csv").read_text() == "old report\n"


# --- broken databases ---------------------------------------------------------------------------------------------
@pytest.fixture
def read_only(world: Path) -> Iterator[None]:
    """Every SQLite connection refuses writes (PRAGMA query_only): what a read-only file or mount does, also for
    root (the CI user), whom file modes do not stop."""
    from sqlalchemy import Engine, event

    def on_connect(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute("PRAGMA query_only=ON")  # type: ignore[attr-defined]

    event.listen(Engine, "connect", on_connect)
    yield
    event.remove(Engine, "connect", on_connect)


WRITES = [
    ["contacts", "add", "--first-name", "Segreto", "--email", "segreto@example.com"],
    ["contacts", "edit", "1", "--first-name", "Riservato"],
    ["contacts", "tag", "1", "vip"],
    [*ADD_DEAL, "--value", "10"],
    ["automations", "add", "--name", "n", "--trigger", "opportunity.created"],
    ["import", "{root}/in.csv"],
]


@pytest.mark.parametrize("args", WRITES, ids=[" ".join(a[:2]) for a in WRITES])
def test_writes_to_a_read_only_database(world: Path, read_only: None, args: list[str]) -> None:
    before = snapshot(world)
    code, out, err = invoke(world, args)
    assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "readonly" in err or "read-only" in err or "read only" in err, err
    assert "Segreto" not in err and "segreto@" not in err and "Riservato" not in err  # no personal data
    assert snapshot(world) == before


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corrupt")
    store = Store.open(root / "crm.db")
    with store.write():  # one transaction: one fsync
        for i in range(300):
            store.create_contact(first_name=f"P{i}", last_name="x" * 200)
    store.close()
    data = bytearray((root / "crm.db").read_bytes())
    page = 4096
    for n in range(2, len(data) // page):  # every page but the schema's: garbage where the b-trees were
        data[n * page : n * page + 64] = b"\xa5" * 64
    (root / "crm.db").write_bytes(bytes(data))
    return root


@pytest.mark.parametrize(
    "args", [["contacts", "list"], ["contacts", "show", "3"], ["contacts", "add", "--first-name", "Z"], ["export", "-"]]
)
def test_a_corrupt_page(corrupt: Path, args: list[str]) -> None:
    assert_refused(corrupt, args, "")


# --- configs -------------------------------------------------------------------------------------------------------
BAD_CONFIGS = [
    ("region = 5\n", "region"),
    ("locale = 7\n", "locale"),
    ('locale = "xx_YY_ZZ"\n', "locale"),
    ('keymap = "x"\n', "keymap"),
    ("[keymap]\n'app.quit' = 5\n", "keymap.app.quit"),
    ('currency = "XXXX"\n', "currency"),
    ('region = "ZZ"\n', "region"),
    ("owner = ['a']\n", "owner"),
    ("theme = 1\n", "theme"),
    ("this is not toml", "not valid TOML"),
    ("x = " + "[" * 100_000 + "]" * 100_000, "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key"), BAD_CONFIGS, ids=[k for _, k in BAD_CONFIGS])
def test_a_bad_config_value_is_reported_and_ignored(world: Path, tmp_path: Path, text: str, key: str) -> None:
    config = Path(os.environ["KOACHIFY_CONFIG"])
    config.write_text(text)
    config.chmod(0o600)
    before = snapshot(world)
    code, out, err = invoke(world, ["contacts", "list", "--json"])
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Warning: ") and key in lines[0], err
    assert "Ada" in out
    assert snapshot(world) == before and config.read_text() == text


# --- the real process: exit status and stderr as a shell sees them -------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["contacts", "show", HUGE], f"no contact {HUGE}"),
        ([*ADD_DEAL, "--value", "1e309"], "amount"),
        (["export", "{root}/crm.db"], "refusing"),
    ],
    ids=["huge-id", "amount", "export-over-db"],
)
def test_in_a_real_process(world: Path, args: list[str], expect: str) -> None:
    before = snapshot(world)
    argv = [a.replace("{root}", str(world)) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "koachify_tui", *argv, "--db", str(world / "crm.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KOACHIFY_LOG_DIR": str(world.parent / "logs")},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr and expect in proc.stderr, proc.stderr
    assert snapshot(world) == before


def test_debug_shows_the_traceback_and_the_log_keeps_it(world: Path) -> None:
    log_dir = Path(os.environ["KOACHIFY_LOG_DIR"])
    proc = subprocess.run(
        [sys.executable, "-m", "koachify_tui", "--debug", "contacts", "show", "999999", "--db", str(world / "crm.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    log = log_dir / "koachify.log"
    assert "NotFound" in log.read_text() and (log.stat().st_mode & 0o777) == 0o600
