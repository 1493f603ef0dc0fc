"""What an import is asked to do, and the file it resolves to: its encoding, header, mapping and row parser.

Light on purpose (no SQLAlchemy): the parsing child of a big import prepares the same file from the same
options as the writing process, before the store is even loaded (see `producer.start_parser`)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ...i18n import _
from .mapping import Column, MappingError, build_mapping, has_contact_columns, parse_overrides
from .reader import CsvFile, FileError, open_csv
from .rows import RowParser

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


def prepare(path: str | Path, options: ImportOptions, region: str) -> Prepared:
    """Open `path`, read its header and map it; raises FileError for file-level problems. `region` is the
    default region of phones (`options.region` wins)."""
    csv_file = open_csv(path, encoding=options.encoding, delimiter=options.delimiter)
    rows = csv_file.rows()
    first = next(rows, None)
    if first is None:
        raise FileError(_("{path} is empty").format(path=csv_file.path.name))
    _line, header = first
    try:
        columns = build_mapping(header, parse_overrides(options.mapping), ignore_unknown=options.ignore_unknown)
    except MappingError as exc:
        raise FileError(str(exc)) from None
    if not has_contact_columns(columns):
        raise FileError(
            _("no column looks like a name, email or phone (columns: {columns}); map one with --map").format(
                columns=", ".join(h for h in header[:12] if h.strip())
            )
        )
    region = (options.region or region or "IT").upper()
    parser = RowParser(
        columns,
        len(header),
        region=region,
        source=options.source or DEFAULT_SOURCE,
        source_explicit=options.source is not None,
        tags=options.tags,
    )
    return Prepared(csv_file, rows, header, columns, parser, region)
