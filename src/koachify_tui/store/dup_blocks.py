"""Which contacts can be in a duplicate pair at all, read from SQL aggregates instead of one Python object per
contact (the finder's rules are in duplicates.py; this only decides whom it needs to look at).

- Strong keys: the emails and phones held by two contacts or more, from the key indexes
  (`GROUP BY key HAVING count(*) > 1`), and the extra addresses and numbers another contact holds too.
- Name blocks: the name pass buckets contacts by (support, name word) and a bucket bigger than BUCKET_MAX
  compares exact names only. Both rules need counts, not people: one `GROUP BY first, last, company, domain`
  over the live contacts, and `GROUP BY tag/city, first, last` for the tags and cities not too common to count,
  give every bucket's size. The buckets that compare (`Blocks.small`), the exact names that do inside a big one
  (`Blocks.exact`) and their members (from `group_concat(id)`) are all the finder loads.
- Contacts whose email domains one row can't tell (extra addresses, a placeholder-looking one, no `@`) are
  loaded whole and their domain buckets counted from their Person, exactly as the finder sees them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, literal, not_, or_, select, true
from sqlalchemy.engine import Connection

from . import dup_names
from .matching import _EMAIL_LOCAL_PLACEHOLDERS  # the placeholder rule's words: what one row can't judge
from .normalize import fold
from .tables import T_CHANNEL, T_CONTACT, T_CONTACT_TAG, T_DEF, T_VALUE

#: See duplicates.py (these belong to the finder's rules; repeated here would drift).
BucketKey = tuple[str, str, str]  # (kind, key, name word)
ExactKey = tuple[str, str, tuple[str, ...]]  # (kind, key, name tokens)
#: Local parts the placeholder rule may refuse (matching.placeholder_email): such a row is loaded whole.
ODD_LOCALS = tuple(sorted(_EMAIL_LOCAL_PLACEHOLDERS | {"test", "email", "mail", "xxx", "fake", "dummy"}))
CITY_KEYS = frozenset({"city", "citta", "comune", "localita", "town", "paese"})


def city_fields(conn: Connection) -> list[int]:
    """The contact custom fields that hold a city ("Città", "Address 1 - City"…), by id."""
    rows = conn.execute(select(T_DEF.c.id, T_DEF.c.key).where(T_DEF.c.entity == "contact"))
    return sorted(fid for fid, key in rows if key in CITY_KEYS or key.endswith("_city") or key.endswith("_citta"))


def city_of(value: str) -> str:
    """The city a custom value (JSON) holds, stripped; "" for none or not a string."""
    if value[:1] == '"' and value[-1:] == '"' and "\\" not in value:
        return value[1:-1].strip()  # a plain JSON string (nearly all of them): no decoder needed
    try:
        city = json.loads(value)
    except ValueError:
        return ""
    return city.strip() if isinstance(city, str) else ""


@dataclass
class Blocks:
    """What the aggregates tell the finder: the contacts to load and which of their buckets compare."""

    small: set[BucketKey] = field(default_factory=set)  # 2..BUCKET_MAX entries: every pair is compared
    exact: set[ExactKey] = field(default_factory=set)  # in a bigger bucket, exact names with 2..BUCKET_MAX
    common: set[tuple[str, str]] = field(default_factory=set)  # domains, tags, cities that back no name
    strong_keys: set[str] = field(default_factory=set)
    odd: set[int] = field(default_factory=set)  # loaded whole: their domain buckets come from their Person
    live: int = 0


class _Sql:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, conn: Connection) -> None:
        self.pg = conn.dialect.name == "postgresql"

    def at(self, column: Any) -> Any:
        return func.strpos(column, "@") if self.pg else func.instr(column, "@")

    def ids(self, column: Any) -> Any:
        if self.pg:
            return func.string_agg(cast(column, String), ",")
        return func.group_concat(column)

    def live_scan(self) -> ColumnElement[bool]:
        """Live contacts, for a whole-table scan: SQLite would walk the deleted_at index and look every row
        up (5-10 times slower than the scan) when it can use the index."""
        if self.pg:
            return _live()
        return func.coalesce(T_CONTACT.c.deleted_at, T_CONTACT.c.merged_into_id).is_(None)


def _live() -> ColumnElement[bool]:
    return and_(T_CONTACT.c.deleted_at.is_(None), T_CONTACT.c.merged_into_id.is_(None))


def strong_keys(conn: Connection) -> set[str]:
    """Every email or phone key two contacts (any, live or not) hold: a superset of the finder's strong keys."""
    keys: set[str] = set()
    for column in (T_CONTACT.c.email_key, T_CONTACT.c.phone_e164):
        stmt = select(column).where(column.is_not(None)).group_by(column).having(func.count() > 1)
        keys.update(k for (k,) in conn.execute(stmt))
    if conn.execute(select(T_CHANNEL.c.id).limit(1)).first() is None:
        return keys
    other = T_CHANNEL.alias("other")
    ch = T_CHANNEL
    shared = or_(
        exists().where(T_CONTACT.c.email_key == ch.c.key, T_CONTACT.c.id != ch.c.contact_id),
        exists().where(T_CONTACT.c.phone_e164 == ch.c.key, T_CONTACT.c.id != ch.c.contact_id),
        exists().where(other.c.key == ch.c.key, other.c.contact_id != ch.c.contact_id),
    )
    keys.update(k for (k,) in conn.execute(select(ch.c.key).where(ch.c.key.is_not(None), shared).distinct()))
    return keys


