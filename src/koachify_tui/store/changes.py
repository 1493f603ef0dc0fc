"""The field-level change log: recording changes inside the write transaction, and reading them back.

Every store write that changes a contact or an opportunity (or what hangs off a contact) calls `record()`;
the rows are written in one INSERT just before the transaction commits, so a rolled-back change leaves no
log. The log is what undo reverts (import undo and the TUI's `u` alike) and what the timeline shows under
"changes". Values are stored as JSON text so a string, a number, a date and "absent" (None) stay distinct."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from .models import ChangeLog
from .tables import T_CHANGE

if TYPE_CHECKING:
    from .base import Tx

#: Origins a change can come from, and the causes that explain it.
ORIGINS = ("tui", "cli", "import", "automation", "merge", "api")
CAUSES = ("user", "import", "rule", "merge", "undo", "import_undo", "sequence")
#: Which columns the log holds per entity (derived columns such as search_text are never logged).
CONTACT_LOGGED = ("first_name", "last_name", "company", "email", "phone", "source", "owner")


def encode(value: Any) -> str | None:
    """A logged value: JSON text, None for "absent"."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def decode(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def new_txn() -> str:
    return uuid.uuid4().hex[:16]


def base_origin(origin: str) -> str:
    """ "automation:3" → "automation"; the log keeps the family, the cause keeps the rule."""
    head = origin.split(":", 1)[0]
    return head if head in ORIGINS else "api"


@dataclass(frozen=True)
class Cause:
    """What a write transaction was done for: a user action, an import batch, a rule run, a merge, an undo."""

    kind: str = "user"
    id: int | None = None
    batch_id: int | None = None  # the import batch whose undo must revert this too

    @classmethod
    def for_origin(cls, origin: str) -> Cause:
        head, _sep, rest = origin.partition(":")
        if head == "automation" and rest.isdigit():
            return cls("rule", int(rest))
        if head == "import":
            return cls("import")
        if head == "sequence":
            return cls("sequence")
        return cls("user")


def record(
    tx: Tx,
    entity: str,
    entity_id: int,
    field: str,
    old: Any,
    new: Any,
    *,
    contact_id: int | None = None,
) -> None:
    """Log one change in `tx` (written just before it commits). No-op when nothing changed."""
    old_json, new_json = encode(old), encode(new)
    if old_json == new_json:
        return
    tx.changes.append(
        {
            "txn": tx.txn,
            "entity": entity,
            "entity_id": entity_id,
            "contact_id": contact_id if contact_id is not None else (entity_id if entity == "contact" else None),
            "field": field,
            "old_value": old_json,
            "new_value": new_json,
            "at": tx.now,
            "origin": base_origin(tx.origin),
            "cause": tx.cause.kind,
            "cause_id": tx.cause.id,
            "batch_id": tx.cause.batch_id,
        }
    )


def flush(tx: Tx) -> int:
    """Write the transaction's change rows (called by `StoreBase.write` before commit); how many."""
    count = len(tx.changes)
    if count:
        from . import versions

        versions.stamp(tx)  # one version per changed contact/opportunity, stamped on its rows
        tx.session.execute(insert(T_CHANGE), tx.changes)
        tx.changes.clear()
    return count


@dataclass(frozen=True)
class Change:
    """One logged change, as read back."""

    id: int
    txn: str
    entity: str
    entity_id: int
    contact_id: int | None
    field: str
    old: Any
    new: Any
    at: datetime
    origin: str
    cause: str
    cause_id: int | None
    batch_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "contact_id": self.contact_id,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "at": self.at.isoformat(),
            "origin": self.origin,
            "cause": self.cause,
            "cause_id": self.cause_id,
            "batch_id": self.batch_id,
        }


_COLUMNS = ("id", "txn", "entity", "entity_id", "contact_id", "field", "old_value", "new_value", "at", "origin",
            "cause", "cause_id", "batch_id")  # fmt: skip


def to_change(row: Any) -> Change:
    """A Change from a row of `_COLUMNS` (plain columns: an undo of a big batch reads 100k of them)."""
    (id_, txn, entity, entity_id, contact_id, name, old, new, at, origin, cause, cause_id, batch_id) = row
    return Change(id_ or 0, txn, entity, entity_id, contact_id, name, decode(old), decode(new), at, origin, cause,
                  cause_id, batch_id)  # fmt: skip


def changes_of(
    s: Session,
    *,
    contact_id: int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    txn: str | None = None,
    batch_id: int | None = None,
    limit: int | None = None,
) -> list[Change]:
    """Logged changes matching every given filter, newest first."""
    stmt = select(*(col(getattr(ChangeLog, c)) for c in _COLUMNS))
    if contact_id is not None:
        stmt = stmt.where(col(ChangeLog.contact_id) == contact_id)
    if entity is not None:
        stmt = stmt.where(col(ChangeLog.entity) == entity)
    if entity_id is not None:
        stmt = stmt.where(col(ChangeLog.entity_id) == entity_id)
    if txn is not None:
        stmt = stmt.where(col(ChangeLog.txn) == txn)
    if batch_id is not None:
        stmt = stmt.where(col(ChangeLog.batch_id) == batch_id)
    stmt = stmt.order_by(col(ChangeLog.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [to_change(r) for r in s.execute(stmt)]
