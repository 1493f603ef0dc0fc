"""The field-level change log and the undo built on it (import undo, one-action undo), the event contract of
imports vs hand edits, and the boundary that only the store writes."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from koachify_tui.automations import install
from koachify_tui.store import Store
from koachify_tui.store.importer import list_batches, run_import, undo_batch
from koachify_tui.store.timeline import KIND_GROUPS

HEADER = "First Name,Last Name,Email,Phone,Tags,Company,Notes\n"
SRC = Path(__file__).resolve().parents[1] / "src" / "koachify_tui"


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


@pytest.fixture
def write(tmp_path: Path):  # noqa: ANN201
    def _write(body: str, name: str = "in.csv") -> Path:
        path = tmp_path / name
        path.write_text(HEADER + body, encoding="utf-8")
        return path

    return _write


# --- import undo ----------------------------------------------------------------------------------------


def test_undo_keeps_the_users_later_values_and_reverts_the_rest(store: Store, write) -> None:  # noqa: ANN001
    """(a) A contact the import merged into, then edited by the user: the user's values survive the undo,
    the fields the import wrote and nobody touched since go back; the summary says what stayed and why."""
    pre = store.create_contact(first_name="Pre", last_name="Existing", email="pre@u.example").id or 0
    store.define_field("contact", "Notes", key="notes")
    batch = run_import(store, write(",,pre@u.example,347 5551234,Imported,Imported Co,from file\n")).batch_id or 0
    assert store.contact_row(pre).company == "Imported Co"
    store.update_contact(pre, {"company": "Typed by user", "phone": "+39 333 9999999"}, origin="cli")
    result = undo_batch(store, batch)
    row = store.contact_row(pre)
    assert (row.company, row.phone_e164) == ("Typed by user", "+393339999999")
    assert row.tags == () and store.field_values("contact", pre) == {}  # the import's untouched changes: reverted
    kept = {(k.contact_id, k.field) for k in result.changes_kept}
    assert kept == {(pre, "company"), (pre, "phone")}
    assert all("Typed by user" in k.reason or "9999999" in k.reason for k in result.changes_kept)
    assert not result.complete and result.as_dict()["kept_changes"]
    assert list_batches(store)[0].undone_at is None  # partly undone: can run again


def test_created_contact_with_only_a_custom_field_edit_is_kept(store: Store, write) -> None:  # noqa: ANN001
    """(b) Any later change keeps a contact the batch created, a custom value included."""
    store.define_field("contact", "Goal", key="goal")
    batch = run_import(store, write("Anna,,anna@x.it,,,,\nBruno,,bruno@x.it,,,,\n")).batch_id or 0
    [anna] = store.find_contacts_by_email("anna@x.it")
    store.set_field_value("contact", anna, "goal", "run a marathon", origin="tui")
    result = undo_batch(store, batch)
    assert (result.removed, result.kept) == (1, 1)
    assert store.field_values("contact", anna) == {"goal": "run a marathon"}
    assert store.find_contacts_by_email("bruno@x.it") == []
    assert result.contacts_kept[0][0] == anna and "custom.goal" in result.contacts_kept[0][1]


def test_fire_on_import_rule_effects_are_undone_with_the_batch(store: Store, write) -> None:  # noqa: ANN001
    """(c) A fire_on_import rule tagged the imported contacts and created a task: the undo removes the contacts,
    their tags and the task (it used to remove nothing and still mark the batch undone)."""
    install(store, hook_loader=list)
    store.create_rule(
        "Welcome", "contact.created", actions=[{"type": "add_tag", "tag": "Welcome"}, {"type": "create_task",
        "title": "Call"}], fire_on_import=True,
    )  # fmt: skip
    batch = run_import(store, write("".join(f"P{i},,p{i}@x.it,,,,\n" for i in range(5)))).batch_id or 0
    ids = [store.find_contacts_by_email(f"p{i}@x.it")[0] for i in range(5)]
    assert all(store.contact_tags(cid) == ["Welcome"] for cid in ids)
    assert len(store.list_tasks(contact_id=ids[0])) == 1
    result = undo_batch(store, batch)
    assert (result.removed, result.kept) == (5, 0) and result.complete
    assert store.count_contacts() == 0 and dict(store.list_tags()).get("Welcome", 0) == 0
    assert list_batches(store)[0].undone_at is not None


def test_partly_undone_batch_completes_once_the_blocking_edit_is_gone(store: Store, write) -> None:  # noqa: ANN001
    """(d) Undo, blocked by a later edit; the user puts the import's value back; a second undo completes."""
    pre = store.create_contact(first_name="Pre", email="pre@u.example").id or 0
    batch = run_import(store, write(",,pre@u.example,,,Imported Co,\nNew,,new@x.it,,,,\n")).batch_id or 0
    store.update_contact(pre, {"company": "Mine"})
    first = undo_batch(store, batch)
    assert (first.removed, first.complete) == (1, False)
    assert store.contact_row(pre).company == "Mine"
    store.update_contact(pre, {"company": "Imported Co"})  # the blocking edit reverted
    second = undo_batch(store, batch)
    assert second.complete and second.reverted == 1
    assert store.contact_row(pre).company == ""
    assert list_batches(store)[0].undone_at is not None


