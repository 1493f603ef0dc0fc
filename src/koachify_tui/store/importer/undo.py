"""Undoing an import batch, and listing batches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col

from ...i18n import _
from ..errors import Conflict, NotFound
from ..events import ContactDeleted, ContactUpdated
from ..fields import purge_values
from ..models import (
    Appointment,
    Contact,
    ContactChannel,
    ContactTag,
    CustomFieldValue,
    FieldEntity,
    HistoryEntry,
    HistoryKind,
    ImportBatch,
    ImportBatchItem,
    Message,
    Note,
    Opportunity,
    Task,
    utcnow,
)
from ..schema import FTS_TRIGGERS
from .sqlite_schema import DEFERRABLE_INDEXES, drop, recreate

IN_CHUNK = 900
BULK_CHUNK = 50_000  # ids per DELETE on SQLite (one JSON array parameter: no limit on values)


@dataclass(frozen=True)
class BatchInfo:
    """One import batch, for `koachify import --list-batches`."""

    id: int
    filename: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.filename,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
            "counts": self.counts,
        }


def list_batches(store: Any, *, limit: int | None = 50) -> list[BatchInfo]:
    """Newest batches first."""
    with store.read() as s:
        stmt = select(ImportBatch).order_by(col(ImportBatch.id).desc())
        if limit:
            stmt = stmt.limit(limit)
        return [
            BatchInfo(
                id=b.id or 0,
                filename=b.filename,
                source=b.source,
                started_at=b.started_at,
                finished_at=b.finished_at,
                undone_at=b.undone_at,
                counts=json.loads(b.counts_json or "{}"),
            )
            for b in s.exec(stmt).scalars()
        ]


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    removed: int
    restored: int
    kept: int = 0  # contacts the batch created that were worked on since: left in place

    def as_dict(self) -> dict[str, int]:
        return {"batch_id": self.batch_id, "removed": self.removed, "restored": self.restored, "kept": self.kept}


def _chunks(items: list[int]) -> list[list[int]]:
    return [items[i : i + IN_CHUNK] for i in range(0, len(items), IN_CHUNK)]


def undo_batch(store: Any, batch_id: int) -> UndoResult:
    """Revert a batch atomically: contacts it created are removed, contacts it changed get their previous
    values, extra emails/phones, tags and custom values back."""
    removed: list[int] = []
    restored: list[int] = []
    with store.write(origin="import") as tx:
        s = tx.session
        batch = s.get(ImportBatch, batch_id)
        if batch is None:
            raise NotFound(_("no import batch {id}").format(id=batch_id))
        if batch.undone_at is not None:
            raise Conflict(_("import batch {id} was already undone").format(id=batch_id))
        conn = s.connection()
        items = conn.execute(
            select(
                col(ImportBatchItem.contact_id), col(ImportBatchItem.action), col(ImportBatchItem.before_json)
            ).where(col(ImportBatchItem.batch_id) == batch_id)
        ).all()
        created = [cid for cid, action, _b in items if action == "created"]
        since = batch.finished_at or batch.started_at
        kept = 0
        # Ids can be reused after a purge: only remove contacts created no earlier than the batch.
        for chunk in _chunks(created):
            live = conn.execute(
                select(col(Contact.id), col(Contact.updated_at)).where(
                    col(Contact.id).in_(chunk), col(Contact.created_at) >= batch.started_at
                )
            ).all()
            worked_on = {cid for cid, updated_at in live if updated_at > since} | _worked_on(conn, chunk, batch_id)
            ids = [cid for cid, _updated_at in live if cid not in worked_on]
            kept += len(live) - len(ids)
            removed += ids
        _remove_contacts(s, conn, removed)
        for cid, action, before_json in items:
            if action == "created":
                continue
            contact = s.get(Contact, cid)
            if contact is None:
                continue
            _restore(store, s, contact, json.loads(before_json))
            s.add(HistoryEntry(contact_id=cid, kind=HistoryKind.IMPORT.value, actor=tx.origin,
                               text=_("Import of {file} undone").format(file=batch.filename),
                               data_json=json.dumps({"batch_id": batch_id, "action": "undo"})))  # fmt: skip
            restored.append(cid)
        s.execute(update(ImportBatch).where(col(ImportBatch.id) == batch_id).values(undone_at=utcnow()))
        for cid in restored:
            tx.emit(ContactUpdated, contact_id=cid, changed=("import_undo",))
    store.bus.publish([ContactDeleted(origin="import", depth=store.bus.depth, contact_id=cid) for cid in removed])
    return UndoResult(batch_id=batch_id, removed=len(removed), restored=len(restored), kept=kept)


def _remove_contacts(s: Any, conn: Any, ids: list[int]) -> None:
    """Delete these contacts with their custom values (the rest cascades). On SQLite, by JSON arrays of ids;
    and when they are most of the table, with the search index triggers and the indexes no delete reads
    dropped, then rebuilt from what is left: per row they cost ~30 µs a contact (3 s per 100k)."""
    if not ids:
        return
    if conn.dialect.name != "sqlite":
        for chunk in _chunks(ids):
            purge_values(s, FieldEntity.CONTACT.value, chunk)
            conn.execute(delete(Contact).where(col(Contact.id).in_(chunk)))
        return
    total = int(conn.exec_driver_sql("SELECT count(*) FROM contact").scalar() or 0)
    bulk = len(ids) * 2 >= total
    triggers = drop(conn, "trigger", tuple(FTS_TRIGGERS)) if bulk else []
    indexes = drop(conn, "index", DEFERRABLE_INDEXES) if bulk else []
    for start in range(0, len(ids), BULK_CHUNK):
        ids_json = json.dumps(ids[start : start + BULK_CHUNK])
        conn.exec_driver_sql(
            "DELETE FROM custom_field_value WHERE entity_id IN (SELECT value FROM json_each(?)) "
            "AND field_id IN (SELECT id FROM custom_field_def WHERE entity = ?)",
            (ids_json, FieldEntity.CONTACT.value),
        )
        conn.exec_driver_sql("DELETE FROM contact WHERE id IN (SELECT value FROM json_each(?))", (ids_json,))
    recreate(conn, indexes)
    recreate(conn, triggers)
    if triggers:  # the index still lists the deleted contacts: made again from the contacts left
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES('rebuild')")


def _worked_on(conn: Any, ids: list[int], batch_id: int) -> set[int]:
    """Which of these contacts have something an undo must not destroy: a deal, a note, a task, an
    appointment or a message, or a later import merged into them."""
    found: set[int] = set()
    for model in (Opportunity, Note, Task, Appointment, Message):
        contact_id = col(model.contact_id)
        found.update(conn.execute(select(contact_id).where(contact_id.in_(ids)).distinct()).scalars())
    found.update(
        conn.execute(
            select(col(ImportBatchItem.contact_id)).where(
                col(ImportBatchItem.contact_id).in_(ids), col(ImportBatchItem.batch_id) != batch_id
            )
        ).scalars()
    )
    return found


def _restore(store: Any, s: Any, contact: Contact, before: dict[str, Any]) -> None:
    for name, value in before.get("contact", {}).items():
        setattr(contact, name, value)
    contact.updated_at = utcnow()
    for kind, key in before.get("channels_added", []):
        s.execute(
            delete(ContactChannel).where(
                col(ContactChannel.contact_id) == contact.id,
                col(ContactChannel.kind) == kind,
                col(ContactChannel.key) == key,
            )
        )
    tag_ids = before.get("tags_added", [])
    if tag_ids:
        s.execute(
            delete(ContactTag).where(col(ContactTag.contact_id) == contact.id, col(ContactTag.tag_id).in_(tag_ids))
        )
    for field_id, value in before.get("custom_before", {}).items():
        where = (col(CustomFieldValue.field_id) == int(field_id), col(CustomFieldValue.entity_id) == contact.id)
        if value is None:
            s.execute(delete(CustomFieldValue).where(*where))
        else:
            s.execute(update(CustomFieldValue).where(*where).values(value_json=value))
    s.flush()
    store._refresh_search(s, contact)  # the store's own name key and search haystack