def holders(conn: Connection, keys: set[str]) -> set[int]:
    """The contacts holding one of `keys` (primary or extra), live or not (the load leaves the others out)."""
    out: set[int] = set()
    for chunk in chunks(sorted(keys)):
        main = or_(T_CONTACT.c.email_key.in_(chunk), T_CONTACT.c.phone_e164.in_(chunk))
        out.update(cid for (cid,) in conn.execute(select(T_CONTACT.c.id).where(main)))
        out.update(cid for (cid,) in conn.execute(select(T_CHANNEL.c.contact_id).where(T_CHANNEL.c.key.in_(chunk))))
    return out


def chunks(values: list[Any], size: int = 900) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Buckets:
    """Bucket sizes and members, entry by entry as duplicates.name_pairs would fill them."""

    def __init__(self) -> None:
        self.sizes: dict[BucketKey, int] = defaultdict(int)
        self.exact: dict[ExactKey, int] = defaultdict(int)
        self.members: dict[BucketKey, list[tuple[tuple[str, ...], str]]] = defaultdict(list)

    def add(self, kind: str, key: str, tokens: tuple[str, ...], n: int, ids: str) -> None:
        self.exact[(kind, key, tokens)] += n
        for word in dup_names.block_words(tokens):
            bucket = (kind, key, word)
            self.sizes[bucket] += n
            self.members[bucket].append((tokens, ids))

    def settle(self, blocks: Blocks, bucket_max: int) -> set[int]:
        """Fill `blocks.small`/`blocks.exact` and return the contacts in them."""
        wanted: set[int] = set()
        for bucket, size in self.sizes.items():
            if size < 2:
                continue
            kind, key, _word = bucket
            if size <= bucket_max:
                blocks.small.add(bucket)
                chosen = self.members[bucket]
            else:
                ok = {t for t, _ids in self.members[bucket] if 1 < self.exact[(kind, key, t)] <= bucket_max}
                blocks.exact.update((kind, key, t) for t in ok)
                chosen = [m for m in self.members[bucket] if m[0] in ok]
            for _tokens, ids in chosen:
                wanted.update(int(i) for i in ids.split(","))
        return wanted


def live_count(conn: Connection) -> int:
    """All contacts less the deleted and the merged ones: index reads, no scan."""
    return int(conn.execute(select(func.count()).select_from(T_CONTACT)).scalar_one()) - len(dead_ids(conn))


def dead_ids(conn: Connection) -> list[int]:
    c = T_CONTACT.c
    rows = conn.execute(
        select(c.id).where(c.deleted_at.is_not(None)).union(select(c.id).where(c.merged_into_id.is_not(None)))
    )
    return [cid for (cid,) in rows]


def _domain(sql: _Sql, column: Any) -> Any:
    return func.substr(column, sql.at(column) + 1)


def domain_counts(conn: Connection, sql: _Sql) -> dict[str, int]:
    """Addresses per email domain: the live contacts' (the key index's entries less the dead contacts') and
    every extra address (the finder always counted them all)."""
    counts: dict[str, int] = defaultdict(int)
    c, ch = T_CONTACT.c, T_CHANNEL.c
    dom = _domain(sql, c.email_key)
    stmt = select(dom, func.count()).where(c.email_key.is_not(None), sql.at(c.email_key) > 0).group_by(dom)
    for domain, n in conn.execute(stmt):
        counts[domain] += n
    for chunk in chunks(dead_ids(conn)):
        for domain, n in conn.execute(stmt.where(c.id.in_(chunk))):
            counts[domain] -= n
    dom = _domain(sql, ch.key)
    stmt = select(dom, func.count()).where(ch.kind == "email", ch.key.is_not(None), sql.at(ch.key) > 0)
    for domain, n in conn.execute(stmt.group_by(dom)):
        counts[domain] += n
    return counts