def test_undo_of_an_undo_is_refused_and_every_undo_is_logged(store: Store, write) -> None:  # noqa: ANN001
    """(e) A completed undo cannot run again (clear error, never silent); the undo itself is in the log."""
    pre = store.create_contact(first_name="Pre", email="pre@u.example").id or 0
    batch = run_import(store, write(",,pre@u.example,,,Imported Co,\n")).batch_id or 0
    undo_batch(store, batch)
    with pytest.raises(Exception, match="already undone"):
        undo_batch(store, batch)
    undo_rows = [c for c in store.changes(contact_id=pre) if c.cause == "import_undo"]
    assert ("company", "Imported Co", "", batch) in [(c.field, c.old, c.new, c.cause_id) for c in undo_rows]
    assert any(c.entity == "import_batch" and c.field == "undo" for c in store.changes(entity="import_batch"))


def test_one_action_undo_never_overwrites_a_later_change(store: Store) -> None:
    """The TUI's `u` reverts one action through the same log: a field changed again since keeps its value."""
    cid = store.create_contact(first_name="Anna", company="A").id or 0
    store.update_contact(cid, {"company": "B", "owner": "me"}, origin="tui")
    txn = store.last_txn()
    assert txn is not None
    store.update_contact(cid, {"owner": "Bruno"}, origin="cli")  # another process, afterwards
    outcome = store.undo_changes(txn, origin="tui")
    row = store.contact_row(cid)
    assert (row.company, row.owner) == ("A", "Bruno")
    assert outcome.reverted == 1 and [k.field for k in outcome.kept] == ["owner"]
    assert store.undo_changes(txn).reverted == 0  # nothing left to revert: never silent about what stays


def test_stage_move_status_delete_and_tag_undo(store: Store) -> None:
    cid = store.create_contact(first_name="Anna").id or 0
    pipeline = store.get_pipeline("Vendite Coaching")
    opp = store.create_opportunity(cid, "Percorso", pipeline.id).id or 0
    store.move_opportunity(opp, pipeline.stages[1].id, origin="tui")
    store.undo_changes(store.last_txn() or "")
    assert store.get_opportunity(opp).stage_id == pipeline.stages[0].id
    store.set_status(opp, "lost", reason="price", origin="tui")
    store.undo_changes(store.last_txn() or "")
    assert (store.get_opportunity(opp).status, store.get_opportunity(opp).lost_reason) == ("open", "")
    store.set_contact_tags(cid, add=["vip"], origin="tui")
    store.undo_changes(store.last_txn() or "")
    assert store.contact_tags(cid) == []
    store.delete_contact(cid, origin="tui")
    store.undo_changes(store.last_txn() or "")
    assert store.get_contact(cid).deleted_at is None


# --- the log itself -------------------------------------------------------------------------------------


def test_each_origin_is_logged_with_its_cause(store: Store, write) -> None:  # noqa: ANN001
    install(store, hook_loader=list)
    rule = store.create_rule("Tag VIPs", "tag.added", filters={"tag": "vip"}, actions=[{"type": "set_owner",
                             "owner": "Coach"}])  # fmt: skip
    cid = store.create_contact(first_name="Anna", email="anna@x.it", origin="tui").id or 0
    store.update_contact(cid, {"company": "Acme"}, origin="cli")
    store.add_tag(cid, "vip", origin="api")  # the rule sets the owner: origin automation, cause the rule
    batch = run_import(store, write(",,anna@x.it,333 1234567,,,\n")).batch_id or 0
    by_field = {(c.field, c.origin): c for c in store.changes(contact_id=cid)}
    assert by_field[("created", "tui")].cause == "user"
    assert by_field[("company", "cli")].new == "Acme"
    assert by_field[("tag", "api")].new == "vip"
    owner = by_field[("owner", "automation")]
    assert (owner.cause, owner.cause_id, owner.new) == ("rule", rule.id, "Coach")
    phone = by_field[("phone", "import")]
    assert (phone.cause, phone.cause_id, phone.batch_id, phone.old) == ("import", batch, batch, None)


