"""Benchmark `koachify import` end to end against a csv + sqlite3.executemany baseline.

    .venv/bin/python bench/bench_import.py            # 100k rows, 3 runs, median
    .venv/bin/python bench/bench_import.py --rows 1000000 --repeat 1
    .venv/bin/python bench/bench_import.py --big      # 100k (3 runs) and 1M (1 run)
    .venv/bin/python bench/bench_import.py --floor    # also the storage floor (see `storage_floor`)
    .venv/bin/python bench/bench_import.py --smoke    # CI: 2,000 rows once, floor included (runs; no timing)

Rows are Google Contacts export columns; 10 % are duplicates of earlier rows (email case or phone format
changed). Each import runs `koachify import` in a fresh subprocess on a new database (process start, schema
creation included); the baseline (csv + sqlite3.executemany into a plain table) runs in this process before
each import. Printed per run and as the median: end-to-end seconds, rows/s, the in-process seconds with the
importer's own breakdown (`timings` of its JSON output), baseline, ratio, the child's peak RSS (wait4) and the
largest peak of any process it ran (the parsing process `koachify import` forks for a big file included).
"parse" is, with two processes, the time the writing process waited for parsed rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name",
    "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title",
    "Organization Department", "Birthday", "Notes", "Photo", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
    "Phone 1 - Label", "Phone 1 - Value", "Address 1 - Label", "Address 1 - Formatted", "Address 1 - City",
    "Address 1 - Country",
]  # fmt: skip
FIRST = ["Mario", "Luca", "Giulia", "Anna", "Marco", "Francesca", "Paolo", "Sara", "Davide", "Chiara", "Søren", "Zoë"]
LAST = ["Rossi", "Bianchi", "Verdi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "D'Amico"]
LABELS = ["* myContacts", "* myContacts ::: Clienti", "* myContacts ::: Prospect", "* starred ::: VIP", ""]
CITIES = ["Milano", "Roma", "Torino", "Bologna", "Napoli"]


def generate(path: Path, rows: int, seed: int = 42) -> None:
    """Write `rows` Google-export rows, 10 % of them duplicates of earlier ones."""
    rnd = random.Random(seed)
    originals: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            if originals and rnd.random() < 0.10:
                row = list(rnd.choice(originals))
                if rnd.random() < 0.5:
                    row[18] = row[18].upper()  # same email, other case
                else:
                    digits = row[20].replace(" ", "").removeprefix("+39")
                    row[20] = f"+39 {digits[:3]} {digits[3:]}"  # same phone, other format
            else:
                first, last = rnd.choice(FIRST), rnd.choice(LAST)
                email = f"{first}.{last}{i}@example.com".lower().replace("'", "").replace("ø", "o").replace("ë", "e")
                phone = f"3{rnd.randint(20, 99)} {rnd.randint(1000000, 9999999)}"
                title = rnd.choice(["Coach", "CEO", ""]) if rnd.random() < 0.2 else ""
                city = rnd.choice(CITIES)
                row = [first, "", last, "", "", "", "", "", "", "", rnd.choice(["", "", "Acme srl"]), title, "", "", "",
                       "", rnd.choice(LABELS), "* Other", email, "Mobile", phone, "Home", f"Via Roma {i}\n{city}",
                       city, "Italia"]  # fmt: skip
                if len(originals) < 10000:
                    originals.append(row)
                elif rnd.random() < 0.01:
                    originals[rnd.randrange(len(originals))] = row
            writer.writerow(row)


def baseline(path: Path, db: Path) -> float:
    """csv.reader → sqlite3.executemany into a plain table, one transaction."""
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        with conn:
            conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(HEADER))})", reader)
    conn.close()
    return time.perf_counter() - start


def run_import(path: Path, db: Path) -> tuple[float, dict[str, object], float]:
    """(end-to-end seconds, the --json result, peak RSS in MB) of one `koachify import` process (the
    parsing child it forks for a big file is measured apart: see `descendants_peak_mb`)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "koachify_tui", "import", str(path), "--db", str(db), "--json"],
            stdout=subprocess.PIPE,
            stderr=err,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (its peak RSS)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"import failed: {err.read().decode(errors='replace').strip()}")
    return elapsed, json.loads(out), usage.ru_maxrss / 1024


PHASES = ("open", "parse", "apply", "write", "index", "commit", "events", "duplicates")


