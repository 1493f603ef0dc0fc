"""The automation engine's guarantees, through the store API (issue 6)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from koachify_tui.automations import Engine, install
from koachify_tui.store import InvalidValue, Store
from koachify_tui.store.events import OpportunityStatusChanged

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


@pytest.fixture
def engine(store: Store) -> Engine:
    return install(store, clock=lambda: NOW, hook_loader=list)


def contact(store: Store, name: str = "Anna") -> int:
    return store.create_contact(first_name=name, source="Form").id or 0


def deal(store: Store, contact_id: int, title: str = "Percorso", value_minor: int = 0) -> int:
    return store.create_opportunity(contact_id, title, "Vendite Coaching", value_minor=value_minor).id or 0


def seed_rule(store: Store) -> int:
    return next(r.id for r in store.list_rules() if r.name.startswith("Won")) or 0


def test_install_is_idempotent_per_store(store: Store, engine: Engine) -> None:
    assert install(store) is engine
    cid = contact(store)
    store.set_status(deal(store, cid), "won")
    assert len(store.list_runs()) == 1  # one engine, one run


def test_seed_rule_on_a_new_database_only(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "a.db")
    rules = s.list_rules()
    assert [(r.trigger, json.loads(r.filters_json)) for r in rules] == [
        ("opportunity.status_changed", {"to_status": "won", "pipeline": "Vendite Coaching"})
    ]
    s.create_contact(first_name="Anna")
    s.delete_rule(rules[0].id or 0)
    s.close()
    s = Store.open(tmp_path / "a.db")
    assert s.list_rules() == []  # a database in use does not get it back
    s.close()


def test_seed_scenario_end_to_end(store: Store, engine: Engine) -> None:
    cid = store.create_contact(first_name="Giulia", last_name="Neri", email="giulia@example.it", source="Form").id
    assert cid is not None
    oid = store.create_opportunity(cid, "Percorso 3 mesi", "Vendite Coaching").id or 0
    assert store.opportunity_row(oid).stage == "Nuovo contatto"
    store.move_opportunity(oid, "Proposta inviata")
    store.move_opportunity(oid, "Contratto vinto")
    store.set_status(oid, "won")

    assert "Cliente attivo" in store.contact_tags(cid)
    items = list(reversed(store.timeline(cid)))
    assert [(i.kind, i.text) for i in items if i.kind != "created"] == [
        ("stage_change", "Nuovo contatto → Proposta inviata"),
        ("stage_change", "Proposta inviata → Contratto vinto"),
        ("status_change", "open → won"),
        ("automation", "Automation “Won ⇒ tag Cliente attivo”: contact tagged “Cliente attivo”"),
    ]
    run = store.list_runs()[0]
    assert run.ok and run.contact_id == cid and run.opportunity_id == oid
    assert json.loads(run.event_json)["event"] == "OpportunityStatusChanged"
    rule = store.get_rule(seed_rule(store))
    assert rule.run_count == 1 and rule.last_run_at is not None and rule.last_error == ""


def test_disabled_rule_does_not_run(store: Store, engine: Engine) -> None:
    store.set_rule_enabled(seed_rule(store), False)
    cid = contact(store)
    store.set_status(deal(store, cid), "won")
    assert store.contact_tags(cid) == [] and store.list_runs() == []


def test_failing_rule_never_rolls_back_the_trigger(store: Store, engine: Engine) -> None:
    store.define_field("contact", "missing", key="missing", type="number")
    rule = store.create_rule(
        "Won ⇒ field",
        "opportunity.status_changed",
        filters={"to_status": "won"},
        actions=[{"type": "set_field", "key": "missing", "value": 1}],
    )
    store.delete_field("contact", "missing")  # deleted after the rule was saved
    cid = contact(store)
    oid = deal(store, cid)
    store.set_status(oid, "won")

    assert store.get_opportunity(oid).status == "won"  # the change is committed
    assert "Cliente attivo" in store.contact_tags(cid)  # other rules still ran
    failed = store.get_rule(rule.id or 0)
    assert failed.run_count == 1 and "missing" in failed.last_error
    (run,) = store.list_runs(rule_id=rule.id)
    assert not run.ok and "missing" in run.error
    assert any(i.kind == "automation" and "failed" in i.text and "missing" in i.text for i in store.timeline(cid))


def test_rule_actions_are_atomic(store: Store, engine: Engine) -> None:
    gone = store.add_stage("Vendite Coaching", "No such stage")
    rule = store.create_rule(
        "Won ⇒ tag, task, then fail",
        "opportunity.status_changed",
        filters={"to_status": "won"},
        actions=[
            {"type": "add_tag", "tag": "VIP"},
            {"type": "create_task", "title": "Benvenuto", "due_in_days": 2},
            {"type": "move_opportunity", "stage": "No such stage"},
        ],
    )
    store.delete_stage(gone.id)
    store.set_rule_enabled(seed_rule(store), False)
    cid = contact(store)
    oid = deal(store, cid)
    store.set_status(oid, "won")
    assert store.contact_tags(cid) == []  # none of the actions survived
    assert store.list_tasks(contact_id=cid) == []
    assert store.opportunity_row(oid).stage == "Nuovo contatto"
    assert store.get_rule(rule.id or 0).last_error


def test_success_clears_last_error_and_actions_logged(store: Store, engine: Engine) -> None:
    rule = store.create_rule(
        "Stage ⇒ task",
        "opportunity.stage_changed",
        filters={"to_stage": "Proposta inviata"},
        actions=[{"type": "create_task", "title": "Richiamare", "due_in_days": 3}],
    )
    store.update_rule(rule.id or 0, last_error="old")
    cid = contact(store)
    oid = deal(store, cid)
    store.move_opportunity(oid, "Proposta inviata")
    (task,) = store.list_tasks(contact_id=cid)
    assert task.title == "Richiamare" and task.due_at == NOW + timedelta(days=3) and task.opportunity_id == oid
    assert store.get_rule(rule.id or 0).last_error == ""
    assert json.loads(store.list_runs(rule_id=rule.id)[0].actions_json) == ["task “Richiamare” created, due 2025-03-06"]


def test_idempotent_tag_does_not_fire_tag_added_again(store: Store, engine: Engine) -> None:
    watcher = store.create_rule(
        "Tag watcher", "tag.added", filters={"tag": "Cliente attivo"}, actions=[{"type": "add_note", "body": "Hi"}]
    )
    cid = contact(store)
    store.add_tag(cid, "Cliente attivo")
    assert len(store.list_runs(rule_id=watcher.id)) == 1
    store.set_status(deal(store, cid), "won")  # the seed rule adds a tag the contact already has
    assert len(store.list_runs(rule_id=watcher.id)) == 1
    seed_run = store.list_runs(rule_id=seed_rule(store))[0]
    assert json.loads(seed_run.actions_json) == ["contact already tagged “Cliente attivo”"]


def test_loops_are_cut_with_a_warning(store: Store, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    store.create_rule("A ⇒ B", "tag.added", filters={"tag": "A"}, actions=[{"type": "remove_tag", "tag": "A"}])
    store.create_rule("B ⇒ A", "tag.removed", filters={"tag": "A"}, actions=[{"type": "add_tag", "tag": "A"}])
    cid = contact(store)
    with caplog.at_level(logging.WARNING, logger="koachify_tui.automations"):
        assert store.add_tag(cid, "A")  # returns: the loop did not hang
    assert any("loop cut" in r.getMessage() for r in caplog.records)
    runs = store.list_runs(contact_id=cid, limit=50)
    assert sum(r.ok for r in runs) == engine.max_depth
    assert [r.error for r in runs if not r.ok] == [f"loop stopped: more than {engine.max_depth} automations in a chain"]


def test_a_rule_triggering_itself_is_cut(store: Store, engine: Engine) -> None:
    rule = store.create_rule(
        "Stage ping-pong",
        "opportunity.stage_changed",
        actions=[{"type": "move_opportunity", "stage": "Nuovo contatto"}],
    )
    store.create_rule(
        "Back",
        "opportunity.stage_changed",
        filters={"to_stage": "Nuovo contatto"},
        actions=[{"type": "move_opportunity", "stage": "Proposta inviata"}],
    )
    cid = contact(store)
    store.move_opportunity(deal(store, cid), "Contratto vinto")
    assert store.get_rule(rule.id or 0).last_error.startswith("loop stopped")


def test_three_won_deals_three_runs(store: Store, engine: Engine) -> None:
    cid = contact(store)
    deals = [deal(store, cid, f"Deal {i}") for i in range(3)]
    for oid in deals:
        store.set_status(oid, "won")
    runs = store.list_runs(rule_id=seed_rule(store))
    assert sorted(r.opportunity_id for r in runs) == deals
    assert all(r.ok and r.contact_id == cid for r in runs)
    assert len([i for i in store.timeline(cid) if i.kind == "automation"]) == 3
    assert store.get_rule(seed_rule(store)).run_count == 3


def test_filters(store: Store, engine: Engine) -> None:
    store.set_rule_enabled(seed_rule(store), False)
    big = store.create_rule(
        "Big won",
        "opportunity.status_changed",
        filters={"to_status": ["won"], "pipeline": "vendite coaching", "value_gte": 1000, "has_tag": "VIP"},
        actions=[{"type": "add_tag", "tag": "Big", "target": "opportunity"}],
    )
    cid = contact(store)
    small, large, untagged = (
        deal(store, cid, "S", 50_00),
        deal(store, cid, "L", 1500_00),
        deal(store, cid, "U", 2000_00),
    )
    store.add_opportunity_tag(small, "VIP")
    store.add_opportunity_tag(large, "vip")
    for oid in (small, large, untagged):
        store.set_status(oid, "won")
    assert [r.opportunity_id for r in store.list_runs(rule_id=big.id)] == [large]
    assert "Big" in store.opportunity_tags(large)


def test_contact_created_and_imports(store: Store, engine: Engine) -> None:
    rule = store.create_rule(
        "New lead", "contact.created", filters={"source": "Form"}, actions=[{"type": "add_tag", "tag": "Lead"}]
    )
    from_form = contact(store)
    manual = store.create_contact(first_name="Bo", source="Manual").id or 0
    imported = store.create_contact(first_name="Imp", source="Form", origin="import").id or 0
    assert store.contact_tags(from_form) == ["Lead"]
    assert store.contact_tags(manual) == [] and store.contact_tags(imported) == []
    store.update_rule(rule.id or 0, fire_on_import=True)
    again = store.create_contact(first_name="Imp2", source="Form", origin="import").id or 0
    assert store.contact_tags(again) == ["Lead"]


def test_actions_owner_note_move(store: Store, engine: Engine) -> None:
    store.define_field("opportunity", "Motivo", type="text")
    store.create_rule(
        "Proposal",
        "opportunity.stage_changed",
        filters={"to_stage": "Proposta inviata"},
        actions=[
            {"type": "set_owner", "owner": "Marta", "target": "opportunity"},
            {"type": "set_owner", "owner": "Marta"},
            {"type": "add_note", "body": "Proposta inviata: seguire"},
            {"type": "set_field", "key": "motivo", "value": "auto", "target": "opportunity"},
            {"type": "move_opportunity", "stage": "Contratto vinto"},
        ],
    )
    cid = contact(store)
    oid = deal(store, cid)
    store.move_opportunity(oid, "Proposta inviata")
    row = store.opportunity_row(oid)
    assert (row.owner, row.stage) == ("Marta", "Contratto vinto")
    assert store.get_contact(cid).owner == "Marta"
    assert store.field_values("opportunity", oid) == {"motivo": "auto"}
    assert any(i.kind == "note" and i.text == "Proposta inviata: seguire" for i in store.timeline(cid))


def test_validation(store: Store) -> None:
    with pytest.raises(InvalidValue, match="unknown trigger"):
        store.create_rule("x", "nope")
    with pytest.raises(InvalidValue, match="no filter"):
        store.create_rule("x", "tag.added", filters={"to_status": "won"})
    with pytest.raises(InvalidValue, match="unknown status"):
        store.create_rule("x", "opportunity.status_changed", filters={"to_status": "vinto"})
    with pytest.raises(InvalidValue, match="needs tag"):
        store.create_rule("x", "tag.added", actions=[{"type": "add_tag"}])
    with pytest.raises(InvalidValue, match="needs an opportunity"):
        store.create_rule("x", "contact.created", actions=[{"type": "move_opportunity", "stage": "A"}])
    with pytest.raises(InvalidValue, match="whole number"):
        store.create_rule("x", "contact.created", actions=[{"type": "create_task", "title": "t", "due_in_days": "2"}])


def test_opportunity_action_on_a_contact_tag_fails_cleanly(store: Store, engine: Engine) -> None:
    rule = store.create_rule("t", "tag.added", actions=[{"type": "add_tag", "tag": "X", "target": "opportunity"}])
    cid = contact(store)
    store.add_tag(cid, "Y")
    assert "no opportunity" in store.get_rule(rule.id or 0).last_error
    assert store.contact_tags(cid) == ["Y"]


def test_event_payload_is_logged(store: Store, engine: Engine) -> None:
    cid = contact(store)
    oid = deal(store, cid)
    store.set_status(oid, "won")
    event = json.loads(store.list_runs()[0].event_json)
    assert event["event"] == OpportunityStatusChanged.__name__
    assert (event["from_status"], event["to_status"], event["opportunity_id"]) == ("open", "won", oid)


def test_engine_is_headless() -> None:
    import subprocess
    import sys

    code = "import sys, koachify_tui.automations, koachify_tui.commands.automations; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
