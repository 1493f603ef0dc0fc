"""A small CRM whose report figures are worked out by hand below (every event at 12:00 UTC, March 2026).

Pipeline "Sales": A → B → C → D. Deals (EUR unless said):
  d1 c1  created 03-02 at A, A→C 03-04 (skips B), C→B 03-06 (back), won 03-10        1000.00
  d2 c2  created 03-03 at A, A→B 03-05, B→D 03-08, lost "Price" 03-12                   500.00
  d3 c3  created 02-10 at A (before the period), A→B 02-15, won 03-15                  2000.00
  d4 c4  created 03-05 at A, abandoned 03-20                                              300.00
  d5 c5  created 03-06 at A, A→B 03-07, won 03-09                                     USD 800.00
  d6 c1  created 03-07 at B, still open                                                   400.00
  d7 c2  created 04-02, won 04-03 (after the period)                                      999.00
  d8 c3  created 03-01 at A, lost "Price" 04-05 (closed after the period)                 250.00
Pipeline "Corsi": d9 c3 created 03-20, won 03-25, 100.00.
Contacts: c1 Form 03-02, c2 Ads 03-03, c3 Form 02-10, c4 (no source) 03-05, c5 Ads 03-06.
Activity: a note 03-02, a call 03-10, an email 03-11, a task done 03-12."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from koachify_tui.store import Store
from koachify_tui.store.report_period import Period

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 12, 0, tzinfo=UTC)


class Clock:
    """Replaces the store's `utcnow` so moves and status changes happen when the fixture says."""

    def __init__(self) -> None:
        self.now = day(1, 1)

    def __call__(self) -> datetime:
        return self.now


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in ("opportunities", "activities", "contacts"):
        monkeypatch.setattr(f"koachify_tui.store.{module}.utcnow", clock)
    return clock


def build(store: Store, clock: Clock) -> dict[str, int]:
    store.create_pipeline("Sales", ["A", "B", "C", "D"])
    store.create_pipeline("Corsi", ["Iscritto", "Acquistato"])

    def contact(name: str, source: str, created: datetime) -> int:
        c = store.create_contact(first_name=name, source=source, created_at=created)
        assert c.id is not None
        return c.id

    c1, c2, c3 = contact("Uno", "Form", day(3, 2)), contact("Due", "Ads", day(3, 3)), contact("Tre", "Form", day(2, 10))
    c4, c5 = contact("Quattro", "", day(3, 5)), contact("Cinque", "Ads", day(3, 6))

    def deal(cid: int, created: datetime, value: int, *, pipeline: str = "Sales", **kw: Any) -> int:
        o = store.create_opportunity(cid, f"deal {value}", pipeline, value_minor=value, created_at=created, **kw)
        assert o.id is not None
        return o.id

    def move(oid: int, when: datetime, stage: str) -> None:
        clock.now = when
        store.move_opportunity(oid, stage)

    def close(oid: int, when: datetime, status: str, reason: str = "") -> None:
        clock.now = when
        store.set_status(oid, status, reason=reason)

    d1 = deal(c1, day(3, 2), 100000)
    move(d1, day(3, 4), "C")
    move(d1, day(3, 6), "B")
    close(d1, day(3, 10), "won")
    d2 = deal(c2, day(3, 3), 50000)
    move(d2, day(3, 5), "B")
    move(d2, day(3, 8), "D")
    close(d2, day(3, 12), "lost", "Price")
    d3 = deal(c3, day(2, 10), 200000)
    move(d3, day(2, 15), "B")
    close(d3, day(3, 15), "won")
    d4 = deal(c4, day(3, 5), 30000)
    close(d4, day(3, 20), "abandoned")
    d5 = deal(c5, day(3, 6), 80000, currency="USD")
    move(d5, day(3, 7), "B")
    close(d5, day(3, 9), "won")
    d6 = deal(c1, day(3, 7), 40000, stage="B")
    d7 = deal(c2, day(4, 2), 99900)
    close(d7, day(4, 3), "won")
    d8 = deal(c3, day(3, 1), 25000)
    close(d8, day(4, 5), "lost", "Price")
    d9 = deal(c3, day(3, 20), 10000, pipeline="Corsi")
    close(d9, day(3, 25), "won")
    store.add_note("first call notes", contact_id=c1, at=day(3, 2))
    store.log_message("call", contact_id=c2, channel="call", direction="out", at=day(3, 10))
    store.log_message("mail", contact_id=c2, channel="email", at=day(3, 11))
    clock.now = day(3, 12)
    task = store.add_task("follow up", opportunity_id=d6, at=day(3, 7))
    assert task.id is not None
    store.complete_task(task.id)
    return {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "d5": d5, "d6": d6, "d7": d7, "d8": d8, "d9": d9, "c1": c1}


def check_all(store: Store, ids: dict[str, int]) -> None:
    """Every report on the fixture against the figures worked out by hand."""
    check_funnel(store)
    check_revenue(store)
    check_sources(store)
    check_lost(store)
    check_stages(store, ids)
    check_activity(store)


