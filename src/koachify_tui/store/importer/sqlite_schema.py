"""Dropping and re-creating SQLite triggers and indexes around a bulk change (import, undo).

A B-tree built once from sorted rows costs a fraction of one changed row by row, and the FTS5 triggers cost
a tokenisation per row; for a change to most of a table it pays to drop them and build them again at the
end. Both happen inside the caller's transaction, so a crash rolls the schema back with the data."""

from __future__ import annotations

from sqlalchemy import Connection

# Contact indexes no lookup of an import or an undo reads (they use email_key, phone_e164, name_key, id
# and the channels' and tags' own indexes).
DEFERRABLE_INDEXES = (
    "ix_contact_created_at",
    "ix_contact_deleted_at",
    "ix_contact_last_activity_at",
    "ix_contact_live_name",
    "ix_custom_field_value_entity",
    # The search tails (schema.SEARCH_TAIL): built again after a bulk change like the others.
    "ix_contact_search_tail1",
    "ix_contact_search_tail2",
    "ix_contact_live_rest",  # schema.NAME_REST
)
# What an import defers: the indexes whose keys arrive in random order. The others get the batch's rows at
# their right edge (one created_at for the whole batch, NULL deleted_at and last_activity_at): kept live they
# cost an append per row while the writer would otherwise wait for the parsing process, instead of a sort and
# build after the last row, when nothing else runs. (The custom values' (entity, field) index is not one of
# them: a chunk writes its values field after field, so each field's rows go between the previous ones.)
_APPENDED = ("ix_contact_created_at", "ix_contact_deleted_at", "ix_contact_last_activity_at")
IMPORT_DEFERRED = tuple(name for name in DEFERRABLE_INDEXES if name not in _APPENDED)


def drop(conn: Connection, kind: str, names: tuple[str, ...]) -> list[str]:
    """Drop those of the named triggers or indexes (`kind`) that exist; returns the statements that make
    them again (read back from the schema, so they are exactly what was there)."""
    statements = [
        (name, row[0])
        for name in names
        for row in conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type=? AND name=?", (kind, name))
        if row[0]
    ]
    for name, _sql in statements:
        conn.exec_driver_sql(f"DROP {kind.upper()} {name}")
    return [sql for _name, sql in statements]


def recreate(conn: Connection, statements: list[str]) -> None:
    for sql in statements:
        conn.exec_driver_sql(sql)
