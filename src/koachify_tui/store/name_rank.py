"""The name order's ranks, which key the search index (SQLite; see schema.FTS_TABLE).

Every contact (live, trashed or merged away) has a rank in `contact_rank`, increasing in (name_key, id) order,
with room between neighbours. A contact inserted or renamed loses its rank and index entry (the triggers of
schema.FTS_TRIGGERS) and waits in `contact_unranked`; `rank_pending` gives those a rank between their
neighbours' and indexes them, before each commit of `StoreBase.write` and at the end of an import. When
a gap is full, or most contacts wait (a big import), `rank_all` numbers everyone again.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, inspect

_ENABLED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()

SPAN = 1 << 62  # ranks lie in (0, SPAN)
MAX_STEP = 1 << 32  # a rank given in a gap sits at most this far from its lower neighbour: room after it
FEW = 2000  # up to this many waiting contacts are ranked in their gaps without counting the others
FULL_SHARE = 4  # more waiting than a quarter of the ranked: everyone numbered again

_WAITING = (
    "SELECT contact.name_key, contact.id FROM contact_unranked JOIN contact ON contact.id = contact_unranked.id "
    "ORDER BY contact.name_key, contact.id"
)
_BEFORE = (
    "SELECT contact_rank.rank FROM contact JOIN contact_rank ON contact_rank.id = contact.id "
    "WHERE (contact.name_key, contact.id) < (?, ?) ORDER BY contact.name_key DESC, contact.id DESC LIMIT 1"
)
_AFTER = (
    "SELECT contact_rank.rank, contact.name_key, contact.id FROM contact JOIN contact_rank "
    "ON contact_rank.id = contact.id WHERE (contact.name_key, contact.id) > (?, ?) "
    "ORDER BY contact.name_key, contact.id LIMIT 1"
)
_INDEX = (
    "INSERT INTO contact_fts(rowid, search_text) SELECT contact_rank.rank, contact.search_text FROM contact_rank "
    "JOIN contact ON contact.id = contact_rank.id"
)


def _scalar(conn: Connection, sql: str, *params: Any) -> int:
    return int(conn.exec_driver_sql(sql, params).scalar() or 0)


def rank_pending(conn: Connection) -> int:
    """Rank and index the contacts waiting in `contact_unranked`; returns how many there were. No-op without
    the ranked index (PostgreSQL, SQLite without FTS5 trigram)."""
    if not _enabled(conn):
        return 0
    waiting = _scalar(conn, "SELECT count(*) FROM contact_unranked")
    if not waiting:
        return 0
    many = waiting > FEW and waiting * FULL_SHARE >= _scalar(conn, "SELECT count(*) FROM contact_rank")
    if many or not _rank_in_gaps(conn):
        rank_all(conn)
    return waiting


def _enabled(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    known = _ENABLED.get(conn.engine)
    if known is None:
        known = _ENABLED[conn.engine] = inspect(conn).has_table("contact_unranked")
    return known


def _rank_in_gaps(conn: Connection) -> bool:
    """Give each waiting contact a rank between its ranked neighbours', spread evenly when several share a gap.
    False (nothing written) when a gap has no room left for them."""
    given: list[tuple[int, int]] = []  # (rank, id)
    group: list[int] = []  # ids of waiting contacts in the current gap
    low, high = 0, SPAN
    upper: tuple[str, int] | None = None  # (name_key, id) of the gap's upper neighbour; None: the last gap
    for key, cid in conn.exec_driver_sql(_WAITING).all():
        if group and (upper is None or (key, cid) < upper):
            group.append(cid)  # same gap as the previous one
            continue
        if group and not _spread(given, group, low, high):
            return False
        low = _scalar(conn, _BEFORE, key, cid)
        row = conn.exec_driver_sql(_AFTER, (key, cid)).first()
        high, upper = (int(row[0]), (str(row[1]), int(row[2]))) if row else (SPAN, None)
        group = [cid]
    if group and not _spread(given, group, low, high):
        return False
    _insert(conn, given)
    return True


def _spread(given: list[tuple[int, int]], group: list[int], low: int, high: int) -> bool:
    step = min((high - low) // (len(group) + 1), MAX_STEP)
    if step < 1:
        return False
    given.extend((low + step * (i + 1), cid) for i, cid in enumerate(group))
    return True


def _insert(conn: Connection, given: list[tuple[int, int]]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.executemany("INSERT INTO contact_rank(rank, id) VALUES (?, ?)", given)
    conn.exec_driver_sql(f"{_INDEX} WHERE contact_rank.id IN (SELECT id FROM contact_unranked) ORDER BY 1")
    conn.exec_driver_sql("DELETE FROM contact_unranked")


def rank_all(conn: Connection) -> None:
    """Number every contact again, evenly over the span, and build the index from scratch in rank order
    (FTS5 writes rows given in rowid order straight into one segment)."""
    total = _scalar(conn, "SELECT count(*) FROM contact")
    step = SPAN // (total + 1)
    conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES('delete-all')")
    conn.exec_driver_sql("DELETE FROM contact_rank")
    conn.exec_driver_sql(
        "INSERT INTO contact_rank(rank, id) "
        f"SELECT row_number() OVER (ORDER BY name_key, id) * {step}, id FROM contact ORDER BY 1"
    )
    conn.exec_driver_sql(f"{_INDEX} ORDER BY contact_rank.rank")
    conn.exec_driver_sql("DELETE FROM contact_unranked")


def unrank(conn: Connection, ids: list[int]) -> None:
    """Take these contacts out of the index and rank, to be ranked again (`rank_pending`), as the triggers do
    for a rename: for a writer that changes contacts with the triggers off (the importer's bulk mode)."""
    listed = "(SELECT value FROM json_each(?))"
    for start in range(0, len(ids), 5000):
        chunk = (json.dumps(ids[start : start + 5000]),)
        conn.exec_driver_sql(
            "INSERT INTO contact_fts(contact_fts, rowid, search_text) SELECT 'delete', contact_rank.rank, "
            "contact.search_text FROM contact_rank JOIN contact ON contact.id = contact_rank.id "
            f"WHERE contact_rank.id IN {listed}",
            chunk,
        )
        conn.exec_driver_sql(f"DELETE FROM contact_rank WHERE id IN {listed}", chunk)
        conn.exec_driver_sql("INSERT OR IGNORE INTO contact_unranked(id) SELECT value FROM json_each(?)", chunk)
