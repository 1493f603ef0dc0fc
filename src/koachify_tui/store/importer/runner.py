"""`run_import`: one file → one batch in one transaction, with counts, rejects, warnings and events."""

from __future__ import annotations

import csv
import gc
import json
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, insert, text, update

from ...i18n import _
from .. import name_rank, versions
from ..db import defer_checkpoint
from ..events import ContactCreated, ContactUpdated, ImportCompleted
from ..models import ImportBatch, utcnow
from ..normalize import clean_text
from .mapping import Column
from .options import DEFAULT_SOURCE, ImportOptions, prepare
from .producer import Chunk, ParserChild, parse_chunks, parse_in_child, worth_forking
from .reader import CsvFile, FileError
from .rows import Reject, RowParser
from .sqlite_schema import IMPORT_DEFERRED, drop, recreate
from .writer import POLICIES, BatchWriter, Counts

T_BATCH = ImportBatch.__table__  # type: ignore[attr-defined]
KEEP = 1000  # rejects/warnings kept in memory for display; the report file gets them all
EVENT_CHUNK = 5000

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    file: str
    encoding: str
    delimiter: str
    columns: list[Column]
    counts: Counts
    batch_id: int | None = None
    dry_run: bool = False
    parallel: bool = False  # the rows were parsed in a second process
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    new_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the file: lines skipped before the header, columns
    # Values that were no identity → rows carrying them: "placeholders", "shared" (by several people),
    # "shared_numbers" (phones of rows kept apart from a contact with the same number).
    findings: dict[str, dict[str, int]] = field(default_factory=dict)
    decisions: list[tuple[int, str]] = field(default_factory=list)  # (line, the merge it makes), the first 1000
    seconds: float = 0.0  # the whole call, events included
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (see `run_import`)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch_id": self.batch_id,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "mapping": [{"column": c.header, "field": c.target, "label": c.custom_label} for c in self.columns],
            "counts": self.counts.as_dict(),
            "new_custom_fields": self.new_fields,
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects],
            "warnings": [{"line": line, "message": m} for line, m in self.warnings],
            "notes": self.notes,
            "findings": self.findings,
            "decisions": [{"line": line, "decision": text} for line, text in self.decisions],
            "parallel": self.parallel,
            "seconds": round(self.seconds, 3),
            "timings": {phase: round(seconds, 3) for phase, seconds in self.timings.items()},
        }


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def write_rejects_header(writer: Any, header: list[str]) -> None:
    writer.writerow([_("line"), _("reason"), *header])


# The search index triggers the writer replaces with bulk statements (the delete trigger stays: nothing is
# deleted). The new and renamed contacts are ranked and indexed once, at the end (`name_rank.rank_pending`).
FTS_TRIGGERS = ("contact_fts_ai", "contact_fts_au", "contact_fts_an")
BYTES_PER_ROW = 150  # to estimate a file's rows from its size (a Google export row is ~150 bytes)
GC_YOUNG_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_users = 0
_gc_threshold: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def _gc_tuned() -> Iterator[None]:
    """Keep the cyclic garbage collector off the hundreds of thousands of objects the process already has
    (SQLAlchemy, phonenumbers' metadata…) and collect the young ones less often: an import makes millions of
    short-lived, acyclic objects, and full collections over the whole heap cost ~20 % of a 100k-row import.
    Reference counting still frees them; cycles made meanwhile are collected after."""
    global _gc_users, _gc_threshold  # noqa: PLW0603 - one process-wide setting, shared by concurrent imports
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_gc_threshold[0], GC_YOUNG_THRESHOLD), *_gc_threshold[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_threshold)
                gc.unfreeze()


@contextmanager
def _sqlite_bulk_mode(conn: Connection, expected_rows: int) -> Iterator[tuple[bool, Callable[[], None]]]:
    """On SQLite: a bigger page cache, the FTS insert/update triggers replaced by bulk statements (the writer
    indexes each chunk's new contacts) and, for a batch at least as big as the table, the indexes dedupe
    never reads whose keys come in random order built once at the end (`sqlite_schema.IMPORT_DEFERRED`).

    Row-by-row FTS5 trigram indexing through the trigger costs ~85 µs a contact (8.5 s per 100k); one
    INSERT … SELECT per chunk costs ~5 µs. Likewise a B-tree built from sorted rows costs a fraction of one
    grown by random inserts (at 1M rows, most of the contact insert time). Triggers and indexes are read
    back from the schema and re-created in the same transaction, so a crash rolls everything back, them
    included. Yields (whether the writer keeps the FTS index itself, `restore()`: re-create what was dropped)."""
    if conn.dialect.name != "sqlite":
        yield False, lambda: None
        return
    previous_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size=-65536")  # 64 MiB: index pages of a 1M-row table stay hot

    defer_checkpoint(conn)  # copying the WAL into the file waits for after the commit (`run_import`)
    triggers = drop(conn, "trigger", FTS_TRIGGERS)
    manual = len(triggers) == len(FTS_TRIGGERS)
    existing = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM contact").scalar() or 0)
    deferred = drop(conn, "index", IMPORT_DEFERRED) if existing <= expected_rows else []

    def restore() -> None:
        recreate(conn, deferred)
        recreate(conn, triggers)

    try:
        yield manual, restore
    finally:
        with suppress(Exception):  # never mask the error that is rolling the import back
            conn.exec_driver_sql(f"PRAGMA cache_size={int(previous_cache or -2000)}")


