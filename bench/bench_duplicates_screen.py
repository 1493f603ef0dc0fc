"""Duplicates screen benchmark: opening the screen → first group painted with its side-by-side, on N contacts
with 1 % planted duplicates (the data of bench/bench_duplicates.py).

    .venv/bin/python bench/bench_duplicates_screen.py [--contacts 100000] [--runs 3] [--db DB]
    .venv/bin/python bench/bench_duplicates_screen.py --smoke     # CI: 2,000 contacts, one round (no timing)

Prints, on a headless Textual app (120×40): the time from pushing the screen to the frame that shows the first
group and its comparison (median of --runs), against a baseline in the same process: `store.find_duplicates()`
alone (the whole list, which the screen completes in the background), `find_duplicates(strong_only=True)` (the
strong groups it paints first) and `store.merge_preview()` of the first group.
`--db` reuses a database written by `bench/bench_duplicates.py --keep DB` (its writing takes a while at 100k).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_duplicates import generate, write  # noqa: E402
from koachify_tui.app import make_app  # noqa: E402
from koachify_tui.config import Settings  # noqa: E402
from koachify_tui.store import Store  # noqa: E402


async def first_paint(store: Store, db: Path) -> float:
    """Seconds from pushing the Duplicates screen to the refresh that shows its first group side by side."""
    from koachify_tui.screens.duplicates import DuplicatesScreen
    from koachify_tui.screens.duplicates_view import CompareTable

    app = make_app(Settings(db=str(db), locale="it_IT", path=None), store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = DuplicatesScreen()
        t0 = time.perf_counter()
        app.push_screen(screen)
        while not (screen.is_mounted and screen.preview is not None and screen.query_one(CompareTable).row_count):
            await asyncio.sleep(0.002)
        painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: painted.set_result(time.perf_counter()))  # the frame that paints it
        return await painted - t0


def measure(db: Path, runs: int) -> None:
    store = Store.open(db)
    finder, strong, previews, paints = [], [], [], []
    groups = []
    for _ in range(runs):
        t0 = time.perf_counter()
        groups = store.find_duplicates()
        finder.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.find_duplicates(strong_only=True)
        strong.append(time.perf_counter() - t0)
    if groups:
        for _ in range(runs):
            t0 = time.perf_counter()
            store.merge_preview(groups[0].contact_ids)
            previews.append(time.perf_counter() - t0)
    for _ in range(runs):
        paints.append(asyncio.run(first_paint(store, db)))
    store.close()
    base, paint = statistics.median(finder), statistics.median(paints)
    print(f"groups: {len(groups)}")
    print(f"baseline find_duplicates(): {base * 1000:,.0f} ms (median of {runs})")
    print(f"find_duplicates(strong_only=True), the screen's first pass: {statistics.median(strong) * 1000:,.0f} ms")
    if previews:
        print(f"merge_preview(first group): {statistics.median(previews) * 1000:,.1f} ms")
    print(f"screen opened → first group painted: {paint * 1000:,.0f} ms (median of {runs}; worst "
          f"{max(paints) * 1000:,.0f} ms)   ratio to the finder ×{paint / base:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="an existing database (from bench_duplicates.py --keep)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    args = parser.parse_args()
    if args.smoke:
        args.contacts, args.runs = 2_000, 1
    if args.db is not None:
        measure(args.db, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dups.db"
        people, planted = generate(args.contacts)
        write(db, people)
        print(f"{len(people):,} contacts, {len(planted):,} planted duplicates")
        measure(db, args.runs)


if __name__ == "__main__":
    main()
