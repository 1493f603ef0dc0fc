"""Parsed rows in chunks, from this process or from a forked one that runs beside the writer.

Reading and validating rows is pure Python and about half of an import; writing is the rest. On a machine
with two cores a big file is parsed in a child process while this process deduplicates and writes: the CLI
forks it before it even loads SQLAlchemy (`start_parser`), so it is ahead from the start. The child reads
the file, parses it and lays each chunk out for set-based INSERTs (`Bulk`); chunks travel through a pipe as
`marshal` data (C speed both ways), read a few ahead by a thread of this process (`_drain`). The child never
touches the database: the transaction stays this process's own.

Forking is done only where it is safe: on Linux, from a process with one thread (the CLI). The TUI runs
imports in a worker thread, and a forked copy of a multi-threaded process can deadlock on a lock another
thread held (stdout's, for one): there the rows are parsed in-process, with the same results.
"""

from __future__ import annotations

import gc
import json
import marshal
import os
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import suppress
from json.encoder import encode_basestring  # json.dumps(str, ensure_ascii=False), without the encoder
from pathlib import Path
from typing import IO, Any, NamedTuple, overload

from ...i18n import _
from .options import ImportOptions, prepare
from .reader import CsvFile, FileError
from .rows import CELL_SEP, Candidate, Reject, RowParser, channel_plan


class Bulk(NamedTuple):
    """A chunk's candidates laid out for set-based INSERTs, candidate `i` being contact `base + i` if it is
    new (the writer skips the others by position): built while parsing, so in the child when there is one."""

    contacts: list[tuple[Any, ...]]  # (i, *the columns of `BatchWriter._CONTACT_COLS`, in that order)
    tags: dict[str, str]  # tag as written → JSON array of the positions that have it
    custom: dict[str, str]  # field label → JSON array of the values as JSON text (null: no value), by position
    extra_channels: list[int]  # positions of candidates with more than one email or phone
    # For deduplication without a Python pass over every row: the chunk's distinct keys (JSON arrays, for the
    # database lookups), the position of the row that has each, and the rows that must go through the
    # row-by-row path anyway (no key at all, or a key shared with another row of the chunk).
    email_keys: str
    phone_keys: str
    key_rows: dict[str, int]
    slow: list[int]


class Received(Sequence[Candidate]):
    """The candidates of a chunk from the child, each made from its fields on first use: with the bulk layout
    the writer reads only the rows deduplication or a merge needs (a tenth of a typical file)."""

    __slots__ = ("_fields", "_made")

    def __init__(self, fields: list[tuple[Any, ...]]) -> None:
        self._fields = fields
        self._made: dict[int, Candidate] = {}

    def __len__(self) -> int:
        return len(self._fields)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Candidate]: ...
    def __getitem__(self, index: int | slice) -> Candidate | Sequence[Candidate]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        made = self._made.get(index)
        if made is None:
            if not -len(self) <= index < len(self):
                raise IndexError(index)
            made = self._made[index % len(self)] = Candidate(*self._fields[index])
        return made


class Chunk(NamedTuple):
    """What `chunk_size` consecutive rows became, each list in file order."""

    rows: int
    position: int  # bytes of the file read after them
    candidates: Sequence[Candidate]  # a list, or `Received` from a child
    rejects: list[Reject]
    warnings: list[tuple[int, str]]  # (line, message) about values dropped from accepted rows
    bulk: Bulk | None  # None unless asked for (SQLite)
    placeholders: dict[str, int] | None = None  # placeholder emails/phones read as empty → rows (this chunk's)


PARALLEL_MIN_BYTES = 1 << 20  # ~7k rows: below that a second process saves less than it costs
_HEADER = struct.Struct("<Q")  # message length
_QUEUED = 6  # chunks read ahead of the writer (each ~3 MB)
_PIPE_BYTES = 1 << 20  # fewer, bigger reads per chunk (Linux's limit for an unprivileged process)


