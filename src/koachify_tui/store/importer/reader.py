"""Opening a contacts file: encoding and delimiter detection, file-level checks, streaming rows.

Rows are streamed (never the whole file in memory) with the physical line number each record starts on,
so rejects can point at the line a user sees in a text editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ...i18n import _

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(16 * 1024 * 1024)  # a long note is data; a runaway quote still stops at 16 MB


class FileError(Exception):
    """The file cannot be imported at all; the message is one line for the user."""


class Runaway(list[str]):
    """The cells of a record that an unterminated quote made swallow the lines after it (see `CsvFile.rows`):
    the parser rejects it, and the file is read again from its next line."""

    def __init__(self, cells: list[str], reason: str) -> None:
        super().__init__(cells)
        self.reason = reason


RUNAWAY_LINES = 2  # swallowed lines that look like records of their own: a quote left open, not a long note


@dataclass
class CsvFile:
    """A contacts file whose encoding and delimiter are known. `rows()` streams (line, cells)."""

    path: Path
    encoding: str
    delimiter: str
    size: int
    _raw: IO[bytes] | None = None
    width: int = 0  # the header's number of columns, once known: runaway quotes are told by it
    header_line: int = 0  # the line the header is on (0: none, --no-header)

    def rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """(line number, cells) for every non-blank record, the header included. A record that an unterminated
        quote stretched over the lines after it comes as a `Runaway` (to be rejected), and reading starts
        again from the line after its first: one broken row costs one row, not the rest of the file."""
        return self._rows(-1)

    def data_rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """`rows()` after the header line (and what precedes it)."""
        return self._rows(self.header_line)

    def _rows(self, after: int) -> Generator[tuple[int, list[str]], None, None]:
        skip = 0
        while True:
            restart = yield from self._read(skip, after)
            if restart is None:
                return
            skip = restart

    def _read(self, skip: int, after: int = 0) -> Generator[tuple[int, list[str]], None, int | None]:
        """Records starting after line `skip`, those after line `after` yielded; returns where to read again
        from after a runaway quote (None at the end)."""
        with self.path.open("rb") as raw:
            self._raw = raw
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors="strict")
            last = 0
            try:
                for _line in itertools.islice(text, skip):
                    last += 1
                reader = csv.reader(text, delimiter=self.delimiter, strict=False)
                if after > skip:  # the header and what precedes it: read, not yielded
                    for _cells in reader:
                        last = skip + reader.line_num
                        if last >= after:
                            break
                for cells in reader:
                    start, last = last + 1, skip + reader.line_num
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    width = self.width
                    if width and len(cells) <= width // 2 and _swallowed(cells, self.delimiter, width, last - start):
                        yield start, Runaway(cells, _(
                            "a quote opened here is never closed (it swallows what follows): this row is rejected, "
                            "the next ones read"))  # fmt: skip
                        return start
                    if width and len(cells) < width // 2 and any('"' in c for c in cells):
                        yield start, Runaway(cells, _("the rest of a row broken by a stray quote: rejected"))
                        continue
                    yield start, cells
            except csv.Error as exc:
                if not self.width:
                    raise FileError(_("line {line}: {error}").format(line=last + 1, error=exc)) from None
                yield last + 1, Runaway([], _("{error} (an unterminated quote?): this row is rejected").format(
                    error=exc))  # fmt: skip
                return last + 1
            except UnicodeDecodeError:
                raise FileError(
                    _("line {line}: the file is not valid {encoding} (try --encoding)").format(
                        line=last + 1, encoding=self.encoding
                    )
                ) from None
            finally:
                self._raw = None
        return None

    def position(self) -> int:
        """Bytes read so far (for progress bars)."""
        raw = self._raw
        try:
            return raw.tell() if raw is not None else self.size
        except (OSError, ValueError):
            return self.size


def _swallowed(cells: list[str], delimiter: str, width: int, spans: int) -> bool:
    """Whether a record (of few cells) has a cell holding what looks like whole records (about `width` - 1
    delimiters a line): on its one line, or on RUNAWAY_LINES of the lines it `spans`."""
    if width < 3:
        return False
    least = max(2, width - 3)
    for cell in cells:
        if cell.count(delimiter) < least:
            continue
        if spans == 0:
            return True
        if sum(1 for line in cell.splitlines() if least <= line.count(delimiter) <= width) >= RUNAWAY_LINES:
            return True
    return False


def _kind_of_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return _("an Excel workbook, not a CSV: save it as CSV (File > Save As) and import that")
        return _("a ZIP archive, not a CSV (Mailchimp exports come zipped): extract the CSV first")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("an old Excel (.xls) file, not a CSV: save it as CSV and import that")
    if head.startswith(b"%PDF"):
        return _("a PDF, not a CSV")
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def _is_utf8(path: Path) -> bool:
    """Decode the whole file incrementally: a stray Windows-1252 byte on line 90,000 must not be a surprise."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    guess = _utf16_without_bom(head)
    if guess:
        return guess
    if _is_utf8(path):
        return "utf-8"
    # Not UTF-8: Excel and Outlook on Windows in western Europe write Windows-1252.
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
        return best.encoding if best is not None else "latin-1"


def sniff_delimiter(sample: str) -> str:
    """The delimiter that gives the header the most columns and the following rows the same count."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and len(sample) >= SAMPLE_BYTES // 2:
        lines = lines[:-1]  # the last line of a sample may be cut in half
    text = "".join(lines[:50])
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        # The most common row width, not the first row's: a preamble (LinkedIn's "Notes:") may come first.
        widths = [len(r) for r in rows]
        modal = max(set(widths), key=lambda w: (widths.count(w) if w > 1 else 0, w))
        header = next(r for r in rows if len(r) == modal)
        width = len([c for c in header if c.strip()])
        rest = rows[1:]
        consistent = sum(len(r) == modal for r in rest) / len(rest) if rest else 1.0
        score = (width > 1, round(consistent, 1), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def open_csv(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
    """Check that `path` is a CSV-like text file and work out how to read it; raises FileError."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise FileError(_("no such file: {path}").format(path=path)) from None
    except IsADirectoryError:
        raise FileError(_("{path} is a directory, not a CSV file").format(path=path)) from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileError(_("{path} is empty").format(path=path.name))
    binary = _kind_of_binary(head)
    if binary:
        raise FileError(_("{path} is {what}").format(path=path.name, what=binary))
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise FileError(_("unknown encoding {encoding!r}").format(encoding=encoding)) from None
    else:
        encoding = detect_encoding(path, head)
    if b"\x00" in head and not encoding.startswith("utf-16"):
        raise FileError(_("{path} is a binary file, not a CSV").format(path=path.name))
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if delimiter:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise FileError(_("the delimiter must be one character (or 'tab')"))
    else:
        delimiter = sniff_delimiter(sample)
    return CsvFile(path=path, encoding=encoding, delimiter=delimiter, size=size)
