"""CSV contact import (headless): read, map, validate, dedupe, write one atomic batch; undo; list batches.

result = run_import(store, "contacts.csv", ImportOptions(on_duplicate="merge", tags=["2024"]))
undo_batch(store, result.batch_id)

Names are imported on first use (PEP 562), so the parsing modules load without SQLAlchemy (see `producer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_attributes

if TYPE_CHECKING:
    from .mapping import FIELDS, Column, build_mapping, guess_field, header_key
    from .options import DEFAULT_SOURCE, ImportOptions
    from .reader import CsvFile, FileError, open_csv
    from .rows import Candidate, Reject, split_name
    from .runner import ImportResult, run_import
    from .undo import BatchInfo, UndoResult, list_batches, undo_batch
    from .writer import POLICIES, Counts

_WHERE = {
    "FIELDS": "mapping",
    "Column": "mapping",
    "build_mapping": "mapping",
    "guess_field": "mapping",
    "header_key": "mapping",
    "ImportOptions": "options",
    "CsvFile": "reader",
    "FileError": "reader",
    "open_csv": "reader",
    "Candidate": "rows",
    "Reject": "rows",
    "split_name": "rows",
    "DEFAULT_SOURCE": "options",
    "ImportResult": "runner",
    "run_import": "runner",
    "BatchInfo": "undo",
    "UndoResult": "undo",
    "list_batches": "undo",
    "undo_batch": "undo",
    "POLICIES": "writer",
    "Counts": "writer",
}

__all__ = [
    "BatchInfo",
    "Candidate",
    "Column",
    "Counts",
    "CsvFile",
    "DEFAULT_SOURCE",
    "FIELDS",
    "FileError",
    "ImportOptions",
    "ImportResult",
    "POLICIES",
    "Reject",
    "UndoResult",
    "build_mapping",
    "guess_field",
    "header_key",
    "list_batches",
    "open_csv",
    "run_import",
    "split_name",
    "undo_batch",
]


__getattr__ = lazy_attributes(__name__, _WHERE, globals())
