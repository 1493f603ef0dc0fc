"""Events are published after commit; subscribers never roll back or lose the change."""

from __future__ import annotations

import logging

import pytest

from koachify_tui.store import InvalidValue, Store
from koachify_tui.store.events import ContactCreated, DomainEvent, TagAdded


def test_events_published_after_commit(store: Store) -> None:
    seen_counts: list[int] = []

    def handler(event: DomainEvent) -> None:
        # The change is visible from another connection: it has been committed.
        seen_counts.append(Store.open(store.url).count_contacts())

    store.subscribe(handler, ContactCreated)
    store.create_contact(first_name="A")
    assert seen_counts == [1]


def test_no_events_when_transaction_rolls_back(store: Store) -> None:
    seen: list[DomainEvent] = []
    store.subscribe(seen.append)
    with pytest.raises(InvalidValue), store.write():
        store.create_contact(first_name="A")
        store.create_contact(first_name="B", email="broken@")
    assert seen == []
    assert store.count_contacts() == 0  # all or nothing


def test_failing_subscriber_never_loses_the_change(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    later: list[DomainEvent] = []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("boom")

    store.subscribe(broken)
    store.subscribe(later.append)
    with caplog.at_level(logging.ERROR):
        c = store.create_contact(first_name="Kept", tags=["x"])
    assert store.get_contact(c.id).first_name == "Kept"
    assert [type(e) for e in later] == [ContactCreated, TagAdded]  # other subscribers still run
    assert "boom" in caplog.text
    assert len(store.bus.errors) == 2


def test_nested_writes_join_and_events_carry_depth(store: Store) -> None:
    depths: list[tuple[str, int]] = []

    def on_created(event: ContactCreated) -> None:
        depths.append((event.name, event.depth))
        store.add_tag(event.contact_id, "auto")  # a write made from inside a handler

    store.subscribe(on_created, ContactCreated)
    store.subscribe(lambda e: depths.append((e.name, e.depth)), TagAdded)
    c = store.create_contact(first_name="A")
    assert depths == [("ContactCreated", 0), ("TagAdded", 1)]
    assert store.contact_tags(c.id) == ["auto"]


def test_unsubscribe(store: Store) -> None:
    seen: list[DomainEvent] = []
    unsubscribe = store.subscribe(seen.append)
    unsubscribe()
    store.create_contact(first_name="A")
    assert seen == []


def test_origin_recorded_on_events_and_history(store: Store) -> None:
    seen: list[DomainEvent] = []
    store.subscribe(seen.append)
    c = store.create_contact(first_name="A", origin="cli")
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching", origin="tui")
    store.move_opportunity(opp.id, "Proposta inviata", origin="tui")
    assert seen[0].origin == "cli"
    assert store.opportunity_history(opp.id)[-1].actor == "tui"
