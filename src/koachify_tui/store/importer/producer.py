"""Parsed rows in chunks, from this process or from a forked one that runs beside the writer.

Reading and validating rows is pure Python and about a third of an import; writing is the rest. On a
machine with two cores a big file is parsed in a child process (fork: it starts in a millisecond with
everything imported) while this process deduplicates and writes the previous chunk. The child only reads
the file and sends chunks through a pipe as `marshal` data (C speed both ways; the `tags` lists rows share
are sent once per chunk); it never touches the database, so the transaction stays this process's own.

Forking is done only where it is safe: on Linux, from a process with one thread (the CLI). The TUI runs
imports in a worker thread, and a forked copy of a multi-threaded process can deadlock on a lock another
thread held (stdout's, for one): there the rows are parsed in-process, with the same results.
"""

from __future__ import annotations

import marshal
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from typing import Any, NamedTuple

from ...i18n import _
from .reader import CsvFile, FileError
from .rows import CELL_SEP, Candidate, Reject, RowParser


class Chunk(NamedTuple):
    """What `chunk_size` consecutive rows became, each list in file order."""

    rows: int
    position: int  # bytes of the file read after them
    candidates: list[Candidate]
    rejects: list[Reject]
    warnings: list[tuple[int, str]]  # (line, message) about values dropped from accepted rows


PARALLEL_MIN_BYTES = 1 << 20  # ~7k rows: below that a second process saves less than it costs
_HEADER = struct.Struct("<Q")  # message length


def parse_chunks(
    rows: Iterator[tuple[int, list[str]]], parser: RowParser, chunk_size: int, position: Callable[[], int]
) -> Generator[Chunk, None, None]:
    """Parse `rows` (the header already consumed) into chunks of `chunk_size` rows."""
    parse = parser.parse
    count = 0
    chunk = Chunk(0, 0, [], [], [])
    for line, cells in rows:
        item = parse(line, cells)
        if isinstance(item, Reject):
            chunk.rejects.append(item)
        else:
            chunk.candidates.append(item)
            if item.warnings:
                chunk.warnings.extend((line, message) for message in item.warnings)
        count += 1
        if count >= chunk_size:
            yield chunk._replace(rows=count, position=position())
            count, chunk = 0, Chunk(0, 0, [], [], [])
    if count:
        yield chunk._replace(rows=count, position=position())


def can_fork() -> bool:
    """Whether parsing may run in a forked child (see module docstring)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def parse_in_child(csv_file: CsvFile, parser: RowParser, chunk_size: int) -> Generator[Chunk, None, None]:
    """Fork a child running `parse_chunks` over `csv_file` (now: an OSError from fork reaches the caller) and
    return the chunks it sends. They raise FileError like the reader does; the child is killed and reaped
    however the caller stops iterating (an error, a cancel, the end)."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(write_fd, csv_file, parser, chunk_size)
    os.close(write_fd)
    return _receive(pid, read_fd)


def _receive(pid: int, read_fd: int) -> Generator[Chunk, None, None]:
    finished = False
    try:
        with open(read_fd, "rb") as pipe:
            while True:
                head = pipe.read(_HEADER.size)
                if len(head) < _HEADER.size:
                    raise RuntimeError(_("the import's parsing process stopped unexpectedly"))
                payload = pipe.read(_HEADER.unpack(head)[0])
                kind, body = marshal.loads(payload)
                if kind == "chunk":
                    count, position, candidates, rejects, warnings = body
                    yield Chunk(
                        count,
                        position,
                        [Candidate(*item) for item in candidates],
                        [Reject(*item) for item in rejects],
                        warnings,
                    )
                elif kind == "done":
                    finished = True
                    return
                elif kind == "file-error":
                    raise FileError(body)
                else:
                    raise RuntimeError(_("the import's parsing process failed: {error}").format(error=body))
    finally:
        if not finished:
            with suppress(ProcessLookupError):  # it may have exited already
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _child(write_fd: int, csv_file: CsvFile, parser: RowParser, chunk_size: int) -> None:
    """Parse and send every chunk, then exit without running the parent's cleanup (atexit handlers, stream
    flushes, database connections: they are the parent's)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
        with open(write_fd, "wb") as pipe:

            def send(message: Any) -> None:
                data = marshal.dumps(message)
                pipe.write(_HEADER.pack(len(data)))
                pipe.write(data)
                pipe.flush()

            try:
                rows = csv_file.rows()
                next(rows, None)  # the header: the parent mapped it
                for chunk in parse_chunks(rows, parser, chunk_size, csv_file.position):
                    candidates = [_encode(c) for c in chunk.candidates]
                    rejects = [(r.line, r.reason, r.cells) for r in chunk.rejects]
                    send(("chunk", (chunk.rows, chunk.position, candidates, rejects, chunk.warnings)))
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
    if isinstance(cells, list) and not any(CELL_SEP in cell for cell in cells):
        cells = CELL_SEP.join(cells)  # one string costs a fraction of 25 to send (see `Candidate.cells`)
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
    )