def run_import(
    store: Any,
    path: str | Path,
    options: ImportOptions | None = None,
    *,
    progress: Progress | None = None,
    report: IO[str] | None = None,
    parser: ParserChild | None = None,
    waiting: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import a contacts CSV as one atomic batch. Raises FileError for file-level problems (nothing written).

    `progress(done_bytes, total_bytes)` is called after each chunk; `report` receives every rejected row as
    CSV (line, reason, original cells); `parser` is a parsing child the caller started early for this file
    and these options (`producer.start_parser`): it is used and stopped, whatever happens. `waiting(message)`
    is called when the import has to wait for another one to finish (PostgreSQL, see `_one_import_at_a_time`).

    `result.timings` splits the time: open (detection, mapping, store set-up), parse (reading and validating
    rows; with a parsing child, waiting for its chunks), apply (dedupe lookups, merging), write (bulk inserts
    and updates), index (search index and indexes rebuilt after the batch), commit, events (publishing)."""
    try:
        with _gc_tuned():
            return _run_import(store, path, options or ImportOptions(), progress, report, parser, waiting)
    finally:
        if parser is not None:
            parser.close()


def _run_import(
    store: Any,
    path: str | Path,
    options: ImportOptions,
    progress: Progress | None,
    report: IO[str] | None,
    parser_child: ParserChild | None,
    waiting: Callable[[str], None] | None = None,
) -> ImportResult:
    if options.on_duplicate not in POLICIES:
        raise FileError(_("--on-duplicate must be one of: {values}").format(values=", ".join(POLICIES)))
    started = time.perf_counter()
    prepared = prepare(path, options, store.region)
    csv_file, rows, header, columns, parser, region = (
        prepared.csv_file,
        prepared.rows,
        prepared.header,
        prepared.columns,
        prepared.parser,
        prepared.region,
    )
    result = ImportResult(
        file=csv_file.path.name,
        encoding=csv_file.encoding,
        delimiter=csv_file.delimiter,
        columns=columns,
        counts=Counts(),
        dry_run=options.dry_run,
        notes=list(prepared.notes),
    )
    report_writer = csv.writer(report) if report is not None else None
    if report_writer is not None:
        write_rejects_header(report_writer, header)

    def on_reject(reject: Reject) -> None:
        if len(result.rejects) < KEEP:
            result.rejects.append(reject)
        if report_writer is not None:
            report_writer.writerow([reject.line, reject.reason, *reject.cells])

    def on_note(note: Reject) -> None:  # a row imported with a finding (a shared number): in the report too
        if report_writer is not None:
            report_writer.writerow([note.line, note.reason, *note.cells])

    def on_warning(line: int, message: str) -> None:
        if len(result.warnings) < KEEP:
            result.warnings.append((line, message))

    writer: BatchWriter | None = None
    timings: dict[str, float] = {}
    committing = started
    try:
        with store.write(origin="import") as tx, store.announce(_("import of {file}").format(file=csv_file.path.name)):
            conn = tx.session.connection()
            _one_import_at_a_time(store, conn, waiting)
            tx.notify_all = True  # other clients' screens reload once it commits (its events come later)
            now = utcnow()
            options_json = {
                "path": str(csv_file.path.absolute()),
                "on_duplicate": options.on_duplicate,
                "region": region,
                "tags": options.tags,
                "encoding": csv_file.encoding,
                "delimiter": csv_file.delimiter,
            }
            batch_id = int(
                conn.execute(
                    insert(T_BATCH).values(
                        filename=clean_text(csv_file.path.name),  # a file name can hold ESC too
                        source=options.source or DEFAULT_SOURCE,
                        options_json=json.dumps(options_json),
                        counts_json="{}",
                        started_at=now,
                    )
                ).inserted_primary_key[0]
            )
            with _sqlite_bulk_mode(conn, csv_file.size // BYTES_PER_ROW) as (manual_fts, restore):
                writer = BatchWriter(
                    conn,
                    batch_id=batch_id,
                    filename=clean_text(csv_file.path.name),
                    policy=options.on_duplicate,
                    actor=tx.origin,
                    now=now,
                    on_reject=on_reject,
                    on_warning=on_warning,
                    manual_fts=manual_fts,
                    on_note=on_note,
                )
                result.counts = writer.counts
                fed = time.perf_counter()
                timings["open"] = fed - started
                if parser_child is not None:
                    rows.close()  # the child reads the file itself
                    chunks, result.parallel = parser_child.chunks(header), True
                else:
                    chunks, result.parallel = _chunks(csv_file, rows, parser, header, options, bulk=writer.fast)
                with closing(chunks):  # an error or a cancel stops (and reaps) the parsing child now
                    _feed(chunks, writer, csv_file.size, progress)
                writer.finish()
                versions.stamp_txn(conn, f"import:{batch_id}")  # the txn of its change rows (changelog.BatchLog)
                indexing = time.perf_counter()
                timings.update(writer.timings)
                timings["parse"] = indexing - fed - sum(writer.timings.values())
                name_rank.rank_pending(conn)
                restore()
                timings["index"] = time.perf_counter() - indexing
            conn.execute(
                update(T_BATCH)
                .where(T_BATCH.c.id == batch_id)
                .values(finished_at=utcnow(), counts_json=json.dumps(writer.counts.as_dict()))
            )
            result.batch_id = batch_id
            result.new_fields = writer.new_fields
            result.findings = writer.findings()
            result.decisions = writer.decisions
            if options.dry_run:
                raise _DryRun
            committing = time.perf_counter()
    except _DryRun:
        result.batch_id = None
    else:
        timings["commit"] = time.perf_counter() - committing
    if writer is not None and not options.dry_run:
        store.checkpoint_in_background()  # while the events are published (see `_sqlite_bulk_mode`)
        publishing = time.perf_counter()
        _publish(store, writer, result)
        timings["events"] = time.perf_counter() - publishing
    result.seconds = time.perf_counter() - started
    result.timings = timings
    return result


#: PostgreSQL advisory lock key ("KOACIMPT") held by an import for its whole transaction.
IMPORT_LOCK = 0x4B4F4143494D5054


def _one_import_at_a_time(store: Any, conn: Connection, waiting: Callable[[str], None] | None) -> None:
    """On PostgreSQL, imports take turns: deduplication reads the contacts other transactions committed, so two
    imports of one file running side by side would each create every contact. A transaction-scoped advisory
    lock makes the second wait for the first to commit, then match against what it wrote (the same contacts
    as one import). SQLite needs nothing: a write transaction already holds the database's only write lock."""
    if conn.dialect.name != "postgresql":
        return
    if conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK}).scalar():
        return
    if waiting is not None:
        who = store.current_writer()
        waiting(
            _("Waiting for another import to finish ({who})…").format(who=who)
            if who
            else _("Waiting for another import to finish…")
        )
    # An import waits for as long as the other one takes: both are batch jobs, and Ctrl-C stops this one.
    conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(float(getattr(store, 'busy_timeout', 60)) * 1000)}")


