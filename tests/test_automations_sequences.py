"""Follow-up sequences: enrolment, due steps on an injected clock, leaving, rule actions; contact summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from koachify_tui.automations import contact_automations, install, sequences
from koachify_tui.store import Conflict, InvalidValue, Store

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
STEPS = [
    {"delay_days": 0, "action": "task", "title": "Chiamata di benvenuto"},
    {"delay_days": 3, "action": "note", "body": "Inviato materiale"},
    {"delay_days": 4, "action": "task", "title": "Check-in"},
]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def titles(store: Store, cid: int) -> list[str]:
    return [t.title for t in store.list_tasks(contact_id=cid)]


def test_definitions(store: Store) -> None:
    seq = sequences.create_sequence(store, "Onboarding", STEPS, description="Nuovi clienti")
    assert [s.delay_days for s in seq.steps] == [0, 3, 4]
    assert sequences.get_sequence(store, "onboarding").id == seq.id
    with pytest.raises(Conflict):
        sequences.create_sequence(store, "ONBOARDING", STEPS)
    with pytest.raises(InvalidValue, match="title"):
        sequences.create_sequence(store, "X", [{"action": "task"}])
    with pytest.raises(InvalidValue, match="delay_days"):
        sequences.create_sequence(store, "X", [{"action": "note", "body": "b", "delay_days": -1}])
    updated = sequences.update_sequence(store, seq.id, steps=STEPS[:1], enabled=False)
    assert len(updated.steps) == 1 and not updated.enabled
    sequences.delete_sequence(store, "Onboarding")
    assert sequences.list_sequences(store) == []


def test_due_steps_run_on_the_clock(store: Store, clock: Clock) -> None:
    sequences.create_sequence(store, "Onboarding", STEPS)
    cid = store.create_contact(first_name="Anna").id or 0
    assert sequences.enroll(store, cid, "Onboarding", now=T0)
    assert not sequences.enroll(store, cid, "Onboarding", now=T0)  # already in it

    assert [r.step for r in sequences.run_due(store, now=T0)] == [1]
    assert titles(store, cid) == ["Chiamata di benvenuto"]
    assert store.list_tasks(contact_id=cid)[0].due_at == T0
    assert sequences.run_due(store, now=T0 + timedelta(days=2, hours=23)) == []

    assert [r.step for r in sequences.run_due(store, now=T0 + timedelta(days=3))] == [2]
    assert any(i.kind == "note" and i.text == "Inviato materiale" for i in store.timeline(cid))
    (info,) = sequences.enrollments(store, contact_id=cid)
    assert info.next_step == 2 and info.next_due_at == T0 + timedelta(days=7)

    # a late run (cron missed days) catches up in order, once
    assert [r.step for r in sequences.run_due(store, now=T0 + timedelta(days=30))] == [3]
    assert sequences.run_due(store, now=T0 + timedelta(days=31)) == []
    assert sequences.enrollments(store, contact_id=cid) == []
    assert sequences.enrollments(store, contact_id=cid, status="completed")[0].status == "completed"
    texts = [i.text for i in reversed(store.timeline(cid)) if i.kind == "automation"]
    assert texts == ["Enrolled in sequence “Onboarding”", "Sequence “Onboarding” completed"]


def test_catch_up_runs_several_steps(store: Store) -> None:
    sequences.create_sequence(store, "Onboarding", STEPS)
    cid = store.create_contact(first_name="Anna").id or 0
    sequences.enroll(store, cid, "Onboarding", now=T0)
    runs = sequences.run_due(store, now=T0 + timedelta(days=10))
    assert [r.step for r in runs] == [1, 2, 3]
    assert titles(store, cid) == ["Chiamata di benvenuto", "Check-in"]


def test_leaving_cancels_remaining_steps(store: Store) -> None:
    sequences.create_sequence(store, "Onboarding", STEPS)
    cid = store.create_contact(first_name="Anna").id or 0
    sequences.enroll(store, cid, "Onboarding", now=T0)
    sequences.run_due(store, now=T0)
    assert sequences.leave(store, cid, "Onboarding") == 1
    assert sequences.leave(store, cid, "Onboarding") == 0
    assert sequences.run_due(store, now=T0 + timedelta(days=30)) == []
    assert titles(store, cid) == ["Chiamata di benvenuto"]
    assert sequences.enroll(store, cid, "Onboarding", now=T0)  # can enrol again after leaving


def test_disabled_sequence_waits(store: Store) -> None:
    sequences.create_sequence(store, "Onboarding", STEPS, enabled=False)
    cid = store.create_contact(first_name="Anna").id or 0
    sequences.enroll(store, cid, "Onboarding", now=T0)
    assert sequences.run_due(store, now=T0 + timedelta(days=1)) == []
    sequences.update_sequence(store, "Onboarding", enabled=True)
    assert len(sequences.run_due(store, now=T0 + timedelta(days=1))) == 1


def test_deleted_contact_stops_its_sequence(store: Store) -> None:
    sequences.create_sequence(store, "Onboarding", STEPS)
    cid = store.create_contact(first_name="Anna").id or 0
    sequences.enroll(store, cid, "Onboarding", now=T0)
    store.delete_contact(cid)
    (run,) = sequences.run_due(store, now=T0)
    assert not run.ok and "contact" in run.error
    assert sequences.enrollments(store, status="cancelled")[0].contact_id == cid


def test_rules_enroll_and_leave(store: Store, clock: Clock) -> None:
    engine = install(store, clock=clock, hook_loader=list)
    sequences.create_sequence(store, "Nurturing", STEPS)
    store.create_rule(
        "Proposal ⇒ nurture",
        "opportunity.stage_changed",
        filters={"to_stage": "Proposta inviata"},
        actions=[{"type": "enroll_sequence", "sequence": "Nurturing"}],
    )
    store.create_rule(
        "Won ⇒ stop sequences",
        "opportunity.status_changed",
        filters={"to_status": "won"},
        actions=[{"type": "leave_sequence", "sequence": "*"}],
    )
    cid = store.create_contact(first_name="Anna").id or 0
    oid = store.create_opportunity(cid, "Deal", "Vendite Coaching").id or 0
    store.move_opportunity(oid, "Proposta inviata")
    assert titles(store, cid) == ["Chiamata di benvenuto"]  # the day-0 step ran at once
    (enrolled,) = contact_automations(store, cid).sequences
    assert enrolled.sequence == "Nurturing" and enrolled.opportunity_id == oid and enrolled.next_step == 1

    clock.now = T0 + timedelta(days=3)
    assert [r.step for r in engine.run_due()] == [2]
    store.set_status(oid, "won")
    clock.now = T0 + timedelta(days=30)
    assert engine.run_due() == []
    summary = contact_automations(store, cid)
    assert summary.sequences == []
    assert {r.name for r in summary.rules} == {"Won ⇒ stop sequences", "Won ⇒ tag Cliente attivo", "Proposal ⇒ nurture"}
    assert all(r.runs == 1 and r.last_ok for r in summary.rules)


def test_enrolling_in_a_missing_sequence_fails_the_run(store: Store) -> None:
    install(store, hook_loader=list)
    sequences.create_sequence(store, "Ghost", STEPS)
    rule = store.create_rule(
        "New ⇒ ghost",
        "contact.created",
        actions=[{"type": "add_tag", "tag": "T"}, {"type": "enroll_sequence", "sequence": "Ghost"}],
    )
    store.delete_sequence("Ghost")  # deleted after the rule was saved
    cid = store.create_contact(first_name="Anna").id or 0
    assert store.contact_tags(cid) == []
    assert "Ghost" in store.get_rule(rule.id or 0).last_error
