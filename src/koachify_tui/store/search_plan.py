"""One page of a contact list, searched or not, without sorting every match.

A page is answered from an index already in display order, and reading stops at the page:

- The name order with a search ranks the contacts whose sort name starts with the first term first (a range
  of the name index, `ix_contact_live_name`), then those whose name after its first word starts with it
  (most often a last name: `ix_contact_live_rest`, one range per distinct rest, merged), then the other
  matches, each part by name in the direction asked (descending keeps the rank). So `mario` is answered from
  the Marios' range and `rossi` from the Rossis', not from 90k trigram candidates sorted by name.
- Each part is walked in index order for a few hundred rows, checking the terms (a common term fills the page
  there); when the walk does not fill the page the term is rare, and the ids the search index holds for it
  (FTS5 trigrams; for one- or two-letter terms the trigrams that start with them, see `search.short_ids`)
  are fetched and sorted, if they are few. Only a term neither common nor rare falls back to SQLite's own
  plan, which is what every page used before.
- Created and last activity orders walk their own index (`+deleted_at` keeps SQLite from picking the
  deleted_at index and sorting the whole table: 1 s at 1M contacts).

PostgreSQL and SQLite without FTS5 run one query with the same order (the rank as a CASE). The matching set
is always `search.search_clause`'s: every term a substring of the haystack.
"""

from __future__ import annotations

import functools
import heapq
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from . import search
from .models import Contact
from .schema import REST

MAX_WALK = 20_000  # a term seen in the first rows is walked on up to here, if its density says it is worth it
WALK = 400  # rows of a part read in index order before its term counts as rare (random row reads: ~5 µs each)
DEEP = 2000  # a page starting further down is read with one query and OFFSET
PROBE = 64  # trigram candidates asked for before any walk
CANDIDATES = 1500  # up to this many search-index candidates are read and sorted
MAX_RESTS = 24  # distinct name rests starting with a term read one range each; more: the part is walked
_TOP = "\U0010ffff"  # sorts after every character: [t, t + _TOP) is the range of strings starting with t

# Core columns and Connection.execute on the hot path: the ORM's statement handling cost more than SQLite's
# work for a page (≈ 5 ms of 7 at 1M contacts).
_T: Table = Contact.__table__  # type: ignore[attr-defined]
_SORT_COLUMNS = {"name": "name_key", "created": "created_at", "last_activity": "last_activity_at"}


@dataclass
class _Search:
    """One page's search: its terms, the match clause, and the candidate ids once asked for."""

    terms: list[str]
    match: ColumnElement[bool]
    sort: str
    candidates: list[int] | None = None
    asked: bool = False

    def candidate_ids(self, s: Session) -> list[int] | None:
        if not self.asked:
            self.candidates, self.asked = search.candidate_ids(s, self.terms, CANDIDATES), True
        return self.candidates


@dataclass(frozen=True)
class _Part:
    """A stretch of the order: the rows of `where(plain)` (`plain`: in a form no index is walked for).
    `rest`: the part of the names whose rest starts with that term (read range by range, see `_rest_page`)."""

    where: Callable[[bool], list[ColumnElement[bool]]]
    descending: bool
    rest: str | None = None


def _sort_column(sort: str) -> Any:
    return _T.c[_SORT_COLUMNS.get(sort, "name_key")]


def _order(sort: str, descending: bool, *, plain: bool = False) -> list[Any]:
    """ORDER BY for a part; `plain` ("+col") tells SQLite not to walk that index (for a few ids)."""
    column = literal_column(f"+contact.{_SORT_COLUMNS.get(sort, 'name_key')}") if plain else col(_sort_column(sort))
    ident = _T.c.id
    return [column.desc(), ident.desc()] if descending else [column.asc(), ident.asc()]


def _starts(term: str, sqlite: bool) -> ColumnElement[bool]:
    key = _T.c.name_key
    return and_(key >= term, key < term + _TOP) if sqlite else key.startswith(term, autoescape=True)


# The name after its first word (all of it when it has one word): as `ix_contact_live_rest` has it, and with
# `+` (SQLite walks no index for it) where a part is read in name order.
_rest_key: Any = literal_column(REST)
_rest_plain: Any = literal_column(REST.replace("contact.name_key", "+contact.name_key"))


def _rest_starts(term: str, sqlite: bool) -> ColumnElement[bool]:
    if sqlite:
        return and_(_rest_key >= term, _rest_key < term + _TOP)
    key = _T.c.name_key
    return func.substr(key, func.strpos(key, " ") + 1).startswith(term, autoescape=True)


def _rank(term: str, sqlite: bool) -> Any:
    """The name order's parts as one sort key: the name starts with the term, its rest does, the others."""
    return case((_starts(term, sqlite), 0), (_rest_starts(term, sqlite), 1), else_=2)


