"""The import's rows of the field-level change log (store/changes.py): one per field a batch changed on a
contact that existed, written with the chunk's other rows in one executemany. Every row carries the batch id:
its undo reverts exactly these. The contacts a batch created are recorded once each, in `import_batch_item`
(action "created"), which the importer writes anyway: a second row per new contact in the log measurably slowed
a 100k-row import (write +8–12 %, commit +40 %), and an undo removes such a contact whole or keeps it whole."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import CustomFieldDef
    from .writer import Target

COLUMNS = (
    "txn", "entity", "entity_id", "contact_id", "field", "old_value", "new_value", "at", "origin", "cause",
    "cause_id", "batch_id",
)  # fmt: skip
PLAIN = ("first_name", "last_name", "company", "source", "owner")


def _text(value: str) -> str | None:
    return encode_basestring(value) if value else None


class BatchLog:
    """Change-log rows of one import batch."""

    def __init__(self, batch_id: int, now: Any) -> None:
        self.batch_id = batch_id
        self.now = now
        self.txn = f"import:{batch_id}"

    def _row(self, cid: int, field: str, old: str | None, new: str | None) -> tuple[Any, ...]:
        return (self.txn, "contact", cid, cid, field, old, new, self.now, "import", "import", self.batch_id,
                self.batch_id)  # fmt: skip

    def changes_of(
        self, t: Target, tag_names: dict[int, str], defs: dict[int, CustomFieldDef]
    ) -> list[tuple[Any, ...]]:
        """What this chunk changed on an existing contact, against its state when the chunk loaded it."""
        assert t.id is not None and t.before is not None
        cid, before = t.id, t.before.get("contact", {})
        rows = []
        for name in PLAIN:
            old, new = before.get(name) or "", getattr(t, name) or ""
            if old != new:
                rows.append(self._row(cid, name, _text(old), _text(new)))
        for name, current in (("email", t.email), ("phone", t.phone)):
            old, new = before.get(name) or "", current[0] if current else ""
            if old != new:
                rows.append(self._row(cid, name, _text(old), _text(new)))
        rows += [self._row(cid, "email", None, _text(v)) for v, _k in t.new_emails]
        rows += [self._row(cid, "phone", None, _text(v)) for v, _k in t.new_phones]
        rows += [self._row(cid, "tag", None, _text(tag_names[tid])) for tid in t.new_tag_ids]
        custom_before = t.before.get("custom_before", {})
        for fid, value in t.custom_changed.items():
            definition = defs.get(fid)
            key = definition.key if definition is not None else str(fid)
            rows.append(self._row(cid, f"custom.{key}", custom_before.get(str(fid)), value))
        return rows
