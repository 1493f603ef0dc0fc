"""Start-up costs: scripted CLI commands and the TUI's first painted contact list, on a demo database.

Each figure is the median of N fresh processes, printed beside a same-run baseline (`python -c pass`) so
noisy machines still give comparable ratios.

    python bench/bench_startup.py [--runs 5] [--contacts 200]
    python bench/bench_startup.py --smoke     # CI: one run of each (checks it runs; no timing)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST_PAINT = """
import time, sys
t0 = float(sys.argv[1])
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.widgets.contact_table import ContactTable

async def auto_pilot(pilot):
    table = pilot.app.screen.query_one(ContactTable)
    while table.row_count == 0:
        await pilot.pause(0.005)
    await pilot.pause()  # one more refresh: the rows are painted
    print(f"{(time.time() - t0) * 1000:.0f}")
    pilot.app.exit()

db = sys.argv[2]
app = make_app(Settings(db=db, path=None), Store.open(db))
app.run(headless=True, size=(160, 48), auto_pilot=auto_pilot)
"""


def median_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.contacts = 1, 50
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.db")
        koachify = [sys.executable, "-m", "koachify_tui"]
        subprocess.run(
            [*koachify, "demo", "--db", db, "--no-open", "--contacts", str(args.contacts)],
            check=True,
            capture_output=True,
        )
        baseline = median_ms([sys.executable, "-c", "pass"], args.runs)
        rows = [
            ("python -c pass (baseline)", baseline),
            ("koachify --help", median_ms([*koachify, "--help"], args.runs)),
            (
                "koachify contacts list --json",
                median_ms([*koachify, "contacts", "list", "--db", db, "--json"], args.runs),
            ),
            (
                "koachify pipelines list --json",
                median_ms([*koachify, "pipelines", "list", "--db", db, "--json"], args.runs),
            ),
        ]
        paints = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", FIRST_PAINT, str(time.time()), db], check=True, capture_output=True, text=True
            ).stdout
            paints.append(float(out.strip().splitlines()[-1]))
        rows.append(("TUI: launch → first painted contact list", statistics.median(paints)))
    print(f"{'what':<45} {'ms (median)':>12} {'× baseline':>11}")
    for label, ms in rows:
        print(f"{label:<45} {ms:>12.0f} {ms / baseline:>11.1f}")


if __name__ == "__main__":
    main()
