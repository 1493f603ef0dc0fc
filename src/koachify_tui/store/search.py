"""The search seam: substring search over contacts.

SQLite with FTS5 trigram (migrations 0002, 0003) narrows the rows down with the `contact_fts` index;
anything else (PostgreSQL, SQLite without FTS5) uses LIKE over `contact.search_text` alone, which is portable
and fine for a few thousand rows. Both look in the same haystack, built by `haystack()`.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, false, inspect, literal_column, or_, select, text
from sqlalchemy.orm import Session

from .models import Contact
from .normalize import fold, phone_search_keys

_PHONEISH = re.compile(r"^\+?[\d\s().\-/]{3,}$")
FEW_MATCHES = 2000  # up to this many FTS candidates are passed as literal ids (see search_clause)
FEW_KEY = "koachify_few_matches"  # session.info flag set when they were


def haystack(
    first: str,
    last: str,
    company: str,
    emails: Iterable[str],
    phones_e164: Iterable[str | None],
    tags: Iterable[str] = (),
) -> str:
    """Everything a contact can be found by, casefolded; phones as bare digit strings."""
    parts = [f"{first} {last}", company, *emails, *tags]
    parts += [phone_search_keys(p) for p in phones_e164 if p]
    return " | ".join(fold(p) for p in parts if p)


def query_terms(query: str) -> list[str]:
    """Split a search box value into terms. A phone-looking query becomes one digit string, so
    "333 1234567" finds "+39 333 123 4567"."""
    query = query.strip()
    if not query:
        return []
    if _PHONEISH.match(query) and sum(ch.isdigit() for ch in query) >= 3:
        return [re.sub(r"\D", "", query)]
    return [fold(t) for t in query.split() if t.strip()]


#: Per engine: whether its database has the FTS5 index (checked once; it never goes away while open).
_HAS_FTS: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def has_fts(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    engine = _engine(session)
    cached = _HAS_FTS.get(engine)
    if cached is None:
        cached = _HAS_FTS[engine] = inspect(session.get_bind()).has_table("contact_fts")
    return cached


# The index's rowid is a rank in the name order (schema.FTS_TABLE): these are the contacts' ids (RANKED_IDS),
# plus those waiting for a rank (in no index yet; the LIKE checks them like every candidate).
RANKED_IDS = (
    "SELECT contact_rank.id FROM contact_fts CROSS JOIN contact_rank ON contact_rank.rank = contact_fts.rowid "
    "WHERE contact_fts MATCH {q}"
)
FTS_IDS = RANKED_IDS + " UNION ALL SELECT id FROM contact_unranked"
_WAITING = "SELECT EXISTS (SELECT 1 FROM contact_unranked)"


def waiting(session: Session) -> bool:
    """Contacts wait for their rank, so the index lacks them (new or renamed in this transaction, or written
    by a process without the store, until its next write ranks them)."""
    return bool(cursor(session).execute(_WAITING).fetchone()[0])


def fts_ids(terms: Iterable[str], *, waiting: bool = True) -> Select[Any]:
    """Ids of the contacts whose haystack holds every trigram of every term (each 3+ characters): exactly the
    matches for a three-character term, a superset for a longer one (the trigrams may be apart); with
    `waiting`, plus the contacts waiting for a rank, which only the LIKE tells apart.

    The index has detail=none (migration 0003), which refuses phrase queries, so a term is asked as its
    trigrams, `"mar" AND "ari" AND "rio"`, each one token. Not as `search_text LIKE '%mario%'`, which FTS5
    also answers from the trigrams but then checks against every candidate's row in `contact`: 3-7× slower
    than this at 100k contacts when a term matches thousands."""
    sql = (FTS_IDS if waiting else RANKED_IDS).format(q=":fts_q")
    found = text(f"({sql}) AS fts_ids").bindparams(fts_q=fts_match(terms))
    return select(literal_column("fts_ids.id")).select_from(found)


def like_pattern(term: str) -> str:
    """The LIKE pattern (escape character backslash) of a haystack holding `term`."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like(term: str) -> ColumnElement[bool]:
    """The haystack holds `term`: the definition of a match, which the indexes only narrow down."""
    return Contact.search_text.like(like_pattern(term), escape="\\")  # type: ignore[attr-defined,no-any-return]


def like_all(terms: list[str]) -> ColumnElement[bool]:
    return and_(*(like(t) for t in terms)) if len(terms) > 1 else like(terms[0])