def descendants_peak_mb() -> float:
    """The peak RSS of the biggest process this one has waited for, its children's children included."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


_COPIED = {  # table → its columns copied as they are (ids included)
    "tag": "id, name, name_key, created_at",
    "custom_field_def": "id, entity, key, label, type, options_json, position, created_at",
    "contact": "id, first_name, last_name, company, email, email_key, phone, phone_e164, source, owner, name_key, "
    "search_text, created_at, updated_at",
    "contact_tag": "contact_id, tag_id",
    "custom_field_value": "field_id, entity_id, value_json",
    "contact_channel": "contact_id, kind, value, key, label",
    "import_batch_item": "batch_id, contact_id, action, before_json",
}


# As the writer queues each chunk's contacts for their rank, and the import ranks and indexes them at its end
# (store/name_rank.py `rank_all`: the batch is most of the table).
_QUEUE_CHUNK = "INSERT OR IGNORE INTO contact_unranked(id) SELECT id FROM contact WHERE id BETWEEN ? AND ?"
_RANK_ALL = (
    "INSERT INTO contact_fts(contact_fts) VALUES('delete-all')",
    "DELETE FROM contact_rank",
    "CREATE TEMP TABLE rank_order(pos INTEGER PRIMARY KEY, id INTEGER NOT NULL)",
    "INSERT INTO temp.rank_order(id) SELECT id FROM contact ORDER BY name_key, id",
    "INSERT INTO contact_rank(rank, id) SELECT pos * 64, id FROM rank_order ORDER BY pos",
    "DROP TABLE temp.rank_order",
    "INSERT INTO contact_fts(rowid, search_text) SELECT contact_rank.rank, contact.search_text FROM contact "
    "CROSS JOIN contact_rank ON contact_rank.id = contact.id ORDER BY contact_rank.rank",
    "DELETE FROM contact_unranked",
)


def storage_floor(imported: Path, workdir: Path) -> float:
    """Seconds to write what the import wrote, rows already made, with the importer's own SQLite strategy (random-
    order indexes and the FTS triggers dropped, rebuilt at the end; the contacts ranked and indexed at the end;
    one transaction; the WAL checkpointed): the share of an import that is storage, not parsing or dedupe."""
    from koachify_tui.store.importer.runner import FTS_TRIGGERS
    from koachify_tui.store.importer.sqlite_schema import IMPORT_DEFERRED

    source = sqlite3.connect(imported)
    data = {table: source.execute(f"SELECT {cols} FROM {table}").fetchall() for table, cols in _COPIED.items()}
    source.close()
    db = workdir / "floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([sys.executable, "-c", f"from koachify_tui.store import Store; Store.open({str(db)!r}).close()"],
                   check=True)  # fmt: skip
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("INSERT INTO import_batch (id, filename, source, options_json, counts_json, started_at) "
                 "VALUES (1, 'x', 'x', '{}', '{}', '2026-01-01')")  # fmt: skip
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    dropped = []
    for kind, names in (("trigger", FTS_TRIGGERS), ("index", IMPORT_DEFERRED)):
        for name in names:
            for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)):
                dropped.append(sql)
                conn.execute(f"DROP {kind.upper()} {name}")
    for table, cols in _COPIED.items():
        marks = ", ".join("?" * len(cols.split(",")))
        rows = data[table]
        for at in range(0, len(rows), 5000):
            conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows[at : at + 5000])
            if table == "contact":  # queued for their rank per chunk, as the writer does
                span = (rows[at][0], rows[min(at + 4999, len(rows) - 1)][0])
                conn.execute(_QUEUE_CHUNK, span)
    for sql in _RANK_ALL:
        conn.execute(sql)
    for sql in dropped:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.close()
    return time.perf_counter() - start


def bench(rows: int, workdir: Path, repeat: int, floor: bool = False) -> None:
    csv_path = workdir / f"google_{rows}.csv"
    if not csv_path.exists():
        generate(csv_path, rows)
    runs: list[tuple[float, float, float, float, dict[str, float]]] = []
    for _ in range(repeat):
        base = baseline(csv_path, workdir / f"baseline_{rows}.db")
        db = workdir / f"koachify_{rows}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        seconds, result, rss_mb = run_import(csv_path, db)
        timings: dict[str, float] = result.get("timings", {})  # type: ignore[assignment]
        in_process = float(result["seconds"])  # type: ignore[arg-type]
        runs.append((seconds, base, in_process, rss_mb, timings))
        breakdown = " ".join(f"{k} {timings[k]:.2f}" for k in PHASES if k in timings)
        mode = "2 processes" if result.get("parallel") else "1 process"
        print(
            f"{rows:>9,} rows  end-to-end {seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s  "
            f"in-process {in_process:5.2f} s ({breakdown})  baseline {base:5.2f} s  "
            f"ratio {seconds / base:4.1f}x  peak RSS {rss_mb:5.0f} MB (largest process so far "
            f"{descendants_peak_mb():.0f} MB; {mode})",
            flush=True,
        )
    if repeat > 1:
        median = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        seconds, base, in_process, rss_mb, timings = median
        base_median = statistics.median(r[1] for r in runs)
        breakdown = " ".join(f"{k} {timings[k]:.2f}" for k in PHASES if k in timings)
        print(
            f"{rows:>9,} rows  MEDIAN of {repeat}: end-to-end {seconds:.2f} s  {rows / seconds:,.0f} rows/s  "
            f"in-process {in_process:.2f} s ({breakdown})  baseline (median) {base_median:.2f} s  "
            f"ratio {seconds / base_median:.1f}x  peak RSS {max(r[3] for r in runs):.0f} MB"
        )
    print(f"counts: {json.dumps(result['counts'])}")
    if floor:
        base = baseline(csv_path, workdir / f"baseline_{rows}.db")
        seconds = storage_floor(workdir / f"koachify_{rows}.db", workdir)
        print(f"{rows:>9,} rows  storage floor {seconds:.2f} s (the rows the import wrote, written again by "
              f"executemany with its strategy)  baseline {base:.2f} s  ratio {seconds / base:.1f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also run 1,000,000 rows (once)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median printed); 1M runs once")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    parser.add_argument("--floor", action="store_true", help="also time the storage floor (see `storage_floor`)")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat, args.big, args.floor = 2000, 1, False, True
    sizes = [args.rows] + ([1_000_000] if args.big and args.rows != 1_000_000 else [])
    with tempfile.TemporaryDirectory(prefix="koachify-bench-") as tmp:
        workdir = args.dir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KOACHIFY_CONFIG", str(workdir / "config.toml"))
        for size in sizes:
            bench(size, workdir, args.repeat if size < 1_000_000 else 1, args.floor)


if __name__ == "__main__":
    main()