def page(
    s: Session,
    deleted: bool,
    filters: list[ColumnElement[bool]],
    query: str,
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
    columns: Sequence[Any],
) -> list[Any]:
    """Rows of `columns` for one page of the live (or, `deleted`, trashed) contacts matching `filters` and the
    search `query`."""
    sqlite = s.get_bind().dialect.name == "sqlite"
    trashed: Any = _T.c.deleted_at
    if sqlite and sort != "name":
        trashed = literal_column("+contact.deleted_at")  # walk the sort column's index, not deleted_at's
    base = [trashed.is_not(None) if deleted else trashed.is_(None), *filters]
    terms = search.query_terms(query)
    if not terms:
        stmt = select(*columns).where(*base).order_by(*_order(sort, descending)).offset(offset)
        return list(s.connection().execute(stmt if limit is None else stmt.limit(limit)))
    if not sqlite or not search.has_fts(s) or limit is None or offset > DEEP:
        # One query in the same order: no index walk to stop early, and deep pages (an export's) would walk
        # every row before them in Python.
        match = search.search_clause(s, query)
        assert match is not None  # there are terms
        order = _order(sort, descending)
        if sort == "name":
            order = [_rank(terms[0], sqlite).asc(), *order]
        stmt = select(*columns).where(*base, match).order_by(*order).offset(offset)
        return list(s.connection().execute(stmt if limit is None else stmt.limit(limit)))
    found = _Search(terms, search.like_all(terms), sort)
    if any(len(t) >= 3 for t in terms):  # a rare long term is a few trigram rows: sorted with no walk at all
        probe = search.candidate_ids(s, terms, PROBE)  # (a common one stops the index after PROBE + 1 ids)
        if probe is not None:
            found.candidates, found.asked = probe, True
    rows: list[Any] = []
    skip = offset
    for part in _parts(deleted, filters, found, descending):
        got, size = _part_page(s, part, found, skip, limit - len(rows), columns)
        rows += got
        if len(rows) >= limit:
            break
        skip = 0 if got else max(skip - (size if size is not None else _count(s, part, found.match)), 0)
    return rows


def _parts(deleted: bool, filters: list[ColumnElement[bool]], found: _Search, descending: bool) -> list[_Part]:
    """The order's stretches: in the name order the range of names starting with the first term, then the
    names after it and before it (ascending: before, after); otherwise one."""

    def where(
        *ranges: Callable[[Any], ColumnElement[bool]], rest: bool | None = None
    ) -> Callable[[bool], list[ColumnElement[bool]]]:
        """`rest`: also the rest of the name starts with the term (True) or does not (False)."""

        def clauses(plain: bool) -> list[ColumnElement[bool]]:
            trashed = literal_column("+contact.deleted_at") if plain or found.sort != "name" else _T.c.deleted_at
            key = literal_column("+contact.name_key") if plain else _T.c.name_key
            live = trashed.is_not(None) if deleted else trashed.is_(None)
            rests = [] if rest is None else [_rest_in(t, rest)]
            return [live, *filters, *(r(key) for r in ranges), *rests]

        return clauses

    if found.sort != "name":
        return [_Part(where(), descending)]
    t = found.terms[0]
    prefix = _Part(where(lambda k: k >= t, lambda k: k < t + _TOP), descending)
    # (the trash is walked like the other parts: the rest index starts with deleted_at IS NULL)
    rest = _Part(where(lambda k: or_(k < t, k >= t + _TOP), rest=True), descending, rest=None if deleted else t)
    before = _Part(where(lambda k: k < t, rest=False), descending)
    after = _Part(where(lambda k: k >= t + _TOP, rest=False), descending)
    return [prefix, rest, after, before] if descending else [prefix, rest, before, after]


def _rest_in(term: str, inside: bool) -> ColumnElement[bool]:
    """The rest of the name starts with `term` (or, not `inside`, does not), in the form no index is walked for."""
    if inside:
        return and_(_rest_plain >= term, _rest_plain < term + _TOP)
    return or_(_rest_plain < term, _rest_plain >= term + _TOP)


def _rest_values(s: Session, term: str) -> list[str] | None:
    """The distinct rests of live names starting with `term`, in order (None: more than MAX_RESTS): one index
    seek each, in one statement."""
    sql = (
        "WITH RECURSIVE r(v) AS ("
        f"SELECT (SELECT {REST} FROM contact WHERE deleted_at IS NULL AND {REST} >= :lo AND {REST} < :hi "
        f"ORDER BY {REST} LIMIT 1) UNION ALL "
        f"SELECT (SELECT {REST} FROM contact WHERE deleted_at IS NULL AND {REST} > r.v AND {REST} < :hi "
        f"ORDER BY {REST} LIMIT 1) FROM r WHERE r.v IS NOT NULL"
        f") SELECT v FROM r WHERE v IS NOT NULL LIMIT {MAX_RESTS + 1}"
    )
    values = [str(v) for v in s.connection().exec_driver_sql(sql, {"lo": term, "hi": term + _TOP}).scalars()]
    return values if len(values) <= MAX_RESTS else None


