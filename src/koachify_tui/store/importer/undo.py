"""Undoing an import batch, and listing batches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import col

from ...i18n import _
from .. import name_rank
from ..changes import Cause, Change, changes_of, decode, record
from ..contacts import refresh_search
from ..errors import Conflict, NotFound
from ..events import ContactDeleted
from ..fields import purge_values
from ..models import (
    Appointment,
    ChangeLog,
    Contact,
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
from ..revert import Kept, revert
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
    """What an undo did. `kept` counts the contacts the batch created that stay (worked on since); `changes_kept`
    lists each change left in place with the reason. A partial undo (`complete` False) can be run again."""

    batch_id: int
    removed: int
    restored: int
    kept: int = 0
    reverted: int = 0  # field-level changes reverted (on contacts that existed, and by the batch's rule runs)
    changes_kept: tuple[Kept, ...] = ()
    contacts_kept: tuple[tuple[int, str], ...] = ()  # (contact id, why) of created contacts left in place

    @property
    def complete(self) -> bool:
        return not self.changes_kept and not self.contacts_kept

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "removed": self.removed,
            "restored": self.restored,
            "kept": self.kept,
            "reverted": self.reverted,
            "complete": self.complete,
            "kept_changes": [k.as_dict() for k in self.changes_kept],
            "kept_contacts": [{"contact_id": cid, "reason": why} for cid, why in self.contacts_kept],
        }


def _chunks(items: list[int]) -> list[list[int]]:
    return [items[i : i + IN_CHUNK] for i in range(0, len(items), IN_CHUNK)]


def undo_batch(store: Any, batch_id: int) -> UndoResult:
    """Revert a batch atomically, from the change log: a field it changed goes back only while it still holds
    what the batch wrote; a contact it created goes only if nothing outside the batch touched it since; what
    the batch's own fire_on_import rule runs did (tags, tasks, notes, enrolments) is reverted the same way.
    What stays is listed with the reason. Until everything is reverted the batch is not marked undone, so
    the undo can be run again once the blocking edit is gone; a completed undo cannot be repeated."""
    with store.write(origin="import", cause=Cause("import_undo", batch_id)) as tx:
        s = tx.session
        batch = s.get(ImportBatch, batch_id)
        if batch is None:
            raise NotFound(_("no import batch {id}").format(id=batch_id))
        if batch.undone_at is not None:
            raise Conflict(_("import batch {id} was already undone").format(id=batch_id))
        conn = s.connection()
        rows = changes_of(s, batch_id=batch_id)
        created = sorted(
            conn.execute(
                select(col(ImportBatchItem.contact_id)).where(
                    col(ImportBatchItem.batch_id) == batch_id, col(ImportBatchItem.action) == "created"
                )
            ).scalars()
        )
        removed, contacts_kept = _created_to_remove(conn, batch, created)
        _remove_contacts(s, conn, removed)
        gone = set(removed)
        rest = [r for r in rows if r.contact_id not in gone]
        outcome = revert(tx, store, rest, later=_later(conn, batch_id, rest))
        for cid in sorted(outcome.contacts):
            contact = s.get(Contact, cid)
            if contact is not None:
                refresh_search(s, contact)
        restored = sorted(outcome.reverted_on - set(created))
        for cid in restored:
            s.add(HistoryEntry(contact_id=cid, kind=HistoryKind.IMPORT.value, actor=tx.origin,
                               text=_("Import of {file} undone").format(file=batch.filename),
                               data_json=json.dumps({"batch_id": batch_id, "action": "undo"})))  # fmt: skip
        result = UndoResult(
            batch_id=batch_id,
            removed=len(removed),
            restored=len(restored),
            kept=len(contacts_kept),
            reverted=outcome.reverted,
            changes_kept=tuple(outcome.kept),
            contacts_kept=tuple(contacts_kept),
        )
        record(tx, "import_batch", batch_id, "undo", None, result.as_dict())
        if result.complete:
            s.execute(update(ImportBatch).where(col(ImportBatch.id) == batch_id).values(undone_at=utcnow()))
    store.bus.publish([ContactDeleted(origin="import", depth=store.bus.depth, contact_id=cid) for cid in removed])
    return result


def _created_to_remove(conn: Any, batch: ImportBatch, created: list[int]) -> tuple[list[int], list[tuple[int, str]]]:
    """The contacts the batch created that can go, and those that stay with the reason."""
    removed: list[int] = []
    kept: list[tuple[int, str]] = []
    for chunk in _chunks(created):
        # Ids can be reused after a purge: only contacts created no earlier than the batch are its own.
        live = set(
            conn.execute(
                select(col(Contact.id)).where(col(Contact.id).in_(chunk), col(Contact.created_at) >= batch.started_at)
            ).scalars()
        )
        why = _worked_on(conn, sorted(live), batch.id or 0)
        kept += sorted(why.items())
        removed += [cid for cid in chunk if cid in live and cid not in why]
    return removed, kept


def _later(conn: Any, batch_id: int, rows: list[Change]) -> set[tuple[Any, ...]]:
    """(entity, entity_id, field, value) of set-like changes made outside the batch after its first change to
    the same contact: a tag it added that the user removed and put back is the user's now."""
    contacts = sorted({r.contact_id for r in rows if r.contact_id is not None})
    start = min((r.id for r in rows), default=0)
    out: set[tuple[Any, ...]] = set()
    for chunk in _chunks(contacts):
        for entity, entity_id, name, old, new in conn.execute(
            select(
                col(ChangeLog.entity), col(ChangeLog.entity_id), col(ChangeLog.field), col(ChangeLog.old_value),
                col(ChangeLog.new_value),
            ).where(
                col(ChangeLog.contact_id).in_(chunk), col(ChangeLog.id) > start,
                or_(col(ChangeLog.batch_id).is_(None), col(ChangeLog.batch_id) != batch_id),
                col(ChangeLog.cause) != "import_undo",
            )
        ):  # fmt: skip
            value = decode(new) if new is not None else decode(old)
            out.add((entity, entity_id, name, value))
    return out