def _feed(chunks: Iterator[Chunk], writer: BatchWriter, size: int, progress: Progress | None) -> None:
    counts = writer.counts
    for chunk in chunks:
        counts.rows += chunk.rows
        for reject in chunk.rejects:
            writer.reject(reject)
        for line, message in chunk.warnings:
            writer.warn(line, message)
        if chunk.candidates:
            writer.process(chunk)
        if progress is not None:
            progress(chunk.position, size)
    if progress is not None:
        progress(size, size)


def _chunks(
    csv_file: CsvFile,
    rows: Generator[tuple[int, list[str]], None, None],
    parser: RowParser,
    header: list[str],
    options: ImportOptions,
    *,
    bulk: bool,
) -> tuple[Generator[Chunk, None, None], bool]:
    """The parsed chunks of `rows` (the header read), and whether a forked child parses them (see `producer`):
    when asked, or by default for a big file where forking is safe. A fork the system refuses (no memory, a
    process limit) falls back to parsing here unless the child was asked for explicitly."""
    parallel = options.parallel
    if parallel is None:
        parallel = worth_forking(csv_file.size)
    if parallel:
        try:
            chunks = parse_in_child(csv_file, parser, header, options.chunk_size, bulk=bulk)
        except OSError:
            if options.parallel:
                raise
        else:
            rows.close()  # the child reads the file itself
            return chunks, True
    return parse_chunks(rows, parser, options.chunk_size, csv_file.position, bulk=bulk), False


def _publish(store: Any, writer: BatchWriter, result: ImportResult) -> None:
    """Events after commit, in chunks: an automation engine decides whether bulk imports fire its rules."""
    bus, depth, batch = store.bus, store.bus.depth, result.batch_id
    pending: list[Any] = []
    for cid in writer.created_contact_ids():
        pending.append(ContactCreated(origin="import", depth=depth, contact_id=cid, import_batch_id=batch))
        if len(pending) >= EVENT_CHUNK:
            bus.publish(pending)
            pending = []
    pending += [
        ContactUpdated(origin="import", depth=depth, contact_id=cid, changed=("import",))
        for cid in writer.updated_contact_ids()
    ]
    counts = result.counts
    pending.append(
        ImportCompleted(
            origin="import",
            depth=depth,
            batch_id=batch or 0,
            created=counts.created,
            updated=counts.updated + counts.merged,
        )
    )
    bus.publish(pending)
