"""CSV contact import (headless): read, map, validate, dedupe, write one atomic batch; undo; list batches.

result = run_import(store, "contacts.csv", ImportOptions(on_duplicate="merge", tags=["2024"]))
undo_batch(store, result.batch_id)
"""

from .mapping import FIELDS, Column, build_mapping, guess_field, header_key
from .reader import CsvFile, FileError, open_csv
from .rows import Candidate, Reject, split_name
from .runner import DEFAULT_SOURCE, ImportOptions, ImportResult, run_import
from .undo import BatchInfo, UndoResult, list_batches, undo_batch
from .writer import POLICIES, Counts

__all__ = [
    "DEFAULT_SOURCE",
    "FIELDS",
    "POLICIES",
    "BatchInfo",
    "Candidate",
    "Column",
    "Counts",
    "CsvFile",
    "FileError",
    "ImportOptions",
    "ImportResult",
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
