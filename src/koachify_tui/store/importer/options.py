"""What an import is asked to do, and the file it resolves to: its encoding, header, mapping and row parser.

Light on purpose (no SQLAlchemy): the parsing child of a big import prepares the same file from the same
options as the writing process, before the store is even loaded (see `producer.start_parser`)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ...i18n import _
from .mapping import (
    CUSTOM,
    FIELDS,
    IGNORE,
    Column,
    MappingError,
    build_mapping,
    guess_field,
    has_contact_columns,
    mapping_notes,
    parse_overrides,
)
from .reader import CsvFile, FileError, open_csv
from .rows import RowParser

HEADER_SCAN = 25  # records looked at for the header row (LinkedIn puts a 3-line "Notes:" preamble first)
_CONTACT_TARGETS = frozenset({"first_name", "last_name", "name", "company", "email", "phone"})

DEFAULT_SOURCE = "CSV import"


@dataclass
class ImportOptions:
    """How to read and apply a file. `mapping` holds `--map` specs ("Header=field")."""

    on_duplicate: str = "merge"
    region: str | None = None  # None: the store's region
    source: str | None = None  # None: "CSV import", used only where a row has no source of its own
    tags: list[str] = field(default_factory=list)
    mapping: list[str] = field(default_factory=list)
    ignore_unknown: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    dry_run: bool = False
    no_header: bool = False  # the file has no header row: `columns` names its columns in order
    columns: list[str] = field(default_factory=list)
    chunk_size: int = 5000  # rows parsed, deduplicated and written together
    parallel: bool | None = None  # parse in a forked process beside the writer (None: when safe and worth it)


@dataclass
class Prepared:
    """A file ready to stream: `rows` yields the records after the header."""

    csv_file: CsvFile
    rows: Generator[tuple[int, list[str]], None, None]
    header: list[str]
    columns: list[Column]
    parser: RowParser
    region: str
    notes: list[str] = field(default_factory=list)  # what the user should know about the header and columns


def prepare(path: str | Path, options: ImportOptions, region: str) -> Prepared:
    """Open `path`, find its header and map it; raises FileError for file-level problems. `region` is the
    default region of phones (`options.region` wins). A vCard file is read through `vcard` as rows."""
    if _is_vcard(path):
        from .vcard import open_vcard

        csv_file: CsvFile = open_vcard(path)
    else:
        csv_file = open_csv(path, encoding=options.encoding, delimiter=options.delimiter)
    notes: list[str] = []
    if options.no_header:
        header = _named_columns(options.columns)
        csv_file.header_line = 0
        overrides = {name: name for name in header if name in FIELDS}
        overrides.update({k: v for k, v in parse_overrides(options.mapping).items()})
    else:
        header_line, header, skipped = find_header(csv_file)
        csv_file.header_line = header_line
        overrides = parse_overrides(options.mapping)
        if skipped:
            notes.append(
                _("the header is on line {line}: {n} line(s) before it skipped ({first})").format(
                    line=header_line, n=len(skipped), first=skipped[0][:60]
                )
            )
    try:
        columns = build_mapping(header, overrides, ignore_unknown=options.ignore_unknown)
    except MappingError as exc:
        raise FileError(str(exc)) from None
    if not has_contact_columns(columns):
        raise FileError(
            _(
                "no column looks like a name, email or phone (columns: {columns}); map one with --map, or, if the "
                "file has no header row, name its columns: --no-header --columns first_name,last_name,phone,email"
            ).format(columns=", ".join(h for h in header[:12] if h.strip()))
        )
    notes += mapping_notes(columns)
    csv_file.width = len(header)
    region = (options.region or region or "IT").upper()
    parser = RowParser(
        columns,
        len(header),
        region=region,
        source=options.source or DEFAULT_SOURCE,
        source_explicit=options.source is not None,
        tags=options.tags,
    )
    return Prepared(csv_file, csv_file.data_rows(), header, columns, parser, region, notes)


def _is_vcard(path: str | Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return head.replace(b"\x00", b"").lstrip().upper().startswith(b"BEGIN:VCARD")


def _named_columns(names: list[str]) -> list[str]:
    header = [n.strip() for spec in names for n in spec.split(",") if n.strip()]
    if not header:
        raise FileError(_("--no-header needs --columns, e.g. --columns first_name,last_name,phone,email"))
    return header


def _score(cells: list[str]) -> int:
    """How much a record looks like a header: its cells that name a contact field count 2, other known fields
    1; a cell that looks like data (an address, a number) disqualifies it."""
    score = 0
    for cell in cells:
        text = cell.strip()
        if not text:
            continue
        if "@" in text or sum(ch.isdigit() for ch in text) >= 5:
            return 0
        if len(text) > 60:  # a sentence (a preamble) or a survey question: no field either way
            continue
        field = guess_field(text)
        if field in _CONTACT_TARGETS:
            score += 2
        elif field is not None and field not in (IGNORE, CUSTOM):
            score += 1
    return score


def find_header(csv_file: CsvFile) -> tuple[int, list[str], list[str]]:
    """(line, cells, skipped lines' text) of the header: the first record if it names a contact field, else the
    best-looking record of the first HEADER_SCAN (a preamble before it is skipped and reported)."""
    rows = csv_file.rows()
    scanned: list[tuple[int, list[str]]] = []
    try:
        for line, cells in rows:
            scanned.append((line, cells))
            if len(scanned) >= HEADER_SCAN:
                break
    finally:
        rows.close()
    if not scanned:
        raise FileError(_("{path} is empty").format(path=csv_file.path.name))
    scores = [_score(cells) for _line, cells in scanned]
    best = 0 if scores[0] >= 2 else max(range(len(scored := scores)), key=lambda i: (scored[i], -i))
    if scores[best] < 2:
        best = 0  # no header anywhere: the mapping check explains (and suggests --no-header)
    line, header = scanned[best]
    return line, header, [",".join(c for c in cells if c.strip()) for _l, cells in scanned[:best]]