def parse_chunks(
    rows: Iterator[tuple[int, list[str]]],
    parser: RowParser,
    chunk_size: int,
    position: Callable[[], int],
    *,
    bulk: bool = False,
) -> Generator[Chunk, None, None]:
    """Parse `rows` (the header already consumed) into chunks of `chunk_size` rows, with their `Bulk` layout
    when asked (the SQLite writer's)."""
    parse = parser.parse
    candidates: list[Candidate] = []
    rejects: list[Reject] = []
    warnings: list[tuple[int, str]] = []
    count = 0
    for line, cells in rows:
        item = parse(line, cells)
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            candidates.append(item)
            if item.warnings:
                warnings.extend((line, message) for message in item.warnings)
        count += 1
        if count >= chunk_size:
            yield Chunk(count, position(), candidates, rejects, warnings, bulk_layout(candidates) if bulk else None,
                        parser.take_placeholders())  # fmt: skip
            candidates, rejects, warnings, count = [], [], [], 0
    if count:
        yield Chunk(count, position(), candidates, rejects, warnings, bulk_layout(candidates) if bulk else None,
                    parser.take_placeholders())  # fmt: skip


def bulk_layout(candidates: Sequence[Candidate]) -> Bulk:
    contacts: list[tuple[Any, ...]] = []
    tags: dict[str, list[int]] = {}
    columns: dict[str, list[str | None]] = {}
    extra: list[int] = []
    key_rows: dict[str, int] = {}  # email keys hold an "@", E.164 numbers never do: one dict serves both
    email_keys: list[str] = []
    phone_keys: list[str] = []
    slow: set[int] = set()
    size = len(candidates)
    for i, c in enumerate(candidates):
        emails, phones = c.emails, c.phones
        if c.loose:  # values without a key (an unverified phone…): the plan puts them where they go
            first_email, first_phone, _extra = channel_plan(c)
            email, email_key = first_email or _NO_KEY
            phone, e164 = first_phone or _NO_KEY
            extra.append(i)
        else:
            email, email_key = emails[0] if emails else _NO_KEY
            phone, e164 = phones[0] if phones else _NO_KEY
        contacts.append((i, c.first_name, c.last_name, c.company, email, email_key, phone, e164, c.source, c.owner,
                         c.name_key, c.search_text))  # fmt: skip
        for tag in c.tags:
            found = tags.get(tag)
            if found is None:
                found = tags[tag] = []
            found.append(i)
        for label, value in c.custom.items():
            column = columns.get(label)
            if column is None:
                column = columns[label] = [None] * size
            column[i] = encode_basestring(value)
        if (len(emails) > 1 or len(phones) > 1) and not c.loose:
            extra.append(i)
        if not emails and not phones:
            slow.add(i)
            continue
        for keys, pairs in ((email_keys, emails), (phone_keys, phones)):
            for _value, key in pairs:
                first = key_rows.setdefault(key, i)
                if first == i:
                    keys.append(key)
                else:
                    slow.add(first)
                    slow.add(i)
    return Bulk(
        contacts,
        {tag: json.dumps(positions) for tag, positions in tags.items()},
        {label: json.dumps(column, ensure_ascii=False) for label, column in columns.items()},
        extra,
        json.dumps(email_keys, ensure_ascii=False),
        json.dumps(phone_keys),
        key_rows,
        sorted(slow),
    )


_NO_KEY: tuple[str, str | None] = ("", None)  # (value, key) of a contact without an email or a phone


def worth_forking(size: int) -> bool:
    """Whether a file of `size` bytes is parsed in a forked child by default."""
    return size >= PARALLEL_MIN_BYTES and can_fork()


