"""One page of a contact list, searched or not, without sorting every match.

A page is answered from an index already in display order, and reading stops at the page:

- The name order with a search ranks the contacts whose sort name starts with the first term first (a range
  of the name index, `ix_contact_live_name`), then the other matches, each part by name in the direction
  asked (descending keeps the rank). So `mario` is answered from the Marios' range, not from 80k trigram
  candidates sorted by name.
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
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, func, literal_column, select
from sqlalchemy.orm import Session
from sqlmodel import col

from . import search
from .models import Contact

MAX_WALK = 20_000  # a term seen in the first rows is walked on up to here, if its density says it is worth it
WALK = 400  # rows of a part read in index order before its term counts as rare (random row reads: ~5 µs each)
DEEP = 2000  # a page starting further down is read with one query and OFFSET
PROBE = 64  # trigram candidates asked for before any walk
CANDIDATES = 1500  # up to this many search-index candidates are read and sorted
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
    """A stretch of the order: the rows of `where(plain)` (`plain`: in a form no index is walked for)."""

    where: Callable[[bool], list[ColumnElement[bool]]]
    descending: bool


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
            rank = case((_starts(terms[0], sqlite), 0), else_=1)
            order = [rank.asc(), *order]
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

    def where(*ranges: Callable[[Any], ColumnElement[bool]]) -> Callable[[bool], list[ColumnElement[bool]]]:
        def clauses(plain: bool) -> list[ColumnElement[bool]]:
            trashed = literal_column("+contact.deleted_at") if plain or found.sort != "name" else _T.c.deleted_at
            key = literal_column("+contact.name_key") if plain else _T.c.name_key
            live = trashed.is_not(None) if deleted else trashed.is_(None)
            return [live, *filters, *(r(key) for r in ranges)]

        return clauses

    if found.sort != "name":
        return [_Part(where(), descending)]
    t = found.terms[0]
    prefix = _Part(where(lambda k: k >= t, lambda k: k < t + _TOP), descending)
    before, after = _Part(where(lambda k: k < t), descending), _Part(where(lambda k: k >= t + _TOP), descending)
    return [prefix, after, before] if descending else [prefix, before, after]


def _count(s: Session, part: _Part, match: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(_T).where(*part.where(False), match)
    return int(s.connection().execute(stmt).one()[0])


def _part_page(
    s: Session, part: _Part, found: _Search, skip: int, want: int, columns: Sequence[Any]
) -> tuple[list[Any], int | None]:
    """(rows skip..skip+want of one part, the part's number of matches when it was found out on the way)."""
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