def odd_ids(conn: Connection) -> set[int]:
    """Contacts (any) whose domain buckets one row can't tell: an address without `@`, one whose local part
    the placeholder rule may refuse, extra addresses. Prefix ranges and a scan of the key index, no table scan."""
    c = T_CONTACT.c
    if conn.dialect.name == "sqlite":  # LIKE ignores case there: no index; "x@" <= key < "xA" is the prefix "x@"
        odd = or_(*(c.email_key.between(local + "@", local + "A", symmetric=False) for local in ODD_LOCALS))
    else:
        odd = or_(*(c.email_key.startswith(local + "@", autoescape=True) for local in ODD_LOCALS))
    out = {cid for (cid,) in conn.execute(select(c.id).where(c.email_key.is_not(None), odd))}
    out.update(cid for (cid,) in conn.execute(select(c.id).where(c.email_key.is_not(None), ~c.email_key.contains("@"))))
    extra = select(T_CHANNEL.c.contact_id).where(T_CHANNEL.c.kind == "email", T_CHANNEL.c.key.is_not(None))
    out.update(cid for (cid,) in conn.execute(extra.distinct()))
    return out


#: Bound parameters one IN list may take (SQLite allows 32,766 in all).
MANY = 5_000


def _name_rows(conn: Connection, sql: _Sql, domains: set[str], skip: set[str]) -> list[Any]:
    """(first, last, company, domain, count, ids) of the live contacts with a company or an address at one of
    `domains` (the private, uncommon ones; else domain is None; more than MANY of them: at none of `skip`, the
    public and common ones): one scan for both kinds of bucket. (The values are computed in a subquery:
    PostgreSQL can't tell two renderings of one CASE with parameters apart.)"""
    c = T_CONTACT.c
    at = sql.at(c.email_key)
    domain = func.substr(c.email_key, at + 1)
    if not domains:  # nothing to count but companies (a file of gmail addresses, or of one office)
        dom: Any = literal(None, String)
        wanted: Any = c.company != ""
    else:
        listed = domain.in_(sorted(domains)) if len(domains) <= MANY else not_(domain.in_(sorted(skip)))
        private = and_(c.email_key.is_not(None), at > 0, listed)
        dom, wanted = case((private, domain), else_=None), or_(c.company != "", private)
    inner = (
        select(c.id, c.first_name, c.last_name, c.company, dom.label("dom")).where(sql.live_scan(), wanted).subquery()
    )
    keys = (inner.c.first_name, inner.c.last_name, inner.c.company, inner.c.dom)
    return list(conn.execute(select(*keys, func.count(), sql.ids(inner.c.id)).group_by(*keys)))


#: Above this many live contacts, plan() first looks at a sample of SAMPLE_SIZE: when most contacts with a
#: company have a name of their own there (a company per handful of people), the buckets are small, nearly
#: everyone is in one, and reading them all is cheaper than the aggregates.
SAMPLE_FROM, SAMPLE_SIZE = 20_000, 2_000
#: Below this many live contacts reading them all takes less than the aggregates' dozen statements.
BLOCKED_FROM = 5_000


def _varied(conn: Connection) -> bool:
    """Whether the newest SAMPLE_SIZE contacts with a company mostly have a (first, last, company) of their own."""
    c = T_CONTACT.c
    rows = conn.execute(select(c.first_name, c.last_name, c.company).order_by(c.id.desc()).limit(SAMPLE_SIZE))
    named = [row for row in rows if row[2]]
    return len(set(named)) * 4 > len(named) > SAMPLE_SIZE // 20


