"""Board benchmark: 5,000 open opportunities in one pipeline.

    .venv/bin/python bench/bench_board.py [--n 5000] [--stages 6] [--moves 20]
    .venv/bin/python bench/bench_board.py --smoke     # CI: 200 cards, 3 moves (checks it runs; no timing)

Prints (headless Textual, 160×48):
- baseline: the raw sqlite3 query that reads every open card of the pipeline (what a non-paged board
  would need before painting anything);
- ms from app start to the first painted board (columns mounted, visible pages loaded, first frame);
- ms per move (shift+right through the store: history + events + totals + the two columns reloaded +
  the visible lines of both columns rendered), median and worst;
each with its ratio to the baseline measured in the same process (the machine is noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from koachify_tui.app import make_app  # noqa: E402
from koachify_tui.config import Settings  # noqa: E402
from koachify_tui.store import Store  # noqa: E402


def seed(db: Path, n: int, n_stages: int) -> None:
    store = Store.open(db)
    stage_names = [f"Stage {i + 1}" for i in range(n_stages)]
    pipeline = store.create_pipeline("Bench", stage_names)
    for p in store.list_pipelines():  # the bench pipeline is the one the board opens on
        if p.id != pipeline.id:
            store.delete_pipeline(p.id)
    with store.write():
        contacts = [store.create_contact(first_name=f"Nome{i}", last_name=f"Cognome{i}").id for i in range(500)]
    store.close()
    base = datetime(2025, 1, 1)
    rows = []
    for i in range(n):
        at = (base + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
        stage = pipeline.stages[i % n_stages].id
        rows.append(
            (contacts[i % 500], f"Deal {i}", pipeline.id, stage, 1000 * (i % 97), "EUR", "Laura", "open", "", "", at)
        )
    con = sqlite3.connect(db)
    con.executemany(
        "INSERT INTO opportunity (contact_id, title, pipeline_id, stage_id, value_minor, currency, owner, status,"
        " lost_reason, source, created_at, updated_at, last_stage_change_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(*r[:-1], r[-1], r[-1], r[-1]) for r in rows],
    )
    con.commit()
    con.close()


def baseline_ms(db: Path, repeat: int = 5) -> float:
    con = sqlite3.connect(db)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        con.execute(
            "SELECT o.id, o.title, o.value_minor, o.owner, o.last_stage_change_at, c.first_name, c.last_name"
            " FROM opportunity o JOIN contact c ON c.id = o.contact_id"
            " WHERE o.deleted_at IS NULL AND o.status = 'open' ORDER BY o.stage_id, o.last_stage_change_at DESC"
        ).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    con.close()
    return statistics.median(times)


async def run_board(db: Path, moves: int) -> tuple[float, list[float], list[float]]:
    from koachify_tui.screens.board import BoardScreen

    store = Store.open(db, origin="tui")  # as `koachify` opens it: the board skips its own moves' echo by origin
    app = make_app(Settings(db=str(db), locale="it_IT"), store, start="board")
    start = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        while not (isinstance(app.screen, BoardScreen) and app.screen.columns and app.screen.columns[0].count):
            await asyncio.sleep(0.001)
        await pilot.pause()  # the first frame is composed and rendered
        first_paint = (time.perf_counter() - start) * 1000
        board = app.screen
        assert isinstance(board, BoardScreen)
        move_ms, press_ms = [], []
        for i in range(moves):
            delta = 1 if i % 2 == 0 else -1
            t0 = time.perf_counter()
            board.action_move_stage(delta)
            for column in board.columns[:2]:
                for y in range(column.size.height):
                    column.render_line(y)
            move_ms.append((time.perf_counter() - t0) * 1000)
        idle_ms = []
        for i in range(moves):
            t0 = time.perf_counter()
            await pilot.press("L" if i % 2 == 0 else "H")
            press_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            await pilot.press("z")  # unbound: what the pilot itself costs per key (idle detection)
            idle_ms.append((time.perf_counter() - t0) * 1000)
    store.close()
    return first_paint, move_ms, [p - statistics.median(idle_ms) for p in press_ms]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--stages", type=int, default=6)
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    args = parser.parse_args()
    if args.smoke:
        args.n, args.moves = 200, 3
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        seed(db, args.n, args.stages)
        print(f"seeded {args.n} open opportunities in {args.stages} stages in {time.perf_counter() - t0:.1f} s")
        base = baseline_ms(db)
        first, moves, presses = asyncio.run(run_board(db, args.moves))
        print(f"baseline: raw sqlite3 read of every open card    {base:8.1f} ms   (1.0×)")
        print(f"first painted board (app start → first frame)     {first:8.1f} ms   ({first / base:.1f}×)")
        med, worst = statistics.median(moves), max(moves)
        print(
            f"move + totals + 2 columns reloaded and rendered   {med:8.1f} ms   ({med / base:.1f}×), worst {worst:.1f}"
        )
        pmed = statistics.median(presses)
        print(f"key press L/H minus an unbound key (pilot)     {pmed:8.1f} ms   ({pmed / base:.1f}×)")
        print(f"now: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
