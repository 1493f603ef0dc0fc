"""One page of a contact list, searched or not, without sorting every match.

A page is answered from an index already in display order, and reading stops at the page:

- The name order with a search ranks the contacts whose sort name starts with the first term first (a range
  of the name index, `ix_contact_live_name`), then those whose name after its first word starts with it
  (most often a last name: `ix_contact_live_rest`, one range per distinct rest, merged), then the other
  matches, each part by name in the direction asked (descending keeps the rank). So `mario` is answered from
  the Marios' range and `rossi` from the Rossis', not from 90k trigram candidates sorted by name.
- A rare term (any length) is first asked of the search index (FTS5 trigrams; for one- or two-letter terms
  the trigrams that start with them, see `search.short_ids`): when it holds at most PROBE candidates they
  are sorted in one statement and nothing is walked (`qq` at 1M contacts: the walks cost 8 ms, this < 1).
- Otherwise each part is walked in index order for a few hundred rows, checking the terms (a common term
  fills the page there); when the walk does not fill the page the term is rare, and the candidates are
  fetched and sorted, if they are few. Only a term neither common nor rare falls back to SQLite's own
  plan, which is what every page used before.
- Created and last activity orders walk their own index (`+deleted_at` keeps SQLite from picking the
  deleted_at index and sorting the whole table: 1 s at 1M contacts).

On SQLite (`page_rows`) every statement is fixed SQL text with bound parameters run on the DBAPI cursor:
building and compiling SQLAlchemy expressions cost ten times SQLite's own work for a page. The other
filters of the query are compiled once per page into a fragment. PostgreSQL, SQLite without FTS5, deep
pages and whole lists (`page`) run one SQLAlchemy query with the same order (the rank as a CASE). The
matching set is always `search.search_clause`'s: every term a substring of the haystack.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, literal_column, select
from sqlalchemy.dialects import sqlite as sqlite_dialects
from sqlalchemy.orm import Session
from sqlmodel import col

from . import name_rank, search
from .models import Contact
from .schema import REST

MAX_WALK = 20_000  # a term seen in the first rows is walked on up to here, if its density says it is worth it
WALK = 400  # rows of a part read in index order before its term counts as rare (random row reads: ~5 µs each)
ASK_FIRST = 4 * WALK  # a walk that would grow past this asks the search index first (< 1.5 ms at 1M contacts):
# few candidates sort in ~3 ms, where a phone tail like `4567` walked 20,000 rows for 45 ms
DEEP = 2000  # a page starting further down is read with one query and OFFSET
PROBE = 400  # search-index candidates asked for before any walk (`333 12` at 1M: 398, sorted at once, 11 → 8 ms)
CANDIDATES = 1500  # up to this many search-index candidates are read and sorted
SCAN = 5000  # search-index candidates read in name order for a part before the walks answer instead
TAILS = 200  # haystacks ending with a two-character term merged into the index's candidates, at most
MAX_RESTS = 24  # distinct name rests starting with a term read one range each; more: the part is walked
_TOP = "\U0010ffff"  # sorts after every character: [t, t + _TOP) is the range of strings starting with t

_T: Table = Contact.__table__  # type: ignore[attr-defined]
_SORT_COLUMNS = {"name": "name_key", "created": "created_at", "last_activity": "last_activity_at"}


# --- the portable path: one query ----------------------------------------------------------------------


def _sort_column(sort: str) -> Any:
    return _T.c[_SORT_COLUMNS.get(sort, "name_key")]


def _order(sort: str, descending: bool) -> list[Any]:
    column, ident = col(_sort_column(sort)), _T.c.id
    return [column.desc(), ident.desc()] if descending else [column.asc(), ident.asc()]


def _starts(term: str, sqlite: bool) -> ColumnElement[bool]:
    key = _T.c.name_key
    return and_(key >= term, key < term + _TOP) if sqlite else key.startswith(term, autoescape=True)


def _rest_starts(term: str, sqlite: bool) -> ColumnElement[bool]:
    if sqlite:
        rest: Any = literal_column(REST)
        return and_(rest >= term, rest < term + _TOP)
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
    search `query`, in one query: for PostgreSQL, and where `page_rows` does not answer (no index walk to stop
    early; deep pages, an export's, would walk every row before them in Python)."""
    sqlite = s.get_bind().dialect.name == "sqlite"
    trashed: Any = _T.c.deleted_at
    if sqlite and sort != "name":
        trashed = literal_column("+contact.deleted_at")  # walk the sort column's index, not deleted_at's
    where = [trashed.is_not(None) if deleted else trashed.is_(None), *filters]
    order = _order(sort, descending)
    terms = search.query_terms(query)
    if terms:
        match = search.search_clause(s, query)
        assert match is not None  # there are terms
        where.append(match)
        if sort == "name":
            order = [_rank(terms[0], sqlite).asc(), *order]
    stmt = select(*columns).where(*where).order_by(*order).offset(offset)
    return list(s.connection().execute(stmt if limit is None else stmt.limit(limit)))