#: Trigrams of the index a short term may start (fts5vocab over contact_fts, made per connection in temp).
_VOCAB = "temp.koachify_fts_vocab"
_SHORT_GRAMS = 64  # more trigrams than this start a short term: it is common, not worth listing
_TOP = "\U0010ffff"
_MAKE_VOCAB = f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB} USING fts5vocab(main, contact_fts, row)"
_GRAMS = f"SELECT term FROM {_VOCAB} WHERE term >= :lo AND term < :hi LIMIT {_SHORT_GRAMS + 1}"
_GRAM_IDS = f"{FTS_IDS.format(q=':q')} LIMIT :n"
_TAILS = {  # a two-character term at n-2; a one-character one at n-2 (the last two start with it) or n-1
    2: "SELECT id FROM contact WHERE substr(search_text, -2) = :t LIMIT :n",
    1: "SELECT id FROM contact WHERE (substr(search_text, -2) >= :t AND substr(search_text, -2) < :hi)"
    " OR substr(search_text, -1) = :t LIMIT :n",
}


def cursor(session: Session) -> Any:
    """A DBAPI cursor on the session's connection (in its transaction). The SQLite hot paths run fixed SQL
    with bound parameters through it: building SQLAlchemy statements cost more than SQLite's work."""
    return session.connection().connection.cursor()


def quoted(grams: Iterable[str]) -> list[str]:
    """Each trigram as one FTS5 token (a string, its quotes doubled)."""
    return ['"' + g.replace('"', '""') + '"' for g in grams]


def fts_match(terms: Iterable[str], seen: Counter[str] | None = None) -> str:
    """The MATCH query of `fts_ids`: every trigram of every term, each one token. With `seen` (`gram_counts`)
    only the RARE_GRAMS rarest trigrams of each term: a superset of the matches (which the LIKE narrows), read
    faster, since FTS5 walks the whole list of every trigram asked (`ferrari9` at 1M contacts: its six took
    19 ms, its rarest alone 6 ms for the same 10k rows)."""
    grams = dict.fromkeys(g for t in terms for g in _rarest(t, seen))
    return " AND ".join(quoted(grams))


RARE_GRAMS = 2  # trigrams of a term asked when their frequencies are known
GRAM_SAMPLE = 2000  # haystacks the trigram frequencies are counted in (once per database and process)
_GRAM_COUNTS: weakref.WeakKeyDictionary[Engine, Counter[str]] = weakref.WeakKeyDictionary()


def grams(term: str) -> list[str]:
    """The term's trigrams, each once, in order."""
    return list(dict.fromkeys(term[i : i + 3] for i in range(len(term) - 2)))


def _rarest(term: str, seen: Counter[str] | None) -> list[str]:
    every = grams(term)
    if seen is None or len(every) <= RARE_GRAMS:
        return every
    return sorted(every, key=lambda g: seen[g])[:RARE_GRAMS]


def gram_counts(session: Session) -> Counter[str]:
    """In how many of the first GRAM_SAMPLE haystacks each trigram occurs: a rough rarity, read once (~20 ms)."""
    engine = _engine(session)
    counts = _GRAM_COUNTS.get(engine)
    if counts is None:
        counts = Counter()
        for (text_,) in cursor(session).execute("SELECT search_text FROM contact LIMIT :n", {"n": GRAM_SAMPLE}):
            counts.update({text_[i : i + 3] for i in range(len(text_) - 2)})
        _GRAM_COUNTS[engine] = counts
    return counts


def short_ids(session: Session, term: str, cap: int) -> list[int] | None:
    """Ids of the contacts whose haystack holds a one- or two-character `term` (None: more than `cap`).

    A term at position p of a haystack of length n starts the trigram at p when p <= n-3; otherwise it lies
    in the haystack's last two characters, which `ix_contact_search_tail2`/`tail1` (schema.SEARCH_TAIL) index.
    So the matches are the index's rows for the trigrams starting with the term plus those tails: exact, and
    a rare pair like "qq" costs a millisecond instead of a scan of every haystack (1.2 s at 1M contacts)."""
    cur = cursor(session)
    cur.execute(_MAKE_VOCAB)
    grams = [r[0] for r in cur.execute(_GRAMS, {"lo": term, "hi": term + _TOP})]
    if len(grams) > _SHORT_GRAMS:
        return None
    ids: set[int] = set()
    if grams:
        match = " OR ".join(quoted(grams))
        ids.update(r[0] for r in cur.execute(_GRAM_IDS, {"q": match, "n": cap + 1}))
        if len(ids) > cap:
            return None
    ids.update(r[0] for r in cur.execute(_TAILS[len(term)], {"t": term, "hi": term + _TOP, "n": cap + 1}))
    return sorted(ids) if len(ids) <= cap else None


# FTS5 rewrites its structure record (rowid 10 of the index's data table) on every change it commits: the
# trigrams a short term starts are cached until it differs.
_STRUCTURE = "SELECT block FROM contact_fts_data WHERE id = 10"
_STARTS: weakref.WeakKeyDictionary[Engine, dict[str, tuple[bytes, list[str] | None]]] = weakref.WeakKeyDictionary()


