"""store.board: paged and filtered columns, totals, positions (no UI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from koachify_tui.store import Store
from koachify_tui.store.board import BoardFilter


def _seed(store: Store, n: int = 30) -> tuple[int, list[int]]:
    p = store.get_pipeline("Vendite Coaching")
    first = p.stages[0].id
    cid = store.create_contact(first_name="Mario", last_name="Rossi").id
    other = store.create_contact(first_name="Élodie", last_name="Durand").id
    base = datetime(2025, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(n):
        opp = store.create_opportunity(
            cid if i % 2 else other,
            f"Deal {i}",
            p.id,
            value_minor=100 * i,
            owner="Laura" if i % 3 == 0 else "Paolo",
            tags=["vip"] if i % 5 == 0 else [],
            created_at=base + timedelta(hours=i),
        )
        ids.append(opp.id)
    return first, ids


def test_offset_and_keyset_pages_agree(store: Store) -> None:
    stage, ids = _seed(store)
    pid = store.get_pipeline("Vendite Coaching").id
    everything = [r.id for r in store.board_cards(pid, stage, limit=100)]
    assert everything == list(reversed(ids))  # newest stage change first
    page1 = store.board_cards(pid, stage, limit=10)
    last = page1[-1]
    page2 = store.board_cards(pid, stage, limit=10, after=(last.last_stage_change_at, last.id))
    assert [r.id for r in page2] == everything[10:20]
    assert [r.id for r in store.board_cards(pid, stage, offset=10, limit=10)] == everything[10:20]


def test_filters_totals_and_positions(store: Store) -> None:
    stage, ids = _seed(store)
    pid = store.get_pipeline("Vendite Coaching").id
    assert store.board_totals(pid)[stage] == (30, sum(100 * i for i in range(30)))
    laura = BoardFilter(owner="laura")
    assert store.board_totals(pid, laura)[stage][0] == 10
    assert {r.owner for r in store.board_cards(pid, stage, laura, limit=50)} == {"Laura"}
    assert store.board_totals(pid, BoardFilter(tag="VIP"))[stage][0] == 6
    assert store.board_totals(pid, BoardFilter(text="élodie"))[stage][0] == 15  # casefolded, non-ASCII
    assert store.board_totals(pid, BoardFilter(text="deal 2"))[stage][0] == 11  # 2, 20-29
    store.set_status(ids[0], "won")
    assert store.board_totals(pid)[stage][0] == 29
    assert store.board_totals(pid, BoardFilter(status="won"))[stage] == (1, 0)
    assert store.board_totals(pid, BoardFilter(status=None))[stage][0] == 30
    assert store.board_position(ids[-1]) == 0
    assert store.board_position(ids[-3]) == 2
    assert store.board_position(ids[0]) is None  # won: hidden by the open filter
    store.set_status(ids[1], "lost", reason="Prezzo")
    store.set_status(ids[2], "lost", reason="Prezzo")
    store.set_status(ids[3], "lost", reason="Tempo")
    assert store.lost_reasons() == ["Prezzo", "Tempo"]
    assert store.opportunity_owners() == ["Laura", "Paolo"]
    assert store.opportunity_tag_names() == ["vip"]