# --- SQLite: fixed SQL on the DBAPI cursor ---------------------------------------------------------------

_REST_PLAIN = REST.replace("contact.name_key", "+contact.name_key")  # `+`: SQLite walks no index for it


def _stretches(key: str) -> dict[str, str]:
    """The name order's parts as conditions on `key` (the name key, walked or `+` plain) and the name's rest."""
    outside = f"({_REST_PLAIN} < :k_lo OR {_REST_PLAIN} >= :k_hi)"
    prefix = f"{key} >= :k_lo AND {key} < :k_hi"
    return {
        "prefix": prefix,
        "rest": f"({key} < :k_lo OR {key} >= :k_hi) AND {_REST_PLAIN} >= :k_lo AND {_REST_PLAIN} < :k_hi",
        # the names before and after the prefix range in one walk of the name index (NOT, not OR: SQLite
        # would read an OR as two ranges and sort them)
        "others": f"NOT ({prefix}) AND {outside}",
    }


_WALKED, _PLAIN = _stretches("contact.name_key"), _stretches("+contact.name_key")
# The others when no name's rest starts with the term: without the rest's substr/instr on every name walked
# (`ferrari9` at 1M contacts, name desc: a 53k-row walk 69 → 18 ms).
_OTHERS_ALONE = f"NOT ({_WALKED['prefix']})"
_OTHERS_ALONE_PLAIN = f"NOT ({_PLAIN['prefix']})"
# The name order's rank, for a few candidates sorted at once (their parts in order, see _candidates_page).
_RANK = f"CASE WHEN {_PLAIN['prefix']} THEN 0 WHEN {_REST_PLAIN} >= :k_lo AND {_REST_PLAIN} < :k_hi THEN 1 ELSE 2 END, "
_IDS = "SELECT value FROM json_each(:k_ids)"
# The distinct rests of live names starting with the term, in order: one index seek each, in one statement.
_REST_VALUES = (
    "WITH RECURSIVE r(v) AS ("
    f"SELECT (SELECT {REST} FROM contact WHERE deleted_at IS NULL AND {REST} >= :k_lo AND {REST} < :k_hi "
    f"ORDER BY {REST} LIMIT 1) UNION ALL "
    f"SELECT (SELECT {REST} FROM contact WHERE deleted_at IS NULL AND {REST} > r.v AND {REST} < :k_hi "
    f"ORDER BY {REST} LIMIT 1) FROM r WHERE r.v IS NOT NULL"
    ") SELECT v FROM r WHERE v IS NOT NULL LIMIT :k_n"
)
_NAMED = sqlite_dialects.dialect(paramstyle="named")  # compiles the filters with names, not positions
_FILTERED = "SELECT contact.id \nFROM contact \nWHERE "