def starting_grams(session: Session, term: str) -> list[str] | None:
    """The index's trigrams that start with a two-character `term` (None: more than _SHORT_GRAMS): with its
    tails (`tail_ids`), where the term lies in a haystack. fts5vocab counts each trigram's rows to list them (11
    ms for "ro" at 1M contacts), so the list is kept until the index changes."""
    cur = cursor(session)
    row = cur.execute(_STRUCTURE).fetchone()
    stamp = bytes(row[0]) if row else b""
    cache = _STARTS.setdefault(_engine(session), {})
    known = cache.get(term)
    if known is not None and known[0] == stamp:
        return known[1]
    cur.execute(_MAKE_VOCAB)
    grams: list[str] | None = [r[0] for r in cur.execute(_GRAMS, {"lo": term, "hi": term + _TOP})]
    if grams is not None and len(grams) > _SHORT_GRAMS:
        grams = None
    cache[term] = (stamp, grams)
    return grams


def tail_ids(session: Session, term: str, cap: int) -> list[int] | None:
    """Ids of the contacts whose haystack ends with a two-character `term` (None: more than `cap`)."""
    rows = cursor(session).execute(_TAILS[2], {"t": term, "n": cap + 1}).fetchall()
    return [r[0] for r in rows] if len(rows) <= cap else None


def candidate_ids(session: Session, terms: list[str], cap: int) -> list[int] | None:
    """At most `cap` ids among which every match of `terms` is (None: more, or no index to ask)."""
    if not has_fts(session) or not terms:
        return None
    long = [t for t in terms if len(t) >= 3]
    if long:  # the two rarest: all six of `ferrari9` took 6.8 ms at 1M contacts to tell they were too many, these 2.3
        match = fts_match(long, gram_counts(session))
        rows = cursor(session).execute(_GRAM_IDS, {"q": match, "n": cap + 1}).fetchall()
        return [r[0] for r in rows] if len(rows) <= cap else None
    return short_ids(session, min(terms, key=len), cap)


PROBE_ROWS = 400  # haystacks (rowid order) a short term is looked for in before its candidates are listed
_PROBE_TEXT = "SELECT 1 FROM (SELECT search_text FROM contact LIMIT :n) WHERE search_text LIKE :p ESCAPE '\\' LIMIT 1"


def rare_short_ids(session: Session, terms: list[str], cap: int) -> list[int] | None:
    """short_ids of the shortest term when the first 400 haystacks (rowid order, a cheap probe: < 0.3 ms at 1M
    contacts) hold none of it. A common short term costs more to list than a capped LIKE count or an index
    walk, which stop early anyway: fts5vocab counts the rows of every trigram it lists (100 ms for "m")."""
    term = min(terms, key=len)
    if cursor(session).execute(_PROBE_TEXT, {"p": like_pattern(term), "n": PROBE_ROWS}).fetchone() is not None:
        return None
    return short_ids(session, term, cap)


def probe_ids(session: Session, terms: list[str], cap: int) -> list[int] | None:
    """`candidate_ids` when they are few and cheap to find out: a long term asks the index (a common one stops
    it after `cap` + 1 ids), a short one only when the probe of `rare_short_ids` does not find it."""
    if any(len(t) >= 3 for t in terms):
        return candidate_ids(session, terms, cap)
    return rare_short_ids(session, terms, cap) if has_fts(session) else None


def search_clause(session: Session, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause matching contacts whose haystack contains every term (None for an empty query)."""
    terms = query_terms(query)
    if not terms:
        return None
    indexed = [t for t in terms if len(t) >= 3] if has_fts(session) else []
    clauses: list[ColumnElement[bool]] = []
    unranked = bool(indexed) and waiting(session)
    if indexed:
        sub = fts_ids(indexed, waiting=unranked)
        # With a subquery SQLite walks the name index and probes the match set: fine when matches are many,
        # a full index walk when they are few (1M contacts, "zzz": 115 ms). A few matches are listed literally
        # instead, so SQLite fetches them by id and sorts them (< 5 ms).
        few = list(session.execute(sub.limit(FEW_MATCHES + 1)).scalars())
        if len(few) <= FEW_MATCHES:
            session.info[FEW_KEY] = True  # tells list_contacts to sort these rows instead of walking an index
            clauses.append(Contact.id.in_(few) if few else false())  # type: ignore[union-attr]
        else:
            clauses.append(Contact.id.in_(sub))  # type: ignore[union-attr]
    elif has_fts(session):
        rare = rare_short_ids(session, terms, FEW_MATCHES)
        if rare is not None:  # a rare short term: its few rows by id, not a LIKE over every haystack
            clauses.append(Contact.id.in_(rare) if rare else false())  # type: ignore[union-attr]
    for term in terms:
        if len(term) == 3 and term in indexed and not unranked:
            continue  # one trigram: the index matched it exactly (a contact waiting for a rank needs the LIKE)
        # Short terms, every term without the index, and the check of longer ones on the rows the index found.
        clauses.append(like(term))
    return and_(*clauses) if len(clauses) > 1 else clauses[0]


def any_of(*clauses: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    present = [c for c in clauses if c is not None]
    return or_(*present) if present else None
