"""Editing, deleting, completing and snoozing notes, tasks, appointments and messages: logged, undoable
without overwriting later work, announced after commit (issue 15, item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import needs_postgres
from koachify_tui.store import InvalidValue, NotFound, Store
from koachify_tui.store.activity_rules import snoozed_due
from koachify_tui.store.durations import parse_duration
from koachify_tui.store.events import ActivityDeleted, ActivityRestored, ActivityUpdated, TaskCompleted


def _events(store: Store) -> list[Any]:
    seen: list[Any] = []
    store.subscribe(seen.append)
    return seen


def test_edit_note_is_logged_and_undone(store: Store) -> None:
    c = store.create_contact(first_name="Giulia")
    note = store.add_note("Prima call", contact_id=c.id)
    version = store.get_contact(c.id).version
    seen = _events(store)
    store.update_activity("note", note.id, body="Prima call: interessata")
    txn = store.last_txn()
    assert txn is not None
    assert [(e.name, e.changed) for e in seen] == [("ActivityUpdated", ("body",))]
    log = store.changes(entity="note", entity_id=note.id)
    assert [(ch.field, ch.old, ch.new) for ch in log] == [("body", "Prima call", "Prima call: interessata")]
    assert store.get_contact(c.id).version == version + 1  # an item's edit is a change of its contact
    outcome = store.undo_changes(txn)
    assert outcome.reverted == 1
    assert store.get_activity("note", note.id).body == "Prima call"


def test_undo_keeps_a_later_edit(store: Store) -> None:
    c = store.create_contact(first_name="A")
    task = store.add_task("Richiamare", contact_id=c.id)
    store.update_activity("task", task.id, title="Richiamare Giulia")
    txn = store.last_txn()
    assert txn is not None
    store.update_activity("task", task.id, title="Richiamare Giulia lunedì", origin="cli")
    outcome = store.undo_changes(txn)
    assert outcome.reverted == 0
    assert outcome.kept and "Richiamare Giulia lunedì" in outcome.kept[0].reason
    assert store.get_activity("task", task.id).title == "Richiamare Giulia lunedì"


def test_edit_rules_match_creation(store: Store) -> None:
    c = store.create_contact(first_name="A")
    note = store.add_note("x", contact_id=c.id)
    appt = store.add_appointment("Call", datetime(2026, 5, 1, 10, tzinfo=UTC), contact_id=c.id)
    with pytest.raises(InvalidValue):
        store.update_activity("note", note.id, body="   ")
    with pytest.raises(InvalidValue):
        store.update_activity("note", note.id, contact_id=99)
    with pytest.raises(InvalidValue):
        store.update_activity("appointment", appt.id, ends_at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    with pytest.raises(InvalidValue):
        store.update_activity("thing", 1, body="x")
    assert store.changes(entity="note") == [] and store.changes(entity="appointment") == []


@pytest.mark.parametrize("kind", ["note", "task", "appointment", "message"])
def test_delete_and_undo_every_kind(store: Store, kind: str) -> None:
    c = store.create_contact(first_name="A")
    opp = store.create_opportunity(c.id, "Percorso", "Vendite Coaching")
    start = datetime.now(UTC) + timedelta(days=1)
    item: Any = {
        "note": lambda: store.add_note("n", opportunity_id=opp.id),
        "task": lambda: store.add_task("t", opportunity_id=opp.id, due_at=start),
        "appointment": lambda: store.add_appointment("a", start, opportunity_id=opp.id),
        "message": lambda: store.log_message("m", opportunity_id=opp.id, channel="call"),
    }[kind]()
    seen = _events(store)
    store.delete_activity(kind, item.id)
    txn = store.last_txn()
    assert txn is not None
    assert isinstance(seen[-1], ActivityDeleted) and seen[-1].opportunity_id == opp.id
    assert [i for i in store.timeline(c.id) if i.kind == kind] == []
    assert all(a.id != item.id for a in store.agenda(until=start + timedelta(days=2))) or kind in ("note", "message")
    assert store.list_messages() == [] or kind != "message"
    with pytest.raises(NotFound):
        store.get_activity(kind, item.id)
    with pytest.raises(NotFound):
        store.update_activity(kind, item.id, {})
    assert store.undo_changes(txn).reverted == 1
    assert isinstance(seen[-1], ActivityRestored)
    assert [i.ref_id for i in store.timeline(c.id) if i.kind == kind] == [item.id]
    assert store.undo_changes(txn).reverted == 0  # twice: nothing more


def test_delete_lowers_last_activity_and_restore_raises_it(store: Store) -> None:
    c = store.create_contact(first_name="A")
    old = datetime(2026, 1, 1, tzinfo=UTC)
    store.add_note("older", contact_id=c.id, at=old)
    newer = store.log_message("newer", contact_id=c.id, at=old + timedelta(days=5))
    assert store.get_contact(c.id).last_activity_at == old + timedelta(days=5)
    store.delete_activity("message", newer.id)
    assert store.get_contact(c.id).last_activity_at == old
    store.restore_activity("message", newer.id)
    assert store.get_contact(c.id).last_activity_at == old + timedelta(days=5)


def test_complete_and_reopen_are_logged_and_undoable(store: Store) -> None:
    c = store.create_contact(first_name="A")
    task = store.add_task("Richiamare", contact_id=c.id)
    seen = _events(store)
    store.complete_task(task.id)
    done_txn = store.last_txn()
    assert isinstance(seen[0], TaskCompleted) and isinstance(seen[1], ActivityUpdated)
    store.complete_task(task.id, done=False)
    reopen_txn = store.last_txn()
    assert seen[-1].changed == ("done_at",)
    assert store.get_activity("task", task.id).done_at is None
    assert reopen_txn and done_txn and reopen_txn != done_txn
    store.undo_changes(reopen_txn)  # done again, at the time it was done
    done_at = store.get_activity("task", task.id).done_at
    assert done_at is not None
    assert [ch.new for ch in store.changes(entity="task", entity_id=task.id)][-1] == done_at.isoformat()
    assert store.undo_changes(done_txn).reverted == 1  # open again
    assert store.get_activity("task", task.id).done_at is None


def test_snooze_from_due_or_from_today(store: Store) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    future = datetime(2026, 3, 20, 15, 30, tzinfo=UTC)
    assert snoozed_due(future, 1, now) == future + timedelta(days=1)
    assert snoozed_due(future, 7, now) == future + timedelta(days=7)
    overdue = datetime(2026, 2, 1, 22, 59, tzinfo=UTC)
    moved = snoozed_due(overdue, 1, now)
    assert moved.astimezone().date() == now.astimezone().date() + timedelta(days=1)
    assert moved.astimezone().time() == overdue.astimezone().time()
    assert snoozed_due(None, 1, now).astimezone().time().hour == 23
    c = store.create_contact(first_name="A")
    task = store.add_task("Richiamare", contact_id=c.id, due_at=future)
    store.snooze_task_by(task.id, 7, now=now)
    txn = store.last_txn()
    assert store.get_activity("task", task.id).due_at == future + timedelta(days=7)
    assert txn and store.undo_changes(txn).reverted == 1
    assert store.get_activity("task", task.id).due_at == future
    store.complete_task(task.id)
    with pytest.raises(InvalidValue):
        store.snooze_task(task.id, future)


def test_undo_of_edit_on_deleted_item_is_kept(store: Store) -> None:
    c = store.create_contact(first_name="A")
    note = store.add_note("x", contact_id=c.id)
    store.update_activity("note", note.id, body="y")
    txn = store.last_txn()
    store.delete_activity("note", note.id)
    assert txn
    outcome = store.undo_changes(txn)
    assert outcome.reverted == 0 and outcome.kept


def test_call_with_duration_and_outcome(store: Store) -> None:
    c = store.create_contact(first_name="A")
    at = datetime(2026, 4, 2, 9, 15, tzinfo=UTC)
    msg = store.log_message("", contact_id=c.id, channel="call", direction="out", at=at, duration_s=300,
                            outcome="no answer")  # fmt: skip
    (item,) = store.timeline(c.id)
    assert item.at == at and item.detail["duration_s"] == 300 and item.detail["outcome"] == "no answer"
    assert item.as_dict()["duration_s"] == 300
    store.update_activity("message", msg.id, duration_s=600, outcome="answered", at=at + timedelta(hours=1))
    txn = store.last_txn()
    assert store.get_contact(c.id).last_activity_at == at + timedelta(hours=1)
    assert txn and store.undo_changes(txn).reverted == 3
    back = store.get_activity("message", msg.id)
    assert (back.duration_s, back.outcome, back.at) == (300, "no answer", at)
    with pytest.raises(InvalidValue):
        store.update_activity("message", msg.id, duration_s=-5)
    with pytest.raises(InvalidValue):
        store.log_message("", contact_id=c.id)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5", 300), ("5m", 300), ("1h30", 5400), ("1h 30m", 5400), ("0:45", 2700), ("90s", 90), ("", None)],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "5x", "30:99", "m5", "25:00:00"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_duration(text)


def _round_trip(store: Store) -> None:
    """Edit, delete, complete and snooze, each undone: the same on SQLite and PostgreSQL."""
    c = store.create_contact(first_name="A")
    at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    note = store.add_note("older", contact_id=c.id, at=at)
    msg = store.log_message("", contact_id=c.id, channel="call", at=at + timedelta(days=1), duration_s=60)
    task = store.add_task("t", contact_id=c.id, due_at=at, at=at)
    version = store.get_contact(c.id).version
    steps = [
        lambda: store.update_activity("note", note.id, body="newer"),
        lambda: store.delete_activity("message", msg.id),
        lambda: store.snooze_task_by(task.id, 7, now=at),
        lambda: store.complete_task(task.id),
    ]
    txns = []
    for step in steps:
        step()
        txns.append(store.last_txn())
    assert store.get_contact(c.id).version == version + 4
    assert store.get_contact(c.id).last_activity_at is not None
    for txn in reversed(txns):
        assert txn and store.undo_changes(txn).reverted == 1
    assert store.get_activity("note", note.id).body == "older"
    assert store.get_activity("message", msg.id).duration_s == 60
    back = store.get_activity("task", task.id)
    assert back.done_at is None and back.due_at == at
    assert store.get_contact(c.id).last_activity_at == at + timedelta(days=1)


def test_round_trip_sqlite(store: Store) -> None:
    _round_trip(store)


@needs_postgres
def test_round_trip_postgres(pg_store: Store) -> None:
    _round_trip(pg_store)