def _remove_contacts(s: Any, conn: Any, ids: list[int]) -> None:
    """Delete these contacts with their custom values (the rest cascades). On SQLite, by JSON arrays of ids;
    and when they are most of the table, with the search index triggers and the indexes no delete reads
    dropped, then rebuilt from what is left: per row they cost ~30 µs a contact (3 s per 100k)."""
    if not ids:
        return
    if conn.dialect.name != "sqlite":
        for chunk in _chunks(ids):
            purge_values(s, FieldEntity.CONTACT.value, chunk)
            conn.execute(delete(ChangeLog).where(col(ChangeLog.contact_id).in_(chunk)))
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
        # Ids are reused: a removed contact's log rows must not become another's history.
        conn.exec_driver_sql("DELETE FROM change_log WHERE contact_id IN (SELECT value FROM json_each(?))", (ids_json,))
        conn.exec_driver_sql("DELETE FROM contact WHERE id IN (SELECT value FROM json_each(?))", (ids_json,))
    recreate(conn, indexes)
    recreate(conn, triggers)
    if triggers:  # the index still lists the deleted contacts: made again from the contacts left
        name_rank.rank_all(conn)


def _worked_on(conn: Any, ids: list[int], batch_id: int) -> dict[int, str]:
    """Which of these contacts have something an undo must not destroy, with the reason: a change logged
    outside the batch (a field, a custom value, a tag, a merge…), or a deal, note, task, appointment or
    message that is not one of the batch's own rule runs', or a later import merged into them."""
    found: dict[int, str] = {}
    if not ids:
        return found
    own: dict[str, set[int]] = {}
    for name, value in conn.execute(
        select(col(ChangeLog.field), col(ChangeLog.new_value)).where(
            col(ChangeLog.batch_id) == batch_id,
            col(ChangeLog.contact_id).in_(ids),
            col(ChangeLog.new_value).is_not(None),
        )
    ):
        own.setdefault(name, set()).add(decode(value))
    for cid, name in conn.execute(
        select(col(ChangeLog.contact_id), col(ChangeLog.field))
        .where(
            col(ChangeLog.contact_id).in_(ids),
            or_(col(ChangeLog.batch_id).is_(None), col(ChangeLog.batch_id) != batch_id),
            col(ChangeLog.cause) != "import_undo",
        )
        .order_by(col(ChangeLog.id))
    ):
        found.setdefault(cid, _("changed after the import ({field})").format(field=name))
    items: dict[str, Any] = {
        "opportunity": Opportunity,
        "note": Note,
        "task": Task,
        "appointment": Appointment,
        "message": Message,
    }
    for label, model in items.items():
        mine = own.get(label, set())
        for cid, item_id in conn.execute(
            select(col(model.contact_id), col(model.id)).where(col(model.contact_id).in_(ids))
        ):
            if item_id not in mine:
                found.setdefault(cid, _("has a {item} added after the import").format(item=label))
    for cid in conn.execute(
        select(col(ImportBatchItem.contact_id)).where(
            col(ImportBatchItem.contact_id).in_(ids), col(ImportBatchItem.batch_id) != batch_id
        )
    ).scalars():
        found.setdefault(cid, _("a later import merged into it"))
    return found