def test_timeline_shows_edits_under_the_changes_filter(store: Store) -> None:
    cid = store.create_contact(first_name="Anna", company="Acme").id or 0
    store.update_contact(cid, {"company": "Beta"}, origin="tui")
    store.add_note("hello", contact_id=cid)
    changes = [i.text for i in store.timeline(cid, kinds=["change"])]
    assert "Company: Acme → Beta" in changes
    assert all(i.kind == "change" for i in store.timeline(cid, kinds=["change"]))
    grouped = [i.text for i in store.timeline(cid, kinds=KIND_GROUPS["changes"])]  # what the "changes" filter asks
    assert "Company: Acme → Beta" in grouped and "hello" not in grouped


def test_a_form_edit_does_not_revert_another_process_change(tmp_path: Path) -> None:
    """Two Store instances on one file: B changes the company while A's form is open on the name; A's save
    sends only the field its user edited, so B's company stays."""
    a, b = Store.open(tmp_path / "crm.db"), Store.open(tmp_path / "crm.db")
    try:
        cid = a.create_contact(first_name="Anna", company="Old").id or 0
        loaded = a.get_contact(cid)
        b.update_contact(cid, {"company": "New from B"})
        edited = {"first_name": "Annalisa", "company": loaded.company}  # the form's values
        changes = {k: v for k, v in edited.items() if v != getattr(loaded, k)}
        a.update_contact(cid, changes)
        row = a.contact_row(cid)
        assert (row.first_name, row.company) == ("Annalisa", "New from B")
    finally:
        a.close()
        b.close()


async def test_the_edit_form_sends_only_the_edited_field(tmp_path: Path) -> None:
    """The TUI's edit form, open while another process (a second Store on the file) changes the company: saving
    the name the user edited leaves that company alone; `u` then reverts only the form's own change."""
    from textual.widgets import Input

    from koachify_tui.app import make_app
    from koachify_tui.config import Settings
    from koachify_tui.screens.contact_forms import ContactForm

    db = tmp_path / "crm.db"
    a, b = Store.open(db), Store.open(db)
    try:
        cid = a.create_contact(first_name="Anna", company="Old").id or 0
        app = make_app(Settings(db=str(db), locale="it_IT", path=None), a)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, ContactForm)
            b.update_contact(cid, {"company": "New from B"})
            app.screen.query_one("#in-first_name", Input).value = "Annalisa"
            await pilot.press("ctrl+s")
            await pilot.pause()
            await app.workers.wait_for_complete()
            row = a.contact_row(cid)
            assert (row.first_name, row.company) == ("Annalisa", "New from B")
            await pilot.press("u")
            await pilot.pause()
            await app.workers.wait_for_complete()
            row = a.contact_row(cid)
            assert (row.first_name, row.company) == ("Anna", "New from B")
    finally:
        a.close()
        b.close()


# --- one rule set: events of imports and of hand edits ----------------------------------------------------


@pytest.mark.parametrize("how", ["hand", "import"])
def test_tag_added_rule_with_fire_on_import_behaves_the_same(store: Store, write, how: str) -> None:  # noqa: ANN001
    install(store, hook_loader=list)
    store.create_rule("VIP task", "tag.added", filters={"tag": "vip"}, actions=[{"type": "create_task",
                      "title": "Call the VIP"}], fire_on_import=True)  # fmt: skip
    if how == "hand":
        cid = store.create_contact(first_name="Anna", email="anna@x.it", tags=["vip"]).id or 0
    else:
        run_import(store, write("Anna,,anna@x.it,,vip,,\n"))
        [cid] = store.find_contacts_by_email("anna@x.it")
    assert [t.title for t in store.list_tasks(contact_id=cid)] == ["Call the VIP"]


