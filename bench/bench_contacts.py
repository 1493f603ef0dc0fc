"""Contacts screen benchmark: 100k contacts (or --contacts N) in a temporary SQLite file.

Measures, on a headless Textual app:
- launch → first painted contact list (fresh process, median of --runs), against a same-machine baseline: a
  fresh `python -c` process that opens the file with sqlite3 and reads the first page;
- one search keystroke: SQL (page + capped count) and repaint, for prefixes and a phone in another format,
  against the raw sqlite3 FTS5 query for the same term. The term is typed into the search box as a user does
  (its echo paints at once); the keystroke's clock starts when the debounce runs the search and stops at the
  first frame written after the table drew the new page;
- opening a contact with 500 timeline entries in the detail pane (SQL + paint);
- peak RSS of the app process.

    .venv/bin/python bench/bench_contacts.py [--contacts 100000] [--runs 3] [--keep /tmp/bench.db]

`--pages DB` measures only one search page through the store (`list_contacts(ContactQuery(search=…), limit=50)`,
every sort order) on an existing database, e.g. one made by `bench/bench_import.py --dir D` (D/koachify_N.db):

    .venv/bin/python bench/bench_contacts.py --pages /tmp/b/koachify_1000000.db [--runs 5] [--terms ario,3331]
    .venv/bin/python bench/bench_contacts.py --smoke     # CI: 2,000 contacts, one round (no timing)
    .venv/bin/python bench/bench_contacts.py --keep F --keystrokes   # only the keystrokes and the detail
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FIRST = ["Mario", "Giulia", "Luca", "Anna", "Marco", "Sara", "Paolo", "Chiara", "Andrea", "Elena", "Sofia", "Matteo"]
LAST = ["Rossi", "Bianchi", "Verdi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco"]
COMPANIES = ["", "", "Yoga Città", "Acme Ltd", "Studio Bianchi", "Mindset Academy", "Osteria da Gino"]
SOURCES = ["Instagram", "Facebook Ads", "Passaparola", "Sito web", "Evento"]
TAGS = ["vip", "lead", "cliente", "newsletter", "evento-2026"]


def ts(dt: datetime) -> str:
    """How SQLAlchemy's DateTime stores a naive UTC value on SQLite."""
    return dt.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: Path, n: int) -> int:
    """Fill a fresh database with `n` contacts via raw sqlite3; returns the id of the 500-entry contact."""
    from koachify_tui.store import Store
    from koachify_tui.store.normalize import fold, name_key
    from koachify_tui.store.search import haystack

    store = Store.open(path)
    pipeline = store.list_pipelines()[0]
    stage_ids = [s.id for s in pipeline.stages]
    rng = random.Random(42)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO tag(id, name, name_key, created_at) VALUES (?, ?, ?, ?)",
            [(k + 1, t, t, ts(base)) for k, t in enumerate(TAGS)],
        )
    for chunk in range(1, n + 1, 50_000):  # chunks keep memory flat at 1M rows
        rows = []
        tag_links = []
        for i in range(chunk, min(chunk + 50_000, n + 1)):
            first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
            email = f"{first}.{last}{i}@example.it".lower()
            e164 = f"+393{rng.randrange(10**8, 10**9)}"
            tags = [rng.choice(TAGS)] if rng.random() < 0.2 else []
            # phone_search_keys() via phonenumbers costs ~22 µs; for Italian mobiles it is just these two strings.
            digits = f"{e164[1:]} {e164[3:]}"
            search_text = haystack(first, last, company, [email], [], tags) + f" | {digits}"
            created = base + timedelta(minutes=i * 7)
            activity = created + timedelta(days=rng.randrange(0, 300)) if rng.random() < 0.6 else None
            rows.append(
                (
                    i,
                    first,
                    last,
                    company,
                    email,
                    fold(email),
                    e164,
                    e164,
                    rng.choice(SOURCES),
                    "",
                    name_key(first, last, company),
                    search_text,
                    ts(created),
                    ts(created),
                    ts(activity) if activity else None,
                )
            )
            tag_links += [(i, TAGS.index(t) + 1) for t in tags]
        with conn:
            conn.executemany(
                "INSERT INTO contact(id, first_name, last_name, company, email, email_key, phone, phone_e164, source,"
                " owner, name_key, search_text, created_at, updated_at, last_activity_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany("INSERT INTO contact_tag(contact_id, tag_id) VALUES (?, ?)", tag_links)
    with conn:
        opps = [
            (i, f"Percorso {i}", pipeline.id, rng.choice(stage_ids), 150000, "EUR", "open", ts(base), ts(base))
            for i in rng.sample(range(1, n + 1), min(n, 5000))
        ]
        conn.executemany(
            "INSERT INTO opportunity(contact_id, title, pipeline_id, stage_id, value_minor, currency, status,"
            " owner, source, lost_reason, created_at, updated_at, last_stage_change_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?, ?)",
            [(*o[:8], o[8], o[8]) for o in opps],
        )
    conn.close()
    # The busy contact: 500 timeline entries across the contact and two deals, through the store API.
    busy = store.create_contact(first_name="Zelda", last_name="Busy", email="zelda@example.it")
    assert busy.id is not None
    deals = [store.create_opportunity(busy.id, t, pipeline.id).id for t in ("Mastermind", "Corso")]
    with store.write():
        for k in range(496):
            at = base + timedelta(hours=k)
            target = {"opportunity_id": deals[k % 2]} if k % 3 else {"contact_id": busy.id}
            if k % 4 == 0:
                store.add_note(f"Nota {k}", at=at, **target)  # type: ignore[arg-type]
            elif k % 4 == 1:
                store.add_task(f"Task {k}", due_at=at, at=at, **target)  # type: ignore[arg-type]
            elif k % 4 == 2:
                store.log_message(f"Messaggio {k}", at=at, **target)  # type: ignore[arg-type]
            else:
                store.add_history("automation", f"Regola {k}", **target)  # type: ignore[arg-type]
    store.close()
    return busy.id


# --- child: launch to first paint -------------------------------------------------------------------------


def child_first_paint(db: str) -> None:
    """Run the real app headless; print seconds since the parent's launch stamp when the list has painted."""
    launched = float(sys.argv[sys.argv.index("--launched") + 1])
    import gc

    gc.disable()  # as `koachify` (cli.run_tui) does before the heavy imports; the app resumes it after the first frame
    from koachify_tui.app import make_app
    from koachify_tui.config import Settings
    from koachify_tui.store import Store
    from koachify_tui.widgets.contact_table import ContactTable

    imported = time.time() - launched
    app = make_app(Settings(db=db, locale="it_IT", path=None), Store.open(db, seed=False))
    original_render, original_display = ContactTable.render_lines, app._display
    state = {"rendered": False, "done": False}

    # Painted = the first frame written after the table drew lines holding rows.
    def render_lines(self: ContactTable, crop: Any) -> Any:
        if self.row_count:
            state["rendered"] = True
        return original_render(self, crop)

    def display(*args: Any, **kwargs: Any) -> Any:
        result = original_display(*args, **kwargs)
        if state["rendered"] and not state["done"]:
            state["done"] = True
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{time.time() - launched:.4f} {rss:.1f} {imported:.4f}", flush=True)
            app.exit()
        return result

    ContactTable.render_lines = render_lines  # type: ignore[method-assign]
    app._display = display  # type: ignore[method-assign]
    app.run(headless=True, size=(160, 48))


def launch(args: list[str]) -> str:
    stamp = time.time()
    out = subprocess.run([sys.executable, *args, "--launched", str(stamp)], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


BASELINE = """
import sqlite3, sys, time
launched = float(sys.argv[sys.argv.index('--launched') + 1])
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute('SELECT * FROM contact WHERE deleted_at IS NULL ORDER BY name_key, id LIMIT 100').fetchall()
n = conn.execute('SELECT count(*) FROM contact WHERE deleted_at IS NULL').fetchone()[0]
print(f'{time.time() - launched:.4f} 0 0')
"""


# --- in-process: keystrokes and the detail ----------------------------------------------------------------


async def settle(app: Any) -> None:
    """Wait for the app's workers; one cancelled by a newer load (a slow machine) is fine."""
    from textual.worker import WorkerCancelled

    with contextlib.suppress(WorkerCancelled):
        await app.workers.wait_for_complete()


def forget_display_caches(table: Any) -> None:
    """Empty what the list caches for display (formatted phones and dates): `--cold` measures each keystroke
    as one that brings contacts the app has not shown yet."""
    from koachify_tui import formatting

    for name in ("phone", "_day_short"):  # (before a16e6ea: two lru_cache layers on phone)
        cached: Any = getattr(formatting, name, None)
        while hasattr(cached, "cache_clear"):
            cached.cache_clear()
            cached = getattr(cached, "__wrapped__", None)
    getattr(table, "_date_cache", {}).clear()  # the table's own, before formatting cached dates by day


def new_rows_cost(store: Any, table: Any, pages: int = 20) -> list[float]:
    """Seconds a page of 100 contacts not shown before costs the list's own Python, outside the event loop: the
    column widths of the window (a phone formatted per row) and the cells of 45 drawn lines (their dates)."""
    from koachify_tui.store import ContactQuery

    saved = table.rows_loaded
    times = []
    for i in range(pages):
        rows = store.list_contacts(ContactQuery(), limit=100, offset=100 * (i + 1))
        forget_display_caches(table)
        table.rows_loaded = rows
        t0 = time.perf_counter()
        table._content_widths()
        for row in rows[:45]:
            table._cells(row)
        times.append(time.perf_counter() - t0)
    table.rows_loaded = saved
    return times


async def in_process(
    db: str, busy_id: int, width: int = 180, rounds: int = 3, *, cold: bool = False
) -> dict[str, list[float]]:
    from textual.widgets import Input

    from koachify_tui.app import make_app
    from koachify_tui.config import Settings
    from koachify_tui.screens.contact_detail import ContactDetailPane
    from koachify_tui.screens.contacts import COUNT_CAP, ContactsScreen
    from koachify_tui.store import ContactQuery, Store
    from koachify_tui.widgets.contact_table import WINDOW, ContactTable

    gc.disable()  # as `cli.run_tui` does: the app freezes the start-up heap and turns it back on after frame one
    store = Store.open(db, seed=False)
    app = make_app(Settings(db=db, locale="it_IT", path=None), store)
    results: dict[str, list[float]] = {}
    raw = sqlite3.connect(db)
    # The naive query's candidates: the index's rowid is a name rank since migration 0010, a contact id before.
    ranked = raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'contact_rank'").fetchone() is not None
    fts_ids = (
        "SELECT contact_rank.id FROM contact_fts CROSS JOIN contact_rank ON contact_rank.rank = contact_fts.rowid"
        if ranked
        else "SELECT rowid FROM contact_fts"
    ) + " WHERE contact_fts MATCH ?"
    marks: dict[str, float] = {}
    original = ContactTable.show_page

    def show_page(self: ContactTable, *args: object, **kwargs: object) -> None:
        marks["rows"] = time.perf_counter()
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        marks["filled"] = time.perf_counter()

    # "Painted" = the first frame written after the table drew its lines for the new page. (call_after_refresh
    # is not that: it can run before the compositor picks up the table's dirty region.)
    original_render = ContactTable.render_lines

    def render_lines(self: ContactTable, crop: Any) -> Any:
        if "filled" in marks:
            marks.setdefault("rendered", time.perf_counter())
        return original_render(self, crop)

    ContactTable.show_page = show_page  # type: ignore[method-assign]
    ContactTable.render_lines = render_lines  # type: ignore[method-assign]
    original_display = app._display

    def display(*args: Any, **kwargs: Any) -> Any:
        result = original_display(*args, **kwargs)
        if "rendered" in marks:
            marks.setdefault("painted", time.perf_counter())
        return result

    app._display = display  # type: ignore[method-assign]
    async with app.run_test(size=(width, 48)) as pilot:
        await pilot.pause(0.5)
        await settle(app)
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        reload = screen.reload

        def timed_reload(*args: Any, **kwargs: Any) -> None:
            marks.setdefault("reload", time.perf_counter())  # a keystroke's clock starts when its search runs
            reload(*args, **kwargs)

        screen.reload = timed_reload  # type: ignore[method-assign]
        search = screen.query_one("#contact-search", Input)
        terms = ["m", "ma", "mar", "mari", "mario", "mario r", "333 12", "ferrari9", "zzz"]
        for _round in range(rounds):
            for term in terms:
                t0 = time.perf_counter()
                store.list_contacts(ContactQuery(search=term), limit=WINDOW)
                results.setdefault(f"sql   '{term}' page", []).append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                store.count_contacts_capped(ContactQuery(search=term), cap=COUNT_CAP)
                results.setdefault(f"sql   '{term}' capped count", []).append(time.perf_counter() - t0)
                if cold:
                    forget_display_caches(screen.table)
                marks.clear()
                search.value = term  # as typed: the box repaints now, the debounce fires the search later
                while "painted" not in marks:
                    await asyncio.sleep(0.0005)
                t0 = marks["reload"]
                results.setdefault(f"key   '{term}' → painted", []).append(marks["painted"] - t0)
                results.setdefault(f"      '{term}' of which fill+paint", []).append(marks["painted"] - marks["rows"])
                await settle(app)
                await pilot.pause(0.15)
                fts = term.replace(" ", "") if term[0].isdigit() else term
                t0 = time.perf_counter()
                if len(fts) >= 3:  # the index has detail=none: a term is asked as its trigrams, then checked
                    grams = " AND ".join(dict.fromkeys(f'"{fts[i : i + 3]}"' for i in range(len(fts) - 2)))
                    raw.execute(
                        f"SELECT c.* FROM contact c WHERE c.id IN ({fts_ids}) AND search_text LIKE ?"
                        " AND deleted_at IS NULL ORDER BY name_key LIMIT 60",
                        (grams, f"%{fts}%"),
                    ).fetchall()
                else:
                    raw.execute(
                        "SELECT * FROM contact WHERE search_text LIKE ? AND deleted_at IS NULL ORDER BY name_key"
                        " LIMIT 60",
                        (f"%{fts}%",),
                    ).fetchall()
                results.setdefault(f"raw   '{term}' sqlite3 page", []).append(time.perf_counter() - t0)
        results["fill  100 new rows: widths + 45 lines"] = new_rows_cost(store, screen.table)
        with search.prevent(Input.Changed):
            search.value = ""
        # paging: `G` jumps to the end of the 100k list (read backwards from the end)
        await pilot.pause(0.3)
        for _round in range(rounds):
            await settle(app)
            marks.clear()
            t0 = time.perf_counter()
            screen.reload(start=max(screen.table.total - WINDOW // 2, 0), cursor=screen.table.total - 1, count=False)
            while "painted" not in marks:
                await asyncio.sleep(0.0005)
            results.setdefault("page  G: end of list → painted", []).append(marks["painted"] - t0)
            await pilot.pause(0.2)
            screen.reload(start=0, cursor=0, count=False)
            await settle(app)
            await pilot.pause(0.2)
        pane = screen.query_one(ContactDetailPane)
        await pilot.pause(0.3)  # let the pane's own debounced follow-the-cursor load finish first
        await settle(app)
        shown = pane._show

        def detail_shown(*args: object) -> None:
            shown(*args)  # type: ignore[arg-type]
            marks["detail-data"] = time.perf_counter()
            pane.call_after_refresh(lambda: marks.__setitem__("detail", time.perf_counter()))

        pane._show = detail_shown  # type: ignore[method-assign]
        for _round in range(rounds + 2 if rounds > 1 else 1):
            pane.show_contact(None)
            await pilot.pause(0.1)
            marks.clear()
            t0 = time.perf_counter()
            pane.show_contact(busy_id)
            while "detail" not in marks:
                await asyncio.sleep(0.0005)
            results.setdefault("detail 500-entry contact → painted", []).append(marks["detail"] - t0)
            results.setdefault("       of which read (worker)", []).append(marks["detail-data"] - t0)
            assert pane.data is not None and len(pane.data.timeline) > 0
        for _round in range(rounds + 2 if rounds > 1 else 1):
            t0 = time.perf_counter()
            store.timeline(busy_id, limit=50)
            results.setdefault("detail sql only (timeline page)", []).append(time.perf_counter() - t0)
    results["rss MB in-process"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
    return results


PAGE_TERMS = ["m", "mar", "mario", "rossi", "niccolò", "example", "qq"]
SORTS = [("name", False), ("name", True), ("created", False), ("created", True), ("last_activity", True)]


def store_pages(db: str, runs: int, terms: list[str] = PAGE_TERMS) -> None:
    """One page of 50 per term and sort order through the store, warm, median of `runs`: wall and CPU time of
    this process (on a loaded machine the wall time mostly waits for a core); the baseline is the raw sqlite3
    first page without a search (the same in every sort order)."""
    from koachify_tui.store import ContactQuery, Store

    store = Store.open(db, seed=False)
    raw = sqlite3.connect(db)
    base: list[float] = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        raw.execute("SELECT * FROM contact WHERE deleted_at IS NULL ORDER BY name_key, id LIMIT 50").fetchall()
        base.append(time.perf_counter() - t0)
    base_ms = statistics.median(base[1:]) * 1000
    n = raw.execute("SELECT count(*) FROM contact").fetchone()[0]
    print(f"one search page of 50 through the store, {n:,} contacts, median of {runs} (warm): wall ms / CPU ms")
    print(f"baseline: raw sqlite3 first page, no search: {base_ms:.2f} ms")
    print(f"{'term':10} " + " ".join(f"{s + (' desc' if d else ''):>18}" for s, d in SORTS))
    worst = worst_cpu = 0.0
    for term in terms:
        cells = []
        for sort, desc in SORTS:
            q = ContactQuery(search=term, sort=sort, descending=desc)
            wall, cpu = [], []
            for _ in range(runs + 1):  # the first run warms the cache
                t0, c0 = time.perf_counter(), time.process_time()
                store.list_contacts(q, limit=50)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            ms, cpu_ms = statistics.median(wall[1:]) * 1000, statistics.median(cpu[1:]) * 1000
            worst, worst_cpu = max(worst, ms), max(worst_cpu, cpu_ms)
            cells.append(f"{ms:7.1f} / {cpu_ms:6.1f}")
        print(f"{term:10} " + " ".join(f"{c:>18}" for c in cells))
    print(f"worst page {worst:.1f} ms wall, {worst_cpu:.1f} ms CPU (×{worst / base_ms:.0f} the baseline)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="database file to create or reuse")
    parser.add_argument("--width", type=int, default=180, help="terminal width (≥150 shows the detail pane)")
    parser.add_argument("--pages", metavar="DB", help="only the store's search pages on an existing database")
    parser.add_argument("--terms", help="with --pages: comma-separated search terms instead of the default set")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    parser.add_argument("--keystrokes", action="store_true", help="only the in-process part (keystrokes, detail)")
    parser.add_argument("--cold", action="store_true", help="empty the list's display caches before each keystroke")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--launched", help=argparse.SUPPRESS)
    parser.add_argument("db", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "first-paint":
        child_first_paint(args.db)
        return
    if args.pages:
        store_pages(args.pages, args.runs, args.terms.split(",") if args.terms else PAGE_TERMS)
        return
    if args.smoke:
        args.contacts, args.runs, args.cold = 2000, 1, True  # (the cold path runs the warm one's code too)
    tmp = tempfile.TemporaryDirectory()
    path = args.keep or Path(tmp.name) / "bench.db"
    busy_file = path.with_suffix(".busy")
    if path.exists() and busy_file.exists():
        busy_id = int(busy_file.read_text())
        print(f"reusing {path}")
    else:
        t0 = time.perf_counter()
        busy_id = generate(path, args.contacts)
        busy_file.write_text(str(busy_id))
        print(f"generated {args.contacts:,} contacts in {time.perf_counter() - t0:.1f} s → {path}")

    if args.keystrokes:
        print_keystrokes(asyncio.run(in_process(str(path), busy_id, args.width, args.runs, cold=args.cold)), args.runs)
        return
    paints, rss, base, imports = [], [], [], []
    for _ in range(args.runs):
        seconds, mb, imported = launch([__file__, "--child", "first-paint", str(path)]).split()
        paints.append(float(seconds))
        rss.append(float(mb))
        imports.append(float(imported))
        base.append(float(launch(["-c", BASELINE, str(path)]).split()[0]))
    app_ms, base_ms = statistics.median(paints) * 1000, statistics.median(base) * 1000
    imp_ms = statistics.median(imports) * 1000
    print(f"\nlaunch → first painted list: {app_ms:7.0f} ms   (of which Python start + imports {imp_ms:.0f} ms)")
    print(f"baseline python+sqlite3 first page: {base_ms:.0f} ms; ×{app_ms / base_ms:.1f}")
    print(f"peak RSS of the app at first paint: {max(rss):.0f} MB")

    print_keystrokes(asyncio.run(in_process(str(path), busy_id, args.width, args.runs, cold=args.cold)), args.runs)
    store_pages(str(path), max(args.runs, 3))


def print_keystrokes(results: dict[str, list[float]], runs: int) -> None:
    print(f"\nper keystroke (median of {runs}): key = page read in the worker + fill + paint (count follows)")
    for name, values in results.items():
        if name.startswith("rss"):
            print(f"{name:36} {values[0]:7.0f}")
        else:
            print(f"{name:36} {statistics.median(values) * 1000:7.1f} ms")
    keys = [statistics.median(v) for k, v in results.items() if k.startswith("key")]
    raws = [statistics.median(v) for k, v in results.items() if k.startswith("raw")]
    print(f"median keystroke {statistics.median(keys) * 1000:.1f} ms")
    ratio = statistics.mean(keys) / statistics.mean(raws)
    print(f"\nworst keystroke {max(keys) * 1000:.1f} ms; mean ratio key/raw ×{ratio:.1f}\n")


if __name__ == "__main__":
    main()