def _rest_page(
    s: Session, part: _Part, found: _Search, skip: int, want: int, columns: Sequence[Any]
) -> tuple[list[Any], int | None] | None:
    """`_part_page` of the rest part from `ix_contact_live_rest`: each distinct rest's range is in name order,
    so the first `skip + want` of each are read and merged. None when the term starts too many rests."""
    assert part.rest is not None
    values = _rest_values(s, part.rest)
    if values is None:
        return None
    need = skip + want
    order = _order("name", part.descending)
    conn = s.connection()
    arms = []
    for value in values:
        stmt = select(_T.c.id, _T.c.name_key).where(*part.where(False), _rest_key == value, found.match)
        arms.append(list(conn.execute(stmt.order_by(*order).limit(need))))
    merged = heapq.merge(*arms, key=lambda r: (r.name_key, r.id), reverse=part.descending)
    ids = [r.id for r in merged][:need]
    size = sum(len(a) for a in arms) if all(len(a) < need for a in arms) else None
    return _by_ids(s, columns, ids[skip:need]), size


def _count(s: Session, part: _Part, match: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(_T).where(*part.where(False), match)
    return int(s.connection().execute(stmt).one()[0])


def _part_page(
    s: Session, part: _Part, found: _Search, skip: int, want: int, columns: Sequence[Any]
) -> tuple[list[Any], int | None]:
    """(rows skip..skip+want of one part, the part's number of matches when it was found out on the way)."""
    if part.rest is not None:
        ranged = _rest_page(s, part, found, skip, want, columns)
        if ranged is not None:
            return ranged
    need = skip + want
    order = _order(found.sort, part.descending)
    # Walk first (400 rows: < 0.5 ms of SQLite at 1M contacts), unless an earlier part found the candidates few.
    walk = max(WALK, 2 * need)
    while not found.asked or found.candidate_ids(s) is None:
        hits, seen = _walk(s, part, found.match, order, walk, need)
        if len(hits) >= need or seen < walk:  # a common term, or the whole part was read
            return _by_ids(s, columns, hits[skip:need]), (len(hits) if seen < walk else None)
        if not hits or walk >= MAX_WALK:
            break
        walk = min(MAX_WALK, 2 * walk * need // len(hits))  # about twice what the density seen so far needs
    candidates = found.candidate_ids(s)
    if candidates is not None:  # a rare term: sort its few candidates
        listed: Any = select(literal_column("value")).select_from(func.json_each(json.dumps(candidates)))
        ids_in = _T.c.id.in_(listed)
        plain = _order(found.sort, part.descending, plain=True)
        stmt = select(_T.c.id).where(*part.where(True), ids_in, found.match).order_by(*plain)
        ids = list(s.connection().execute(stmt).scalars())
        return _by_ids(s, columns, ids[skip:need]), len(ids)
    # Neither: SQLite's own plan (an index walk probing the trigram matches).
    clause = search.search_clause(s, " ".join(found.terms))
    assert clause is not None  # there are terms
    stmt = select(*columns).where(*part.where(False), clause).order_by(*order).offset(skip).limit(want)
    return list(s.connection().execute(stmt)), None


def _walk(
    s: Session, part: _Part, match: ColumnElement[bool], order: list[Any], walk: int, need: int
) -> tuple[list[int], int]:
    """(ids of the first `need` matches among the part's first `walk` rows in order, rows read). SQLite checks
    the terms and stops at `need` (the walk is a co-routine it abandons); the rows read are counted only when
    the matches fall short, from the index alone. Python sees the hits, not every row (≈ 4 µs a row)."""
    conn = s.connection()
    rows = select(_T.c.id, match.label("hit")).where(*part.where(False)).order_by(*order).limit(walk).subquery()
    hits = list(conn.execute(select(rows.c.id).where(rows.c.hit).limit(need)).scalars())
    if len(hits) >= need:
        return hits, walk
    read = select(_T.c.id).where(*part.where(False)).order_by(*order).limit(walk).subquery()
    return hits, int(conn.execute(select(func.count()).select_from(read)).one()[0])


@functools.cache
def _BY_IDS(columns: tuple[Any, ...]) -> Any:  # noqa: N802 - a statement, built once
    return select(*columns).where(_T.c.id.in_(bindparam("ids", expanding=True)))


def _by_ids(s: Session, columns: Sequence[Any], ids: list[int]) -> list[Any]:
    """Rows of `columns` for `ids`, in that order."""
    if not ids:
        return []
    rows = {r.id: r for r in s.connection().execute(_BY_IDS(tuple(columns)), {"ids": ids})}
    return [rows[i] for i in ids if i in rows]
