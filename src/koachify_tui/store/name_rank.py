"""The name order's ranks, which key the search index (SQLite; see schema.FTS_TABLE).

Every contact (live, trashed or merged away) has a rank in `contact_rank`, increasing in (name_key, id) order,
with room between neighbours. A contact inserted or renamed loses its rank and index entry (the triggers of
schema.FTS_TRIGGERS) and waits in `contact_unranked`; `rank_pending` gives those a rank between their
neighbours' and indexes them, before each commit of `StoreBase.write` and at the end of an import. A full
gap is spread again with a few neighbours (`_respread`); when most contacts wait (a big import), `rank_all`
numbers everyone again.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, inspect

_ENABLED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()

SPAN = 1 << 62  # ranks lie in (0, SPAN)
# Ranks numbered afresh are SPACING apart. FTS5 stores a trigram's rows as rowid deltas: at 100k contacts the
# index is 6.6 MB with ranks 1 apart, 9.0 MB 64 apart, 44 MB 2^42 apart. A full gap is spread again locally.
SPACING = 64
MAX_STEP = SPACING // 4  # a rank given in a gap sits at most this far above its lower neighbour: room after it
WINDOW = 8  # ranked neighbours on each side given new ranks with a gap's waiting contacts when it is full
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
_UNINDEX = (
    "INSERT INTO contact_fts(contact_fts, rowid, search_text) SELECT 'delete', contact_rank.rank, "
    "contact.search_text FROM contact_rank JOIN contact ON contact.id = contact_rank.id"
)
_LISTED = "(SELECT value FROM json_each(?))"
_NEIGHBOURS = (  # ranked contacts on one side of a name (ORDER BY fills in the direction)
    "SELECT contact_rank.rank, contact.id FROM contact JOIN contact_rank ON contact_rank.id = contact.id "
    "WHERE (contact.name_key, contact.id) {op} (?, ?) ORDER BY contact.name_key {way}, contact.id {way} LIMIT ?"
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
    if many:
        rank_all(conn)
    else:
        _rank_in_gaps(conn)
    return waiting


def _enabled(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    known = _ENABLED.get(conn.engine)
    if known is None:
        known = _ENABLED[conn.engine] = inspect(conn).has_table("contact_unranked")
    return known


def _rank_in_gaps(conn: Connection) -> None:
    """Give each waiting contact a rank between its ranked neighbours', spread evenly when several share a gap;
    a gap without room is spread again with its neighbours (`_respread`)."""
    given: list[tuple[int, int]] = []  # (rank, id)
    group: list[tuple[str, int]] = []  # (name_key, id) of the waiting contacts in the current gap
    low, high = 0, SPAN
    upper: tuple[str, int] | None = None  # (name_key, id) of the gap's upper neighbour; None: the last gap
    for key, cid in conn.exec_driver_sql(_WAITING).all():
        if group and (upper is None or (key, cid) < upper):
            group.append((key, cid))  # same gap as the previous one
            continue
        _place(conn, given, group, low, high)
        low = _scalar(conn, _BEFORE, key, cid)
        row = conn.exec_driver_sql(_AFTER, (key, cid)).first()
        high, upper = (int(row[0]), (str(row[1]), int(row[2]))) if row else (SPAN, None)
        group = [(key, cid)]
    _place(conn, given, group, low, high)
    _insert(conn, given)


def _place(conn: Connection, given: list[tuple[int, int]], group: list[tuple[str, int]], low: int, high: int) -> None:
    """Ranks for a gap's waiting contacts in `given`, or, when the gap is full, written at once with new ranks
    for its neighbours (after what `given` holds so far, whose ranks the neighbours may be)."""
    if not group:
        return
    step = min((high - low) // (len(group) + 1), MAX_STEP)
    if step >= 1:
        given.extend((low + step * (i + 1), cid) for i, (_key, cid) in enumerate(group))
        return
    _insert(conn, given)
    given.clear()
    _respread(conn, group)


def _respread(conn: Connection, group: list[tuple[str, int]]) -> None:
    """Rank a full gap's waiting contacts with `width` ranked neighbours on each side, all evenly between the
    ranks just outside them; the window doubles until there is room (the whole table at worst)."""
    width = WINDOW
    first, last = group[0], group[-1]
    while True:
        below = conn.exec_driver_sql(_NEIGHBOURS.format(op="<", way="DESC"), (*first, width + 1)).all()
        above = conn.exec_driver_sql(_NEIGHBOURS.format(op=">", way="ASC"), (*last, width + 1)).all()
        low = int(below[width][0]) if len(below) > width else 0
        high = int(above[width][0]) if len(above) > width else SPAN
        moved = [int(cid) for _rank, cid in below[:width][::-1]] + [int(cid) for _rank, cid in above[:width]]
        ids = moved[: len(below[:width])] + [cid for _key, cid in group] + moved[len(below[:width]) :]
        step = min((high - low) // (len(ids) + 1), SPACING)
        if step >= 1:
            break
        width *= 2
    unrank(conn, moved)
    _insert(conn, [(low + step * (i + 1), cid) for i, cid in enumerate(ids)])


def _insert(conn: Connection, given: list[tuple[int, int]]) -> None:
    """Write these ranks (of contacts without one) and index the contacts at them."""
    if not given:
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.executemany("INSERT INTO contact_rank(rank, id) VALUES (?, ?)", sorted(given))
    listed = (json.dumps([cid for _rank, cid in given]),)
    conn.exec_driver_sql(f"{_INDEX} WHERE contact_rank.id IN {_LISTED} ORDER BY 1", listed)
    conn.exec_driver_sql(f"DELETE FROM contact_unranked WHERE id IN {_LISTED}", listed)


def rank_all(conn: Connection) -> None:
    """Number every contact again, evenly over the span, and build the index from scratch in rank order
    (FTS5 writes rows given in rowid order straight into one segment)."""
    total = _scalar(conn, "SELECT count(*) FROM contact")
    step = min(SPAN // (total + 1), SPACING)
    conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES('delete-all')")
    conn.exec_driver_sql("DELETE FROM contact_rank")
    # Positions from a temporary table's rowids, given in name order (the name index, no sort): row_number()
    # over the same order cost its window co-routines and a sort of the result, 0.23–0.42 → 0.09–0.16 s at 90k.
    conn.exec_driver_sql("DROP TABLE IF EXISTS temp.rank_order")  # (left by a failed call whose caller went on)
    conn.exec_driver_sql("CREATE TEMP TABLE rank_order(pos INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    conn.exec_driver_sql("INSERT INTO temp.rank_order(id) SELECT id FROM contact ORDER BY name_key, id")
    conn.exec_driver_sql(f"INSERT INTO contact_rank(rank, id) SELECT pos * {step}, id FROM rank_order ORDER BY pos")
    conn.exec_driver_sql("DROP TABLE temp.rank_order")
    # Every contact read in table order with its rank (the rank table's id index, cached) and sorted by rank:
    # read in rank order instead, the contacts of a 1M file came in random order, 2.9–3.9 → 2.3 s to list.
    conn.exec_driver_sql(
        "INSERT INTO contact_fts(rowid, search_text) SELECT contact_rank.rank, contact.search_text FROM contact "
        "CROSS JOIN contact_rank ON contact_rank.id = contact.id ORDER BY contact_rank.rank"
    )
    conn.exec_driver_sql("DELETE FROM contact_unranked")


def unrank(conn: Connection, ids: list[int]) -> None:
    """Take these contacts out of the index and rank, to be ranked again (`rank_pending`), as the triggers do
    for a rename: for a writer that changes contacts with the triggers off (the importer's bulk mode)."""
    for start in range(0, len(ids), 5000):
        chunk = (json.dumps(ids[start : start + 5000]),)
        conn.exec_driver_sql(f"{_UNINDEX} WHERE contact_rank.id IN {_LISTED}", chunk)
        conn.exec_driver_sql(f"DELETE FROM contact_rank WHERE id IN {_LISTED}", chunk)
        conn.exec_driver_sql("INSERT OR IGNORE INTO contact_unranked(id) SELECT value FROM json_each(?)", chunk)