def _order_sql(sort: str, descending: bool, *, plain: bool = False) -> str:
    """ORDER BY for a part; `plain` ("+col") tells SQLite not to walk that index (for a few ids)."""
    way = " DESC" if descending else " ASC"
    return f"{'+' if plain else ''}contact.{_SORT_COLUMNS.get(sort, 'name_key')}{way}, contact.id{way}"


@dataclass(frozen=True)
class _Part:
    """A stretch of the order: `where` its condition in the form whose index is walked, `plain` in the form
    no index is walked for ("": the whole list). `rest`: the names whose rest starts with that term (read
    range by range, see `_rest_page`)."""

    where: str
    plain: str
    descending: bool
    rest: str | None = None


@dataclass
class _Page:
    """One page's state: the cursor, the bound parameters and SQL pieces, the candidate ids once asked for."""

    session: Session
    cur: Any
    deleted: bool
    sort: str
    terms: list[str]
    params: dict[str, Any]
    match: str  # every term a substring of the haystack
    filters: str  # " AND (…)": the query's other conditions
    candidates: list[int] | None = None
    asked: bool = False
    no_rests: bool = False  # the rest part found no name whose rest starts with the term
    unranked: bool | None = None  # contacts wait for a rank (see `waiting`)

    def live(self, plain: bool, *, walked: bool = True) -> str:
        """`walked`: the rows are read in the sort order (`+`: from its index, not deleted_at's)."""
        column = "+contact.deleted_at" if plain or (walked and self.sort != "name") else "contact.deleted_at"
        return f"{column} IS NOT NULL" if self.deleted else f"{column} IS NULL"

    def where(self, stretch: str, plain: bool, *, walked: bool = True) -> str:
        return f"{self.live(plain, walked=walked)}{self.filters}" + (f" AND {stretch}" if stretch else "")

    def run(self, sql: str, **extra: Any) -> list[Any]:
        return list(self.cur.execute(sql, {**self.params, **extra} if extra else self.params).fetchall())

    def waiting(self) -> bool:
        """Contacts wait for a rank (new or renamed in this transaction, or by a process without the store)."""
        if self.unranked is None:
            self.unranked = search.waiting(self.session)
        return self.unranked

    def candidate_ids(self) -> list[int] | None:
        if not self.asked:
            self.candidates, self.asked = search.candidate_ids(self.session, self.terms, CANDIDATES), True
        return self.candidates


def _filter_sql(s: Session, filters: list[ColumnElement[bool]]) -> tuple[str, dict[str, Any]]:
    """The filters as " AND (…)" with their parameters, bound as SQLAlchemy binds them (datetimes to text)."""
    if not filters:
        return "", {}
    compiled = select(_T.c.id).where(*filters).compile(dialect=_NAMED)
    sql = compiled.string
    assert sql.startswith(_FILTERED) and "POSTCOMPILE" not in sql, sql
    dialect = s.get_bind().dialect
    params: dict[str, Any] = {}
    for name, value in compiled.params.items():
        assert not name.startswith("k_"), name  # the planner's own parameters
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        params[name] = processor(value) if processor else value
    return f" AND ({sql[len(_FILTERED) :]})", params


def page_rows(
    s: Session,
    deleted: bool,
    filters: list[ColumnElement[bool]],
    query: str,
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
    select_sql: str,
) -> list[tuple[Any, ...]] | None:
    """SQLite: raw tuples of `select_sql` (result columns over the table `contact`) for one page of the live (or
    trashed) contacts matching `filters` and `query`, in display order. None where `page` answers instead."""
    if limit is None or s.get_bind().dialect.name != "sqlite":
        return None
    terms = search.query_terms(query)
    if terms and (offset > DEEP or not search.has_fts(s)):
        return None
    fsql, params = _filter_sql(s, filters)
    params["k_ids"] = "[]"
    if terms:
        params["k_lo"], params["k_hi"] = terms[0], terms[0] + _TOP
        params.update({f"k_l{i}": search.like_pattern(t) for i, t in enumerate(terms)})
    match = " AND ".join(f"contact.search_text LIKE :k_l{i} ESCAPE '\\'" for i in range(len(terms)))
    pg = _Page(s, search.cursor(s), deleted, sort, terms, params, match, fsql)
    if not terms:
        order = _order_sql(sort, descending)
        tail = "LIMIT :k_limit OFFSET :k_offset"
        return pg.run(f"SELECT {select_sql} FROM contact WHERE {pg.where('', False)} ORDER BY {order} {tail}",
                      k_limit=limit, k_offset=offset)  # fmt: skip
    ids = _search_ids(pg, descending, limit, offset)
    if not ids:
        return []
    by_ids = f"SELECT {select_sql} FROM json_each(:k_ids) AS j CROSS JOIN contact ON contact.id = j.value"
    return pg.run(by_ids + " ORDER BY j.key", k_ids=json.dumps(ids))