def plan(
    conn: Connection,
    public: frozenset[str],
    common_cap: Callable[[int], int],
    bucket_max: int,
    odd_people: Callable[[set[int], set[tuple[str, str]]], Iterable[tuple[str, str, tuple[str, ...], int]]],
) -> tuple[Blocks, set[int]] | None:
    """The blocks and the contacts the finder must load (see the module docstring); None when reading them all
    is cheaper (see SAMPLE_FROM, BLOCKED_FROM). `odd_people(ids, common)` yields the domain entries (kind, key,
    tokens, id) of contacts one row can't describe."""
    sql = _Sql(conn)
    blocks = Blocks(live=live_count(conn))
    cap = common_cap(blocks.live)
    if blocks.live < BLOCKED_FROM or (blocks.live > SAMPLE_FROM and _varied(conn)):
        return None
    counts = domain_counts(conn, sql)
    blocks.common = {("domain", d) for d, n in counts.items() if n > cap}
    blocks.odd = odd_ids(conn)
    buckets = _Buckets()
    private = {d for d, n in counts.items() if 0 < n <= cap and d not in public}
    skip = set(public) | {d for _k, d in blocks.common}
    for first, last, company, dom, n, ids in _name_rows(conn, sql, private, skip):
        tokens = dup_names.name_tokens(first, last)
        if not tokens:
            continue
        if company:
            buckets.add("company", fold(company), tokens, n, ids)
        if dom is not None and blocks.odd:  # the odd ones' domains are counted from their Person below
            kept = [i for i in ids.split(",") if int(i) not in blocks.odd]
            n, ids = len(kept), ",".join(kept)
        if dom is not None and n:
            buckets.add("domain", dom, tokens, n, ids)
    for kind, key, tokens, cid in odd_people(blocks.odd, blocks.common):
        buckets.add(kind, key, tokens, 1, str(cid))
    _tag_blocks(conn, sql, cap, blocks, buckets)
    _city_blocks(conn, sql, cap, blocks, buckets)
    wanted = buckets.settle(blocks, bucket_max)
    blocks.strong_keys = strong_keys(conn)
    return blocks, wanted | holders(conn, blocks.strong_keys)


def _tag_blocks(conn: Connection, sql: _Sql, cap: int, blocks: Blocks, buckets: _Buckets) -> None:
    counts = conn.execute(select(T_CONTACT_TAG.c.tag_id, func.count()).group_by(T_CONTACT_TAG.c.tag_id)).all()
    common = {tag for tag, n in counts if n > cap}
    blocks.common.update(("tag", str(tag)) for tag in common)
    if len(common) == len(counts):
        return
    c, t = T_CONTACT.c, T_CONTACT_TAG.c
    stmt = (
        select(t.tag_id, c.first_name, c.last_name, func.count(), sql.ids(c.id))
        .select_from(T_CONTACT_TAG.join(T_CONTACT, c.id == t.contact_id))
        .where(_live(), not_(t.tag_id.in_(sorted(common))) if common else true())
        .group_by(t.tag_id, c.first_name, c.last_name)
    )
    for tag, first, last, n, ids in conn.execute(stmt):
        tokens = dup_names.name_tokens(first, last)
        if tokens:
            buckets.add("tag", str(tag), tokens, n, ids)


def _city_blocks(conn: Connection, sql: _Sql, cap: int, blocks: Blocks, buckets: _Buckets) -> None:
    """Cities too common to count (every value, deleted contacts' too, as the finder always counted them),
    and the buckets of the others: one GROUP BY with one city field, per contact with several (its city is
    the one of the highest field, like load_people's)."""
    fields = city_fields(conn)
    if not fields:
        return
    v = T_VALUE.c
    counts: dict[str, int] = defaultdict(int)
    raw: dict[str, str] = {}
    field = v.field_id if sql.pg else v.field_id + 0  # SQLite: a scan beats the index and a lookup per value
    stmt = select(v.value_json, func.count()).where(field.in_(fields)).group_by(v.value_json)
    for value, n in conn.execute(stmt):
        city = city_of(value)
        if city:
            raw[value] = fold(city)
            counts[raw[value]] += n
    common = {key for key, n in counts.items() if n > cap}
    blocks.common.update(("city", key) for key in common)
    kept = [value for value, key in raw.items() if key not in common]
    if not kept:
        return
    c = T_CONTACT.c
    join = T_VALUE.join(T_CONTACT, c.id == v.entity_id)
    if len(fields) == 1:
        cols = (v.value_json, c.first_name, c.last_name)
        for value, first, last, n, ids in conn.execute(
            select(*cols, func.count(), sql.ids(c.id)).select_from(join).where(_live(), v.field_id == fields[0])
            .where(v.value_json.in_(kept) if len(kept) <= 900 else true()).group_by(*cols)
        ):  # fmt: skip
            _city_entry(buckets, raw.get(value, ""), common, first, last, n, str(ids))
        return
    per: dict[int, tuple[str, str, str]] = {}
    for cid, value, first, last in conn.execute(
        select(c.id, v.value_json, c.first_name, c.last_name).select_from(join)
        .where(_live(), v.field_id.in_(fields)).order_by(v.entity_id, v.field_id)
    ):  # fmt: skip
        if city_of(value):
            per[cid] = (raw[value], first, last)
    for cid, (key, first, last) in per.items():
        _city_entry(buckets, key, common, first, last, 1, str(cid))


def _city_entry(buckets: _Buckets, key: str, common: set[str], first: str, last: str, n: int, ids: str) -> None:
    tokens = dup_names.name_tokens(first, last)
    if key and key not in common and tokens:
        buckets.add("city", key, tokens, n, ids)