def can_fork() -> bool:
    """Whether parsing may run in a forked child (see module docstring)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class ParserChild:
    """A forked process parsing a file, and the chunks it sends through a pipe (see module docstring). A thread
    reads them from the start, up to `_QUEUED` ahead: while the CLI is still loading the store, the child
    parses on instead of waiting for a reader."""

    def __init__(self, pid: int, read_fd: int) -> None:
        self._pid: int | None = pid
        self._pipe: IO[bytes] | None = open(read_fd, "rb")  # noqa: SIM115 - closed in `close`
        self._messages: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED)
        self._stopping = threading.Event()
        self._reader = threading.Thread(
            target=_drain, args=(self._pipe, self._messages, self._stopping), name="koachify-import-pipe", daemon=True
        )
        self._reader.start()
        self._chunks: Generator[Chunk, None, None] | None = None

    def chunks(self, header: list[str]) -> Generator[Chunk, None, None]:
        """The chunks, once. `header` is the file's as the caller read it: the child must have read the same."""
        assert self._chunks is None and self._pipe is not None
        self._chunks = self._receive(header)
        return self._chunks

    def _receive(self, header: list[str]) -> Generator[Chunk, None, None]:
        finished = False
        try:
            while True:
                data = self._messages.get()
                if data is None:
                    raise FileError(_("the import's parsing process stopped unexpectedly; nothing was imported"))
                kind, body = marshal.loads(data)
                if kind == "chunk":
                    count, position, candidates, rejects, warnings, bulk, placeholders = body
                    yield Chunk(
                        count,
                        position,
                        Received(candidates),
                        [Reject(*item) for item in rejects],
                        warnings,
                        None if bulk is None else Bulk(*bulk),
                        placeholders,
                    )
                elif kind == "header":
                    if body != header:  # the file changed between the two reads
                        raise FileError(_("the file changed while it was being imported"))
                elif kind == "done":
                    finished = True
                    return
                elif kind == "file-error":
                    raise FileError(body)
                else:
                    first = str(body).strip().splitlines()[-1:] or [""]  # the exception's own line, not its traceback
                    raise FileError(_("the import's parsing process failed: {error}").format(error=first[0]))
        finally:
            self._shut(kill=not finished)

    def close(self) -> None:
        """Stop the child (if it is still running), its reading thread, and reap it. Idempotent."""
        if self._chunks is not None:
            self._chunks.close()  # its `finally` shuts everything
        self._shut(kill=True)

    def _shut(self, *, kill: bool) -> None:
        self._stopping.set()
        self._stop(kill=kill)  # the child's end of the pipe closes: the reading thread sees the end
        self._reader.join()
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    def _stop(self, *, kill: bool) -> None:
        pid, self._pid = self._pid, None
        if pid is None:
            return
        if kill:
            with suppress(ProcessLookupError):  # it may have exited already
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _drain(pipe: IO[bytes], messages: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """Read the child's messages into `messages` (None at the end of the pipe), a few ahead of the writer.

    A thread of its own: the child never waits for the writer to finish a chunk before sending the next, and
    the copies out of the pipe (most of the cost of a 3 MB message through a 64 KB pipe) happen while the
    writer works, since reading releases the GIL."""
    while not stop.is_set():
        try:
            head = pipe.read(_HEADER.size)
            data = pipe.read(_HEADER.unpack(head)[0]) if len(head) == _HEADER.size else None
        except (OSError, ValueError):
            data = None
        while not stop.is_set():
            try:
                messages.put(data, timeout=0.1)
                break
            except queue.Full:
                continue
        if data is None:
            return


Source = Callable[[], tuple[Iterator[tuple[int, list[str]]], CsvFile, RowParser, list[str]]]


def fork_parser(source: Source, chunk_size: int, *, bulk: bool) -> ParserChild:
    """Fork a child that streams `parse_chunks` of what `source()` opens (its rows after the header, the file,
    the parser, the header). An OSError from fork reaches the caller."""
    read_fd, write_fd = os.pipe()
    if sys.platform == "linux":
        import fcntl

        with suppress(OSError):  # best effort: a system limit may refuse it
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(write_fd, source, chunk_size, bulk)
    os.close(write_fd)
    return ParserChild(pid, read_fd)


def parse_in_child(
    csv_file: CsvFile, parser: RowParser, header: list[str], chunk_size: int, *, bulk: bool = False
) -> Generator[Chunk, None, None]:
    """`parse_chunks` of a file the caller has opened, run in a forked child (see `fork_parser`)."""

    def source() -> tuple[Iterator[tuple[int, list[str]]], CsvFile, RowParser, list[str]]:
        return csv_file.data_rows(), csv_file, parser, header  # the parent mapped the header

    return fork_parser(source, chunk_size, bulk=bulk).chunks(header)


def start_parser(path: str | Path, options: ImportOptions, region: str) -> ParserChild | None:
    """Fork the parsing child of a big import now, before the store is loaded, so that it parses while
    the writing process imports SQLAlchemy and opens the database (`run_import(..., parser=…)` takes its
    chunks). None where it would not pay or is not safe (see `can_fork`): the import then decides itself."""
    if options.parallel is False or options.dry_run:
        return None
    try:
        if not worth_forking(Path(path).stat().st_size):
            return None

        def source() -> tuple[Iterator[tuple[int, list[str]]], CsvFile, RowParser, list[str]]:
            prepared = prepare(path, options, region)
            return prepared.rows, prepared.csv_file, prepared.parser, prepared.header

        return fork_parser(source, options.chunk_size, bulk=True)
    except OSError:  # no such file (the import reports it), or no fork: parse in-process
        return None


def _child(write_fd: int, source: Source, chunk_size: int, bulk: bool) -> None:
    """Parse and send every chunk, then exit without running the parent's cleanup (atexit handlers, stream
    flushes, database connections: they are the parent's)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
        # Parsing makes millions of short-lived acyclic objects: keep the collector off the inherited heap
        # and let it run seldom (as `runner._gc_tuned` does in the writing process).
        gc.freeze()
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
        with open(write_fd, "wb") as pipe:

            def send(message: Any) -> None:
                data = marshal.dumps(message)
                pipe.write(_HEADER.pack(len(data)))
                pipe.write(data)
                pipe.flush()

            try:
                rows, csv_file, parser, header = source()
                send(("header", header))
                for chunk in parse_chunks(rows, parser, chunk_size, csv_file.position, bulk=bulk):
                    candidates = [_encode(c) for c in chunk.candidates]
                    rejects = [(r.line, r.reason, r.cells) for r in chunk.rejects]
                    layout = None if chunk.bulk is None else tuple(chunk.bulk)
                    body = (chunk.rows, chunk.position, candidates, rejects, chunk.warnings, layout, chunk.placeholders)
                    send(("chunk", body))
                send(("done", None))
            except FileError as exc:
                send(("file-error", str(exc)))
            except BrokenPipeError:
                raise
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
                send(("crash", f"{type(exc).__name__}: {exc}"))
    except BaseException:  # noqa: BLE001 - the parent is gone or stopped reading: nothing to report to
        code = 1
    finally:
        os._exit(code)


def _encode(item: Candidate) -> tuple[Any, ...]:
    """A candidate as a tuple of its fields in declaration order (`Candidate(*fields)` is the way back)."""
    cells = item.cells
    if isinstance(cells, list):
        joined = CELL_SEP.join(cells)  # one string costs a fraction of 25 to send (see `Candidate.cells`)
        if joined.count(CELL_SEP) == len(cells) - 1:  # no cell holds the separator itself
            cells = joined
    return (
        item.line,
        cells,
        item.first_name,
        item.last_name,
        item.company,
        item.source,
        item.owner,
        item.emails,
        item.phones,
        item.tags,
        item.custom,
        item.warnings,
        item.source_explicit,
        item.name_key,
        item.search_text,
        item.loose,
    )