def check_funnel(store: Store) -> None:
    # cohort (created in March, Sales): d1 d2 d4 d5 d6 d8; furthest stage: C D A B B A
    r = store.report("funnel", MARCH, pipeline="Sales")
    by = {row["stage"]: row for row in r.rows}
    assert [row["stage"] for row in r.rows] == ["A", "B", "C", "D"]
    assert [by[s]["reached"] for s in "ABCD"] == [6, 4, 2, 1]
    assert [by[s]["to_next"] for s in "ABCD"] == [0.6667, 0.5, 0.5, None]
    # won among those that reached the stage: d1 (reached C) and d5 (reached B)
    assert [by[s]["to_won"] for s in "ABCD"] == [0.3333, 0.5, 0.5, 0.0]
    assert [by[s]["stopped"] for s in "ABCD"] == [2, 1, 0, 1]  # d4 d8 | d6 | – | d2
    assert [by[s]["lost_here"] for s in "ABCD"] == [2, 0, 0, 1]
    assert [by[s]["open_here"] for s in "ABCD"] == [0, 1, 0, 0]
    assert r.summary == {"deals": 6, "won": 2, "win_conversion": 0.3333}


def check_revenue(store: Store) -> None:
    r = store.report("revenue", MARCH, pipeline="Sales")
    assert r.extra["by"] == "week"
    assert [row["bucket"] for row in r.rows] == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
    assert [row["won_minor"] for row in r.rows] == [0, 0, 300000, 0, 0, 0]  # d1 03-10 and d3 03-15 (a Sunday)
    assert r.extra["months"] == [
        {"key": "2026-03", "bucket": "2026-03", "won": 2, "won_minor": 300000, "average_minor": 150000}
    ]
    assert r.summary == {
        "won": 2,
        "won_minor": 300000,
        "average_minor": 150000,
        "won_all_currencies": 3,
        "lost": 1,  # d2; d8 closed in April
        "abandoned": 1,
        "win_rate": 0.6,  # 3 / (3 + 1 + 1)
        "cycle_median_days": 8.0,  # d1 8, d3 33, d5 3
        "cycle_mean_days": 14.7,
    }
    assert r.other_currencies == [{"currency": "USD", "count": 1, "value_minor": 80000}]
    everything = store.report("revenue", MARCH, by="month")  # every pipeline: d9 too
    assert everything.summary["won_minor"] == 310000
    assert everything.summary["cycle_median_days"] == 6.5  # 3 5 8 33
    assert everything.rows == [
        {"key": "2026-03", "bucket": "2026-03", "won": 3, "won_minor": 310000, "average_minor": 103333}
    ]


def check_sources(store: Store) -> None:
    r = store.report("sources", MARCH, pipeline="Sales")
    assert r.rows == [
        {"key": "Ads", "source": "Ads", "new_contacts": 2, "converted": 2, "conversion": 1.0, "won": 0, "won_minor": 0},
        {
            "key": "Form",
            "source": "Form",
            "new_contacts": 1,
            "converted": 1,
            "conversion": 1.0,
            "won": 2,
            "won_minor": 300000,
        },
        {"key": "", "source": "", "new_contacts": 1, "converted": 0, "conversion": 0.0, "won": 0, "won_minor": 0},
    ]
    assert r.other_currencies == [{"source": "Ads", "currency": "USD", "count": 1, "value_minor": 80000}]
    assert r.summary == {"new_contacts": 4, "converted": 3, "won_minor": 300000}


def check_lost(store: Store) -> None:
    r = store.report("lost", MARCH)
    assert r.rows == [
        {"key": "abandoned:", "status": "abandoned", "reason": "", "count": 1, "value_minor": 30000},
        {"key": "lost:Price", "status": "lost", "reason": "Price", "count": 1, "value_minor": 50000},
    ]
    assert r.summary == {"lost": 1, "abandoned": 1, "value_minor": 80000}


def check_stages(store: Store, ids: dict[str, int]) -> None:
    r = store.report("stages", MARCH, pipeline="Sales", now=NOW)
    rows = {row["stage"]: row for row in r.rows}
    # stays ended in March: A: d1 2, d2 2, d5 1 | B: d2 3 | C: d1 2 | D: none (d3's A stay ended in February)
    assert [rows[s]["stays"] for s in "ABCD"] == [3, 1, 1, 0]
    assert [rows[s]["median_days"] for s in "ABCD"] == [2.0, 3.0, 2.0, None]
    assert [rows[s]["mean_days"] for s in "ABCD"] == [1.7, 3.0, 2.0, None]
    assert [rows[s]["open_now"] for s in "ABCD"] == [0, 1, 0, 0]
    assert [rows[s]["beyond_median"] for s in "ABCD"] == [0, 1, 0, 0]
    assert r.extra["stuck"] == [
        {"id": ids["d6"], "title": "deal 40000", "contact": "Uno", "stage": "B", "days": 34.0, "beyond_median": 31.0}
    ]


def check_activity(store: Store) -> None:
    r = store.report("activity", MARCH)
    assert r.summary == {"notes": 1, "calls": 1, "messages": 1, "tasks_done": 1}
    week = {row["week"]: row for row in r.rows}
    assert week["2026-W10"]["notes"] == 1
    assert week["2026-W11"] == {
        "key": "2026-W11",
        "week": "2026-W11",
        "notes": 0,
        "calls": 1,
        "messages": 1,
        "tasks_done": 1,
    }
    assert store.report("activity", MARCH, pipeline="Sales").summary == {
        "notes": 0,
        "calls": 0,
        "messages": 0,
        "tasks_done": 1,
    }