def _search_ids(pg: _Page, descending: bool, limit: int, offset: int) -> list[int]:
    """Ids of the page's rows: part after part, each from its index, until the page is full. The name order
    reads the others from the index in name order (`_ranked_page`), which answers a rare term too, without
    listing its candidates first (`333 12` at 1M contacts, 398 of them: 5.7 → 2 ms)."""
    if not _reads_ranked(pg):
        probe = search.probe_ids(pg.session, pg.terms, PROBE)  # a rare term: a few index rows, no walk at all
        if probe is not None:  # (a common one stops the index after PROBE + 1 ids)
            pg.candidates, pg.asked = probe, True
    parts = _parts(pg, descending)
    ids: list[int] = []
    skip = offset
    for i, part in enumerate(parts):
        got: list[int] | None = None
        size: int | None = None
        if not (pg.asked and pg.candidates is not None):
            got, size = _part_page(pg, part, skip, limit - len(ids))
        if got is None:  # the term is rare: its candidates, sorted, answer the rest of the page
            return ids + _candidates_page(pg, parts[i:], i == 0, skip, limit - len(ids))
        ids += got
        if len(ids) >= limit:
            break
        if skip:  # the part held fewer than `skip` matches: the next part skips the others
            skip = 0 if got else max(skip - (size if size is not None else _count(pg, part)), 0)
    return ids


def _parts(pg: _Page, descending: bool) -> list[_Part]:
    """The order's stretches: in the name order the range of names starting with the first term, those whose
    rest does, then the others (before and after the range, in the direction asked); otherwise one."""
    if pg.sort != "name":
        return [_Part("", "", descending)]
    # (the trash is walked like the other parts: the rest index starts with deleted_at IS NULL)
    rest = None if pg.deleted else pg.terms[0]
    return [_Part(_WALKED[k], _PLAIN[k], descending, rest if k == "rest" else None) for k in _WALKED]


def _rest_page(pg: _Page, part: _Part, skip: int, want: int) -> tuple[list[int], int | None] | None:
    """`_part_page` of the rest part from `ix_contact_live_rest`: each distinct rest's range is in name order,
    so the first `skip + want` of each are read (one statement) and merged. None when the term starts too
    many rests."""
    values = [str(r[0]) for r in pg.run(_REST_VALUES, k_n=MAX_RESTS + 1)]
    if len(values) > MAX_RESTS:
        return None
    if not values:
        pg.no_rests = True
        return [], 0
    need = skip + want
    where, order = pg.where(part.where, False), _order_sql("name", part.descending)
    sql = " UNION ALL ".join(
        f"SELECT {i}, * FROM (SELECT contact.id, contact.name_key FROM contact WHERE {where} AND {REST} = :k_v{i}"
        f" AND {pg.match} ORDER BY {order} LIMIT :k_need)"
        for i in range(len(values))
    )
    rows = pg.run(sql, k_need=need, **{f"k_v{i}": v for i, v in enumerate(values)})
    rows.sort(key=lambda r: (r[2], r[1]), reverse=part.descending)
    size = len(rows) if all(n < need for n in Counter(r[0] for r in rows).values()) else None
    return [r[1] for r in rows[skip:need]], size


