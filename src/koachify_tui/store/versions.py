"""Optimistic concurrency for contacts and opportunities: versions, and merging an edit based on an old one.

Every committed transaction that logs a change of a contact or an opportunity bumps its `version` once and
stamps that version on its change-log rows (`stamp`, called by changes.flush). An edit that loaded version N
and saves later passes `expected_version=N`: when the row is still at N it applies as is; otherwise the change
log says which fields others changed since N (`check`). Fields nobody else touched merge silently; a field
both changed to different values raises `EditConflict` (nothing written) naming it with both values. The row
is locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write lock already is one) from the check to the
commit, so two saves of the same version cannot both pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .errors import EditConflict, NotFound
from .models import Contact, Opportunity
from .tables import T_CHANGE

if TYPE_CHECKING:
    from .base import Tx

TABLES: dict[str, Table] = {
    "contact": Contact.__table__,  # type: ignore[attr-defined]
    "opportunity": Opportunity.__table__,  # type: ignore[attr-defined]
}
MODELS: dict[str, type[Any]] = {"contact": Contact, "opportunity": Opportunity}

#: Items that hang off a contact: editing, deleting or restoring one is a change of its contact (version-wise).
ITEM_ENTITIES = frozenset({"note", "task", "appointment", "message"})


def _owner(r: dict[str, Any]) -> tuple[str, int | None]:
    """The (entity, id) whose version a change row moves: an item's change moves its contact's."""
    if r["entity"] in ITEM_ENTITIES:
        return "contact", r["contact_id"]
    return r["entity"], r["entity_id"]


def stamp(tx: Tx) -> None:
    """Bump the version of every contact and opportunity `tx` changed, once, and stamp it on its rows."""
    versions: dict[tuple[str, int | None], int] = {}
    for entity, table in TABLES.items():
        ids = sorted({i for e, i in map(_owner, tx.changes) if e == entity and i is not None})
        if not ids:
            continue
        result = tx.session.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(version=table.c.version + 1)
            .returning(table.c.id, table.c.version)
        )
        for row_id, version in result:
            versions[(entity, row_id)] = version
            loaded = tx.session.identity_map.get((MODELS[entity], (row_id,), None))
            if loaded is not None:  # keep the object handed back to the caller current, without re-flushing it
                set_committed_value(loaded, "version", version)
    for r in tx.changes:
        r["version"] = versions.get(_owner(r))


def stamp_txn(conn: Any, txn: str) -> None:
    """`stamp` for a transaction that wrote its change rows itself (an import batch, set-based): each contact
    it changed (not those it created) moves to its next version, stamped on the batch's rows."""
    table = TABLES["contact"]
    changed = (
        select(T_CHANGE.c.entity_id)
        .where(T_CHANGE.c.txn == txn, T_CHANGE.c.entity == "contact", T_CHANGE.c.field != "created")
        .distinct()
        .scalar_subquery()
    )
    conn.execute(update(table).where(table.c.id.in_(changed)).values(version=table.c.version + 1))
    version_now = select(table.c.version).where(table.c.id == T_CHANGE.c.entity_id).scalar_subquery()
    conn.execute(
        update(T_CHANGE)
        .where(T_CHANGE.c.txn == txn, T_CHANGE.c.entity == "contact", T_CHANGE.c.field != "created")
        .values(version=version_now)
    )


def check(
    tx: Tx,
    entity: str,
    entity_id: int,
    expected_version: int,
    mine: Mapping[str, Any],
    theirs: Callable[[str], Any],
) -> None:
    """Raise EditConflict when a field of `mine` ({field: wanted value}) was changed by someone else since
    `expected_version` to something other than what this edit wants. `theirs(field)` is its stored value."""
    table = TABLES[entity]
    current = tx.session.execute(select(table.c.version).where(table.c.id == entity_id).with_for_update()).scalar()
    if current is None:
        raise NotFound(f"no {entity} with id {entity_id}")
    if current == expected_version or not mine:
        return
    changed = set(
        tx.session.execute(
            select(T_CHANGE.c.field).where(
                T_CHANGE.c.entity == entity,
                T_CHANGE.c.entity_id == entity_id,
                T_CHANGE.c.version > expected_version,
            )
        ).scalars()
    )
    for field, wanted in mine.items():
        if field in changed:
            stored = theirs(field)
            if stored != wanted:
                raise EditConflict(entity, entity_id, field, wanted, stored)