def test_tag_added_rule_without_fire_on_import_skips_imports(store: Store, write) -> None:  # noqa: ANN001
    install(store, hook_loader=list)
    store.create_rule("VIP task", "tag.added", filters={"tag": "vip"}, actions=[{"type": "create_task",
                      "title": "Call the VIP"}])  # fmt: skip
    run_import(store, write("Anna,,anna@x.it,,vip,,\n"))
    [cid] = store.find_contacts_by_email("anna@x.it")
    assert store.list_tasks(contact_id=cid) == []


# --- only the store writes ------------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["screens", "widgets", "commands", "automations"])
def test_only_the_store_writes(package: str) -> None:
    """No module outside store/ imports SQLAlchemy/SQLModel or opens `store.write()` (also an import-linter
    contract in pyproject.toml)."""
    offenders = []
    for path in sorted((SRC / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] in {"sqlalchemy", "sqlmodel"} for n in names):
                    offenders.append(f"{path.name}:{node.lineno} imports {names}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "write":
                target = ast.unparse(node.func.value)
                if target.endswith("store"):
                    offenders.append(f"{path.name}:{node.lineno} opens {target}.write()")
    assert offenders == []


# --- every public write emits its event after commit -----------------------------------------------------

WRITES = {
    "create_contact": (lambda st, w: st.create_contact(first_name="Zoe"), "ContactCreated"),
    "update_contact": (lambda st, w: st.update_contact(w["cid"], {"company": "X"}), "ContactUpdated"),
    "add_tag": (lambda st, w: st.add_tag(w["cid"], "vip"), "TagAdded"),
    "set_contact_tags": (lambda st, w: st.set_contact_tags(w["cid"], add=["a"]), "TagAdded"),
    "delete_contact": (lambda st, w: st.delete_contact(w["cid"]), "ContactDeleted"),
    "set_field_value": (lambda st, w: st.set_field_value("contact", w["cid"], "goal", "x"), "ContactUpdated"),
    "create_opportunity": (lambda st, w: st.create_opportunity(w["cid"], "D", w["pid"]), "OpportunityCreated"),
    "update_opportunity": (lambda st, w: st.update_opportunity(w["oid"], {"title": "T2"}), "OpportunityUpdated"),
    "move_opportunity": (lambda st, w: st.move_opportunity(w["oid"], w["stage2"]), "OpportunityStageChanged"),
    "set_status": (lambda st, w: st.set_status(w["oid"], "won"), "OpportunityStatusChanged"),
    "delete_opportunity": (lambda st, w: st.delete_opportunity(w["oid"]), "OpportunityDeleted"),
    "add_note": (lambda st, w: st.add_note("n", contact_id=w["cid"]), "NoteAdded"),
    "add_task": (lambda st, w: st.add_task("t", contact_id=w["cid"]), "TaskAdded"),
    "enroll": (lambda st, w: st.enroll(w["cid"], w["seq"]), "SequenceEnrolled"),
    "create_sequence": (lambda st, w: st.create_sequence("S2", [{"title": "x"}]), "SequenceChanged"),
}


@pytest.mark.parametrize("method", sorted(WRITES))
def test_every_public_write_emits_its_event_after_commit(tmp_path: Path, method: str) -> None:
    """The handler runs after the commit: a second Store on the file already sees the change's log row."""
    store, other = Store.open(tmp_path / "crm.db"), Store.open(tmp_path / "crm.db")
    try:
        store.define_field("contact", "Goal", key="goal")
        pipeline = store.get_pipeline("Vendite Coaching")
        cid = store.create_contact(first_name="Anna").id or 0
        oid = store.create_opportunity(cid, "Deal", pipeline.id).id or 0
        seq = store.create_sequence("S", [{"delay_days": 3, "title": "Call"}]).id
        w = {"cid": cid, "oid": oid, "pid": pipeline.id, "stage2": pipeline.stages[1].id, "seq": seq}
        call, event_name = WRITES[method]
        seen: list[tuple[str, int]] = []

        # What another process sees: the change log, or the sequences (definitions are not logged changes).
        def probe() -> int:
            return len(other.list_sequences()) if method == "create_sequence" else len(other.changes(limit=None))

        before = probe()
        store.subscribe(lambda e: seen.append((e.name, probe())))
        call(store, w)
        assert event_name in [name for name, _n in seen]
        assert all(n > before for name, n in seen if name == event_name)  # committed and logged before the event
    finally:
        store.close()
        other.close()