def _without_rests(pg: _Page, part: _Part) -> _Part:
    """The others part, once no name's rest starts with the term, as the names outside the prefix range: the
    rest's substr/instr are not computed on each row walked or candidate sorted."""
    if pg.no_rests and part.where == _WALKED["others"]:
        return replace(part, where=_OTHERS_ALONE, plain=_OTHERS_ALONE_PLAIN)
    return part


def _count(pg: _Page, part: _Part) -> int:
    return int(pg.run(f"SELECT count(*) FROM contact WHERE {pg.where(part.where, False)} AND {pg.match}")[0][0])


def _part_page(pg: _Page, part: _Part, skip: int, want: int) -> tuple[list[int] | None, int | None]:
    """(ids skip..skip+want of one part, the part's number of matches when it was found out on the way);
    (None, None) when the term turned out rare: its candidates answer from this part on."""
    # With one term every name in the prefix and rest ranges matches: their indexes answer. With more, the other
    # terms may match a few of them, far in (`mario rossi`: the Rossis among 75k Marios): the index's candidates
    # in name order answer, like for the others.
    several = len(pg.terms) > 1
    if part.rest is not None:
        ranged = (_ranked_page(pg, part, skip, want) if several else None) or _rest_page(pg, part, skip, want)
        if ranged is not None:
            return ranged
    part = _without_rests(pg, part)
    if part.where != _WALKED["prefix"] or several:
        ranked = _ranked_page(pg, part, skip, want)
        if ranked is not None:
            return ranked
    need = skip + want
    order = _order_sql(pg.sort, part.descending)
    # Walk first (400 rows: < 0.5 ms of SQLite at 1M contacts), unless an earlier part found the candidates few.
    walk = max(WALK, 2 * need)
    while (not pg.asked and walk <= ASK_FIRST) or pg.candidate_ids() is None:
        hits, seen = _walk(pg, part, order, walk, need)
        if len(hits) >= need or seen < walk:  # a common term, or the whole part was read
            return hits[skip:need], (len(hits) if seen < walk else None)
        if not hits or walk >= MAX_WALK:
            break
        walk = min(MAX_WALK, 2 * walk * need // len(hits))  # about twice what the density seen so far needs
    if pg.candidate_ids() is not None:
        return None, None
    # Neither: SQLite's own plan (an index walk probing the trigram matches, or checking the short terms).
    long = [t for t in pg.terms if len(t) >= 3]
    fts = f" AND contact.id IN ({search.FTS_IDS.format(q=':k_fts')})" if long else ""
    sql = f"SELECT contact.id FROM contact WHERE {pg.where(part.where, False)}{fts} AND {pg.match} ORDER BY {order}"
    fts_q = search.fts_match(long, search.gram_counts(pg.session))  # the rarest trigrams: the LIKE checks
    rows = pg.run(sql + " LIMIT :k_want OFFSET :k_skip", k_fts=fts_q, k_want=want, k_skip=skip)
    return [r[0] for r in rows], None


def _reads_ranked(pg: _Page) -> bool:
    """The others part of the page can be read from the search index in name order (see `_ranked_page`)."""
    return pg.sort == "name" and SCAN > 0 and any(len(t) >= 2 for t in pg.terms) and not pg.waiting()


def _ranked_match(pg: _Page) -> tuple[str, list[int]] | None:
    """The index query of `_ranked_page` (every trigram of each long term; for a two-character term, any trigram
    it starts), with the ids of haystacks ending with a two-character term (in no trigram it starts). None when
    no term narrows the candidates: one-letter terms only, or short ones starting too many trigrams.

    Every trigram, not the rarest two: the candidates come in order and the page stops the reading, so fewer
    false ones pay (`mario.r` at 1M: its two rarest, "o.r" and "io.", are also in every "paolo.rossi": 550 →
    2 ms). A two-letter term narrows them too (`mar ro`: the first "ro" among the Marios lies 33k names in)."""
    long = [t for t in pg.terms if len(t) >= 3]
    groups = [search.fts_match(long)] if long else []
    tails: list[int] = []
    for term in {t for t in pg.terms if len(t) == 2}:
        grams = search.starting_grams(pg.session, term)
        ends = search.tail_ids(pg.session, term, TAILS) if grams is not None else None
        if grams is None or ends is None:
            continue  # it does not narrow them: the LIKE checks it
        groups.append("(" + " OR ".join(search.quoted(grams)) + ")" if grams else "")
        tails += ends
    if not groups:
        return None
    return ("" if "" in groups else " AND ".join(groups)), tails


def _rank_at(pg: _Page, key: str) -> int:
    """The rank of the first contact whose name is at or after `key` (a bound parameter); past the end: SPAN."""
    sql = (
        "SELECT contact_rank.rank FROM contact JOIN contact_rank ON contact_rank.id = contact.id "
        f"WHERE contact.name_key >= {key} ORDER BY contact.name_key, contact.id LIMIT 1"
    )
    rows = pg.run(sql)
    return int(rows[0][0]) if rows else name_rank.SPAN


def _ranked_page(pg: _Page, part: _Part, skip: int, want: int) -> tuple[list[int], int | None] | None:
    """`_part_page` of a part of the name order from the search index itself, whose rowid is the name rank
    (schema.FTS_TABLE): FTS5 lists the candidates in rowid order, so they are read by name and checked until
    the page is full, first WALK of them, then as many as the density seen needs, up to SCAN. `ario` at 1M
    contacts, whose first match lies 500k names in: 300 → 3 ms. None when it cannot answer: no term narrows
    the candidates, contacts wait for a rank (in no index yet), or the candidates rarely match (the other
    filters are selective: the walks and the candidates' sort answer)."""
    asked = _ranked_match(pg) if _reads_ranked(pg) else None
    if asked is None:
        return None
    fts_q, tails = asked
    need = skip + want
    # The prefix part is one stretch of the name order: its ranks are a range the index starts reading at.
    ranks = " AND rowid >= :k_rlo AND rowid < :k_rhi" if part.where == _WALKED["prefix"] else ""
    if ranks:
        pg.params["k_rlo"], pg.params["k_rhi"] = (_rank_at(pg, key) for key in (":k_lo", ":k_hi"))
        if pg.params["k_rlo"] >= pg.params["k_rhi"]:
            return [], 0  # no name starts with the first term
    ends = _tail_hits(pg, part, tails, ranks.replace("rowid", "contact_rank.rank")) if tails else []
    if not fts_q:  # a short term starts no trigram: only haystacks ending with it match
        return [cid for _rank, cid in ends][skip:need], len(ends)
    found = (
        f"SELECT rowid AS r FROM contact_fts WHERE contact_fts MATCH :k_fts{ranks} "
        f"ORDER BY rowid {'DESC' if part.descending else 'ASC'} LIMIT :k_scan"
    )
    rows = (
        f"SELECT f.r AS r, contact.id AS id, ({pg.where(part.plain, True)} AND {pg.match}) AS hit FROM ({found}) AS f"
        " CROSS JOIN contact_rank ON contact_rank.rank = f.r CROSS JOIN contact ON contact.id = contact_rank.id"
    )
    scan = min(max(WALK, 2 * need), SCAN)
    while True:
        hits = pg.run(f"SELECT r, id FROM ({rows}) WHERE hit LIMIT :k_need", k_fts=fts_q, k_scan=scan, k_need=need)
        if len(hits) >= need:  # the haystacks ending with a short term up to the last hit come in between
            merged = _merged(hits, ends, part.descending, until=hits[-1][0])
            return merged[skip:need], None
        if int(pg.run(f"SELECT count(*) FROM ({found})", k_fts=fts_q, k_scan=scan)[0][0]) < scan:
            merged = _merged(hits, ends, part.descending)  # every candidate read: the part's matches are these
            return merged[skip:need], len(merged)
        if scan >= SCAN:
            return None
        # About twice what the density seen so far needs; none yet: four times as many (`ro ma`: the Marinos'
        # "prospect" label holds "mar" and "ros", 3k candidates before the first Romano).
        scan = min(SCAN, 2 * scan * need // len(hits) if hits else 4 * scan)


def _tail_hits(pg: _Page, part: _Part, tails: list[int], ranks: str) -> list[tuple[int, int]]:
    """(rank, id) of the matches of the part among haystacks ending with a short term, in the part's order."""
    sql = (
        "SELECT contact_rank.rank, contact.id FROM contact_rank CROSS JOIN contact ON contact.id = contact_rank.id "
        f"WHERE contact_rank.id IN (SELECT value FROM json_each(:k_tails)){ranks} "
        f"AND {pg.where(part.plain, True)} AND {pg.match}"
    )
    rows = pg.run(sql, k_tails=json.dumps(tails))
    return sorted(((int(r), int(i)) for r, i in rows), reverse=part.descending)


def _merged(hits: list[Any], ends: list[tuple[int, int]], descending: bool, until: int | None = None) -> list[int]:
    """Ids of the index's hits and the tails' (up to rank `until`, in the direction), in rank order, each once."""
    if not ends:
        return [int(h[1]) for h in hits]
    inside = [e for e in ends if until is None or (e[0] >= until if descending else e[0] <= until)]
    ranked = dict.fromkeys(sorted({*((int(r), int(i)) for r, i in hits), *inside}, reverse=descending))
    return [cid for _rank, cid in ranked]


def _walk(pg: _Page, part: _Part, order: str, walk: int, need: int) -> tuple[list[int], int]:
    """(ids of the first `need` matches among the part's first `walk` rows in order, rows read). SQLite checks
    the terms and stops at `need` (the walk is a co-routine it abandons); the rows read are counted only when
    the matches fall short, from the index alone. Python sees the hits, not every row (≈ 4 µs a row)."""
    where = pg.where(part.where, False)
    rows = f"SELECT contact.id AS id, ({pg.match}) AS hit FROM contact WHERE {where} ORDER BY {order} LIMIT :k_walk"
    hits = [r[0] for r in pg.run(f"SELECT id FROM ({rows}) WHERE hit LIMIT :k_need", k_walk=walk, k_need=need)]
    if len(hits) >= need:
        return hits, walk
    # (in any order: the same number, from whichever index SQLite likes, without reading the rows)
    read = (
        f"SELECT count(*) FROM (SELECT 1 FROM contact WHERE {pg.where(part.where, False, walked=False)} LIMIT :k_walk)"
    )
    return hits, int(pg.run(read, k_walk=walk)[0][0])


def _candidates_page(pg: _Page, parts: list[_Part], whole: bool, skip: int, want: int) -> list[int]:
    """Ids skip..skip+want of `parts` (the rest of the order; `whole`: all of it) among the few candidates,
    sorted in one statement: by the name order's rank, which keeps the parts in their order. One part left needs
    no rank, and with no rest starting with the term the others are the names outside the prefix range: the
    rank's substr/instr on each candidate were half of `ferrari9`'s page at 100k contacts (1,099: 4.4 → 2–3 ms)."""
    parts = [_without_rests(pg, p) for p in parts]
    stretch = "" if whole else " OR ".join(f"({p.plain})" for p in parts)
    where = pg.where(f"({stretch})" if stretch else "", True)
    rank = _RANK if pg.sort == "name" and len(parts) > 1 else ""
    order = rank + _order_sql(pg.sort, parts[0].descending, plain=True)
    sql = f"SELECT contact.id FROM contact WHERE {where} AND contact.id IN ({_IDS}) AND {pg.match} ORDER BY {order}"
    rows = pg.run(sql + " LIMIT :k_want OFFSET :k_skip", k_ids=json.dumps(pg.candidates), k_want=want, k_skip=skip)
    return [r[0] for r in rows]
