"""The search seam: substring search over contacts.

SQLite with FTS5 trigram (migration 0002) answers from the `contact_fts` index; anything else (PostgreSQL,
SQLite without FTS5) falls back to LIKE over `contact.search_text`, which is portable and fine for a few
thousand rows. Both look in the same haystack, built by `haystack()`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, false, inspect, literal_column, or_, select, text
from sqlalchemy.orm import Session

from .models import Contact
from .normalize import fold, phone_search_keys

_PHONEISH = re.compile(r"^\+?[\d\s().\-/]{3,}$")
FEW_MATCHES = 2000  # up to this many FTS matches are passed as literal ids (see search_clause)
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


def has_fts(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    engine = bind if isinstance(bind, Engine) else bind.engine
    cached = _HAS_FTS.get(engine)
    if cached is None:
        cached = _HAS_FTS[engine] = inspect(bind).has_table("contact_fts")
    return cached


def _fts_literal(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search_clause(session: Session, query: str) -> ColumnElement[bool] | None:
    """A WHERE clause matching contacts whose haystack contains every term (None for an empty query)."""
    terms = query_terms(query)
    if not terms:
        return None
    long_terms = [t for t in terms if len(t) >= 3]
    clauses: list[ColumnElement[bool]] = []
    if long_terms and has_fts(session):
        match = " AND ".join(_fts_literal(t) for t in long_terms)
        sub: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text("contact_fts"))
            .where(text("contact_fts MATCH :fts_q").bindparams(fts_q=match))
        )
        # With a subquery SQLite walks the name index and probes the match set: fine when matches are many,
        # a full index walk when they are few (1M contacts, "zzz": 115 ms). A few matches are listed literally
        # instead, so SQLite fetches them by id and sorts them (< 5 ms).
        few = list(session.execute(sub.limit(FEW_MATCHES + 1)).scalars())
        if len(few) <= FEW_MATCHES:
            session.info[FEW_KEY] = True  # tells list_contacts to sort these rows instead of walking an index
            clauses.append(Contact.id.in_(few) if few else false())  # type: ignore[union-attr]
        else:
            clauses.append(Contact.id.in_(sub))  # type: ignore[union-attr]
        short = [t for t in terms if len(t) < 3]
    else:
        short = terms
    for term in short:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(Contact.search_text.like(f"%{escaped}%", escape="\\"))  # type: ignore[attr-defined]
    return and_(*clauses) if len(clauses) > 1 else clauses[0]


def any_of(*clauses: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    present = [c for c in clauses if c is not None]
    return or_(*present) if present else None
