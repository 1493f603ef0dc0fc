"""The engine's rule cache: one query per burst of events, fresh after any rule change."""

from __future__ import annotations

from pathlib import Path

import pytest

from koachify_tui.automations import engine as engine_module
from koachify_tui.automations import install
from koachify_tui.store import Store


def test_a_burst_of_events_loads_rules_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    install(store)
    calls: list[object] = []
    original = store.list_rules

    def counting(**kwargs: object) -> object:
        calls.append(kwargs)
        return original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "list_rules", counting)
    with store.write():
        for i in range(50):
            store.create_contact(first_name=f"C{i}", tags=["x"])
    assert len(calls) <= 1


def test_rule_changes_in_this_process_apply_at_once(store: Store) -> None:
    install(store)
    store.create_contact(first_name="Before")  # loads (and caches) the rules
    store.create_rule("Tag leads", "contact.created", actions=[{"type": "add_tag", "tag": "Lead"}])
    c = store.create_contact(first_name="After")
    assert "Lead" in store.contact_tags(c.id)


def test_rule_changes_from_another_process_apply_after_the_ttl(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(store)
    store.create_contact(first_name="Before")
    other = Store.open(db_path)  # stands for the CLI beside the TUI
    other.create_rule("Tag leads", "contact.created", actions=[{"type": "add_tag", "tag": "Lead"}])
    other.close()
    monkeypatch.setattr(engine_module, "RULES_TTL", 0.0)
    c = store.create_contact(first_name="After")
    assert "Lead" in store.contact_tags(c.id)


def test_concurrent_run_due_never_runs_a_step_twice(db_path: Path) -> None:
    """The app's timer and `koachify automations run-due` from cron may run at the same moment."""
    import threading

    from koachify_tui.automations.sequences import create_sequence, enroll, run_due

    first = Store.open(db_path)
    c = first.create_contact(first_name="Seq")
    create_sequence(first, "Benvenuto", [{"delay_days": 0, "action": "task", "title": "Benvenuto"}])
    enroll(first, c.id, "Benvenuto")
    stores = [first, Store.open(db_path), Store.open(db_path)]
    barrier = threading.Barrier(len(stores))

    def runner(store: Store) -> None:
        barrier.wait()
        run_due(store)

    threads = [threading.Thread(target=runner, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t.title for t in first.list_tasks(contact_id=c.id)] == ["Benvenuto"]
    for s in stores:
        s.close()
