"""Reports benchmark: every report over a year of data, and the Reports screen's first chart.

    .venv/bin/python bench/bench_reports.py [--contacts 100000] [--deals 10000] [--repeat 5]
    .venv/bin/python bench/bench_reports.py --contacts 500 --deals 100 --repeat 1     # smoke size

Seeds (raw sqlite3, one transaction) contacts created over the last 365 days with 8 sources, deals in two
pipelines with stage-change history (skips and moves back), won/lost/abandoned with reasons, 5% in USD, and
notes, messages and done tasks. Prints, for the period "all" (the widest) and "this month":
- baseline: a raw sqlite3 `GROUP BY status` over every deal (the cheapest honest aggregate over the same rows);
- each report through `Store.report` (median of --repeat warm runs), in ms and as a ratio to the baseline;
- ms from app start to the Reports screen's first chart painted (headless, 160×48), as a ratio to the same for
  the Agenda screen (the simplest screen) in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from koachify_tui.store import Store  # noqa: E402
from koachify_tui.store.report_types import REPORT_NAMES  # noqa: E402

SOURCES = ["Form", "Funnel", "Facebook Ads", "Instagram", "Chat", "Referral", "Webinar", ""]
REASONS = ["Prezzo", "Altro coach", "Non è il momento", "No response"]


def _fmt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(db: Path, n_contacts: int, n_deals: int, now: datetime) -> None:
    store = Store.open(db)
    second = store.create_pipeline("Corsi", ["Iscritto", "Call", "Offerta", "Acquistato"])
    pipelines = [store.list_pipelines()[0], second]
    store.close()
    rng = random.Random(17)
    con = sqlite3.connect(db)
    contacts = []
    for i in range(n_contacts):
        at = _fmt(now - timedelta(days=rng.random() * 365))
        contacts.append((f"Nome{i}", f"Cognome{i}", rng.choice(SOURCES), f"nome{i} cognome{i}", at, at))
    con.executemany(
        "INSERT INTO contact (first_name, last_name, company, email, phone, source, owner, name_key, search_text,"
        " created_at, updated_at) VALUES (?, ?, '', '', '', ?, '', ?, '', ?, ?)",
        contacts,
    )
    history: list[tuple[object, ...]] = []
    for i in range(n_deals):
        _seed_deal(con, rng, pipelines[i % 3 == 2], 1 + rng.randrange(n_contacts), now, history)
    con.executemany(
        "INSERT INTO history_entry (contact_id, opportunity_id, kind, at, actor, from_value, to_value, text,"
        " data_json) VALUES (?, ?, ?, ?, 'bench', '', '', '', ?)",
        history,
    )
    notes = [
        (1 + rng.randrange(n_contacts), "nota", _fmt(now - timedelta(days=rng.random() * 365)))
        for _ in range(n_deals * 2)
    ]
    con.executemany(
        "INSERT INTO note (contact_id, body, author, created_at, updated_at) VALUES (?, ?, '', ?, ?3)", notes
    )
    messages = [
        (
            1 + rng.randrange(n_contacts),
            rng.choice(["call", "email", "whatsapp"]),
            _fmt(now - timedelta(days=rng.random() * 365)),
        )
        for _ in range(n_deals * 2)
    ]
    con.executemany(
        "INSERT INTO message (contact_id, channel, direction, subject, body, at, read, created_at)"
        " VALUES (?, ?, 'in', '', '', ?, 0, ?3)",
        messages,
    )
    con.commit()
    con.close()


def _seed_deal(
    con: sqlite3.Connection, rng: random.Random, p: object, cid: int, now: datetime, history: list[tuple[object, ...]]
) -> None:
    stages = p.stages  # type: ignore[attr-defined]
    created = now - timedelta(days=rng.random() * 365)
    at, current = created, 0
    moves = []
    for _ in range(rng.randint(0, len(stages))):
        nxt = min(len(stages) - 1, max(0, current + rng.choice([1, 1, 2, -1])))
        if nxt == current:
            continue
        at = min(at + timedelta(days=rng.random() * 20), now)
        moves.append((stages[current].id, stages[nxt].id, at))
        current = nxt
    roll = rng.random()
    status = "won" if roll < 0.3 else "lost" if roll < 0.5 else "abandoned" if roll < 0.6 else "open"
    closed = min(at + timedelta(days=rng.random() * 10), now) if status != "open" else None
    cur = con.execute(
        "INSERT INTO opportunity (contact_id, title, pipeline_id, stage_id, value_minor, currency, owner, status,"
        " lost_reason, source, created_at, updated_at, last_stage_change_at, closed_at)"
        " VALUES (?, 'Deal', ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)",
        (
            cid,
            p.id,  # type: ignore[attr-defined]
            stages[current].id,
            rng.choice([30000, 49700, 90000, 150000]),
            "USD" if rng.random() < 0.05 else "EUR",
            status,
            rng.choice(REASONS) if status == "lost" else "",
            rng.choice(SOURCES),
            _fmt(created),
            _fmt(closed or at),
            _fmt(at),
            _fmt(closed) if closed else None,
        ),
    )
    oid = cur.lastrowid
    history.append((cid, oid, "created", _fmt(created), "{}"))
    for from_id, to_id, when in moves:
        data = json.dumps({"from_stage_id": from_id, "to_stage_id": to_id})
        history.append((cid, oid, "stage_change", _fmt(when), data))
    if closed:
        history.append((cid, oid, "status_change", _fmt(closed), "{}"))


def baseline_ms(db: Path, repeat: int) -> float:
    con = sqlite3.connect(db)
    times = []
    for _ in range(max(repeat, 3)):
        t0 = time.perf_counter()
        con.execute(
            "SELECT status, count(*), sum(value_minor) FROM opportunity WHERE deleted_at IS NULL GROUP BY status"
        ).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    con.close()
    return statistics.median(times)


def report_ms(store: Store, name: str, kind: str, repeat: int) -> float:
    period = store.report_period(kind)
    store.report(name, period)  # warm: statement cache, pages in the OS cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        store.report(name, period)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


async def first_frame_ms(db: Path, start: str) -> float:
    """App start → first frame of a screen: "reports" (its first chart drawn) or "agenda" (the baseline: the
    simplest screen, one small query and a table)."""
    from koachify_tui.app import make_app
    from koachify_tui.config import Settings
    from koachify_tui.screens.reports import ReportsScreen

    store = Store.open(db)
    app = make_app(Settings(db=str(db), locale="it_IT"), store, start=start)
    t0 = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        if start == "reports":
            while not (isinstance(app.screen, ReportsScreen) and app.screen.report is not None):
                await asyncio.sleep(0.001)
        else:
            await app.workers.wait_for_complete()
        await pilot.pause()  # the chart (or table) is rendered in the next frame
        elapsed = (time.perf_counter() - t0) * 1000
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        seed(db, args.contacts, args.deals, now)
        print(f"seeded {args.contacts} contacts, {args.deals} deals in {time.perf_counter() - t0:.1f} s")
        base = baseline_ms(db, args.repeat)
        print(f"baseline: raw sqlite3 GROUP BY status over every deal   {base:8.2f} ms   (1.0×)")
        store = Store.open(db)
        worst = 0.0
        for kind in ("all", "month"):
            for name in REPORT_NAMES:
                ms = report_ms(store, name, kind, args.repeat)
                worst = max(worst, ms)
                print(f"{name:>9} ({kind:>5})                                   {ms:8.1f} ms   ({ms / base:.0f}×)")
        store.close()
        agenda = asyncio.run(first_frame_ms(db, "agenda"))
        first = asyncio.run(first_frame_ms(db, "reports"))
        print(f"baseline 2: app start → first Agenda frame             {agenda:8.1f} ms   (1.0×)")
        print(
            f"first chart painted (app start → Reports frame)         {first:8.1f} ms   ({first / agenda:.2f}× Agenda)"
        )
        print(f"slowest report {worst:.1f} ms (target < 200 ms); first chart {first:.0f} ms (target < 1000 ms)")
        print(f"now: {now:%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
