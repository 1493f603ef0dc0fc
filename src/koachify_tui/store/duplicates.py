"""Finding likely duplicate contacts, "not a duplicate" marks, and the create-time check.

The signals, strongest first (each pair's reasons are kept; pairs are grouped transitively):
- the same email (primary or extra, case-folded);
- the same *valid* phone (primary or extra) when the emails do not contradict (`matching.same_person_by_phone`);
- a similar name (dup_names.py: accents, case, word order, initials, nicknames) backed by another signal: the
  same company, the same email domain that is no public mail provider, the same city (a custom field), a
  shared tag. A name alone is never a group. When both have emails and none is shared only a company or a
  domain backs a name: two namesakes with their own addresses in one city are two people.
The import's identity rules apply (store/matching.py): placeholders are no key, and neither is an email or a
phone held by SHARED_NAMES or more different names (an office mailbox, a switchboard). Pairs marked "not a
duplicate" are never suggested, nor grouped together through a third contact. Merged-away and deleted
contacts are left out.

Blocking, never all pairs: contacts meet only under a shared key (an email, a phone, or a support value plus
a name word); a name bucket with more than BUCKET_MAX members (a tag on half the database) compares exact
names only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache, partial
from itertools import combinations
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from ..i18n import _
from . import dup_blocks, dup_names
from .base import StoreBase
from .changes import record as log_change
from .duplicate_types import CreateCheck, DuplicateGroup, DuplicateReason
from .errors import InvalidValue, NotFound
from .events import DuplicateIgnored
from .importer.fastpath import valid as valid_phone
from .matching import SHARED_NAMES, Known, comparable_name, placeholder_email, placeholder_phone, same_person_by_phone
from .models import (
    Contact,
    DuplicateIgnore,
    ImportBatch,
)
from .normalize import clean_text, email_key, fold, normalize_email, normalize_phone
from .tables import T_CHANNEL, T_CONTACT, T_CONTACT_TAG, T_IGNORE, T_ITEM, T_TAG, T_VALUE

#: Mail providers anyone can sign up to: a shared domain there says nothing about who someone is.
PUBLIC_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "libero.it", "hotmail.com", "hotmail.it", "outlook.com", "outlook.it",
     "live.com", "live.it", "msn.com", "yahoo.com", "yahoo.it", "ymail.com", "icloud.com", "me.com", "mac.com",
     "tiscali.it", "alice.it", "virgilio.it", "tin.it", "fastwebnet.it", "email.it", "inwind.it", "iol.it",
     "aruba.it", "pec.it", "legalmail.it", "gmx.com", "gmx.it", "gmx.de", "gmx.net", "web.de", "aol.com",
     "proton.me", "protonmail.com", "tutanota.com", "yandex.com", "mail.com", "zoho.com", "teletu.it",
     "katamail.com", "poste.it", "postecert.it", "vodafone.it", "tim.it", "wind.it", "orange.fr", "free.fr",
     "laposte.net", "wanadoo.fr", "btinternet.com", "comcast.net", "qq.com", "163.com"}
)  # fmt: skip
#: Custom-field keys that hold a city (see fields.field_key: "Città" → "citta", "Address 1 - City" →
#: "address_1_city").
CITY_KEYS = dup_blocks.CITY_KEYS
#: A name bucket (one support value and one name word) larger than this compares exact names only.
BUCKET_MAX = 60
#: An email domain, a tag or a city on more than this share of the contacts (and more than COMMON_MIN of
#: them) backs no name: "Cliente" on half the database says nothing about who is who.
COMMON_SHARE, COMMON_MIN = 0.02, 100

#: Score (0..100) of each signal; a pair's reasons combine as independent evidence: 1 - Π(1 - s).
EMAIL_SCORE, EMAIL_OTHER_NAME = 95.0, 75.0
PHONE_SCORE, PHONE_OTHER_NAME = 85.0, 60.0
SUPPORT_SCORE = {"company": 70.0, "domain": 65.0, "city": 55.0, "tag": 50.0}
SUPPORT_ORDER = ("company", "domain", "city", "tag")
CONTRADICTED = 10.0  # taken off a name reason when both have emails and none is shared


class Person:
    """What the finder knows about one live contact (a plain slotted class: 100k of them are made per call)."""

    __slots__ = ("id", "first", "last", "company", "name_key", "tokens", "emails", "phones", "tags", "city")

    def __init__(self, cid: int, first: str, last: str, company: str, name_key: str) -> None:
        self.id, self.first, self.last, self.company, self.name_key = cid, first, last, company, name_key
        self.tokens = dup_names.name_tokens(first, last)
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.tags: set[int] = set()
        self.city = ""

    @property
    def name(self) -> str:
        """What the shared-value rule counts (matching.comparable_name)."""
        return comparable_name(self.name_key)

    @property
    def label(self) -> str:
        return f"{self.first} {self.last}".strip() or self.company or next(iter(sorted(self.emails)), "")

    def supports(self, tag_names: dict[int, str], common: set[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
        """(kind, key, shown) of every value that can back a similar name (`common`: tags and cities too
        widespread to say anything)."""
        if self.company:
            yield "company", _folded(self.company), self.company
        for key in self.emails:
            domain = key.rpartition("@")[2]
            if domain and domain not in PUBLIC_DOMAINS and ("domain", domain) not in common:
                yield "domain", domain, domain
        if self.city and ("city", fold(self.city)) not in common:
            yield "city", fold(self.city), self.city
        for tag in self.tags:
            if ("tag", str(tag)) not in common:
                yield "tag", str(tag), tag_names.get(tag, "")


class Pairs:
    """Reasons per pair (lower id first), the ignored pairs left out."""

    def __init__(self, ignored: set[tuple[int, int]]) -> None:
        self.ignored = ignored
        self.reasons: dict[tuple[int, int], list[tuple[DuplicateReason, float]]] = defaultdict(list)

    def wanted(self, a: int, b: int) -> tuple[int, int] | None:
        pair = (a, b) if a < b else (b, a)
        return None if a == b or pair in self.ignored else pair

    def add(self, a: int, b: int, reason: DuplicateReason, score: float) -> None:
        pair = self.wanted(a, b)
        if pair is not None and all(r != reason for r, _s in self.reasons[pair]):
            self.reasons[pair].append((reason, score))

    def score(self, pair: tuple[int, int]) -> float:
        rest = 1.0
        for _reason, score in self.reasons[pair]:
            rest *= 1.0 - score / 100.0
        return min(99.9, 100.0 * (1.0 - rest))


@lru_cache(maxsize=65536)
def _folded(value: str) -> str:
    return fold(value)


Loaded = tuple[dict[int, Person], dict[int, str], set[tuple[str, str]]]


def load_people(s: Session, ids: set[int] | None = None) -> Loaded:
    """The live contacts with their email and phone keys, tags and city; the tag names by id; the tags and
    cities too common to back a name. With `ids`, only those (read by id; the common ones are then left to
    the caller, who knows them from dup_blocks.plan)."""
    conn = s.connection()
    live = and_(T_CONTACT.c.deleted_at.is_(None), T_CONTACT.c.merged_into_id.is_(None))
    cols = [T_CONTACT.c[n] for n in ("id", "first_name", "last_name", "company", "name_key", "email_key", "phone_e164")]
    channel_cols = (T_CHANNEL.c.contact_id, T_CHANNEL.c.kind, T_CHANNEL.c.key)
    if ids is None:
        rows = conn.execute(select(*cols).where(live).order_by(T_CONTACT.c.id)).all()
        channels = conn.execute(select(*channel_cols).where(T_CHANNEL.c.key.is_not(None))).all()
        links = conn.execute(select(T_CONTACT_TAG.c.contact_id, T_CONTACT_TAG.c.tag_id)).all()
        cities = list(_cities(conn))
        common = _common(rows, channels, links, cities)
    else:
        rows, channels, links, cities, common = [], [], [], [], set()
        for chunk in dup_blocks.chunks(sorted(ids)):
            rows += conn.execute(select(*cols).where(live, T_CONTACT.c.id.in_(chunk))).all()
            keyed = and_(T_CHANNEL.c.key.is_not(None), T_CHANNEL.c.contact_id.in_(chunk))
            channels += conn.execute(select(*channel_cols).where(keyed)).all()
            links += conn.execute(select(*T_CONTACT_TAG.c).where(T_CONTACT_TAG.c.contact_id.in_(chunk))).all()
            cities += _cities(conn, chunk)
        rows.sort(key=lambda row: row[0])
    people: dict[int, Person] = {}
    for cid, first, last, company, name_key, ekey, phone in rows:
        person = people[cid] = Person(cid, first, last, company, name_key or "")
        if ekey and not placeholder_email(ekey):
            person.emails.add(ekey)
        if phone:
            person.phones.add(phone)
    for cid, kind, key in channels:
        holder = people.get(cid)
        if holder is not None and kind == "email" and not placeholder_email(key):
            holder.emails.add(key)
        elif holder is not None and kind == "phone":
            holder.phones.add(key)
    for cid, tag in links:
        if cid in people:
            people[cid].tags.add(tag)
    for cid, city in cities:
        if cid in people:
            people[cid].city = city  # several city fields: the highest one's (_cities' order)
    tags = {tid: name for tid, name in conn.execute(select(T_TAG.c.id, T_TAG.c.name))}
    return people, tags, common


def _cities(conn: Connection, ids: list[int] | None = None) -> Iterator[tuple[int, str]]:
    defs = dup_blocks.city_fields(conn)
    if not defs:
        return
    values = select(T_VALUE.c.entity_id, T_VALUE.c.value_json).where(T_VALUE.c.field_id.in_(defs))
    if ids is not None:
        values = values.where(T_VALUE.c.entity_id.in_(ids))
    for cid, value in conn.execute(values.order_by(T_VALUE.c.entity_id, T_VALUE.c.field_id)).all():
        city = dup_blocks.city_of(value)
        if city:
            yield cid, city


def _shared(people: dict[int, Person], ids: Iterable[int]) -> bool:
    """Rule 4 of matching.py: a value held by SHARED_NAMES or more different names is no identity."""
    return len({people[i].name for i in ids}) >= SHARED_NAMES


def _known(p: Person) -> Known:
    return Known(frozenset(p.emails), p.name)


def email_pairs(people: dict[int, Person], pairs: Pairs) -> None:
    holders: dict[str, list[int]] = defaultdict(list)
    for p in people.values():
        for key in p.emails:
            holders[key].append(p.id)
    for key, ids in holders.items():
        if len(ids) < 2 or _shared(people, ids):
            continue
        for a, b in combinations(sorted(ids), 2):
            alike = dup_names.similarity(people[a].tokens, people[b].tokens) >= dup_names.SIMILAR
            unnamed = not people[a].tokens or not people[b].tokens
            score = EMAIL_SCORE if alike or unnamed else EMAIL_OTHER_NAME
            pairs.add(a, b, DuplicateReason("email", key), score)


def phone_pairs(people: dict[int, Person], pairs: Pairs) -> None:
    holders: dict[str, list[int]] = defaultdict(list)
    for p in people.values():
        for key in p.phones:
            holders[key].append(p.id)
    for key, ids in holders.items():
        if len(ids) < 2 or placeholder_phone(key) or not valid_phone(key) or _shared(people, ids):
            continue
        for a, b in combinations(sorted(ids), 2):
            pa, pb = people[a], people[b]
            if not same_person_by_phone(_known(pa), _known(pb)):
                continue  # colleagues with their own addresses on one switchboard
            alike = dup_names.similarity(pa.tokens, pb.tokens) >= dup_names.SIMILAR
            score = PHONE_SCORE if alike or not pa.tokens or not pb.tokens else PHONE_OTHER_NAME
            pairs.add(a, b, DuplicateReason("phone", key), score)


def name_pairs(
    people: dict[int, Person],
    tag_names: dict[int, str],
    common: set[tuple[str, str]],
    pairs: Pairs,
    blocks: dup_blocks.Blocks | None = None,
) -> None:
    """Similar names under a shared support value, blocked by (support, name word); one name reason per pair,
    with its strongest support (shown as the older contact has it). `blocks`: `people` is a part of the
    contacts and the buckets' true sizes are known (dup_blocks.plan)."""
    buckets: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    shown: dict[tuple[int, str, str], str] = {}
    for p in people.values():
        if not p.tokens:
            continue
        words = dup_names.block_words(p.tokens)
        for kind, key, label in p.supports(tag_names, common):
            shown.setdefault((p.id, kind, key), label)
            for word in words:
                buckets[(kind, key, word)].append(p.id)
    best: dict[tuple[int, int], tuple[int, str, float]] = {}  # pair -> (support rank, shown, similarity)
    sims: dict[tuple[int, int], float] = {}
    for bucket, ids in buckets.items():
        if len(ids) < 2:
            continue
        kind, key, _word = bucket
        rank = SUPPORT_ORDER.index(kind)
        for a, b in _bucket_pairs(people, bucket, ids, blocks):
            pair = pairs.wanted(a, b)
            if pair is None or (pair in best and best[pair][0] <= rank):
                continue
            sim = sims.get(pair)
            if sim is None:
                sim = sims[pair] = dup_names.similarity(people[a].tokens, people[b].tokens)
            if sim >= dup_names.SIMILAR and _backs(people[a], people[b], kind):
                best[pair] = (rank, f"{kind}: {shown[(pair[0], kind, key)]}", sim)
    for (a, b), (rank, support, sim) in best.items():
        _name_reason(people[a], people[b], SUPPORT_ORDER[rank], support, sim, pairs)


def _common(
    rows: Sequence[Any], channels: Sequence[Any], links: Sequence[Any], cities: list[tuple[int, str]]
) -> set[tuple[str, str]]:
    """The email domains, tags and cities held by more than COMMON_SHARE of the live contacts (and more than
    COMMON_MIN): a provider missing from PUBLIC_DOMAINS, "Cliente", "Milano" say nothing about who is who."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if row[5] and "@" in row[5]:
            counts[("domain", row[5].rpartition("@")[2])] += 1
    for _cid, kind, key in channels:
        if kind == "email" and "@" in key:
            counts[("domain", key.rpartition("@")[2])] += 1
    for _cid, tag in links:
        counts[("tag", str(tag))] += 1
    for _cid, city in cities:
        counts[("city", _folded(city))] += 1
    cap = _common_cap(len(rows))
    return {key for key, n in counts.items() if n > cap}


def _bucket_pairs(
    people: dict[int, Person], bucket: tuple[str, str, str], ids: list[int], blocks: dup_blocks.Blocks | None
) -> Iterator[tuple[int, int]]:
    """The pairs a bucket compares: all of them up to BUCKET_MAX members, else those with the same name (up
    to BUCKET_MAX of them). With `blocks` the sizes are the whole database's, not len(ids)."""
    if (len(ids) <= BUCKET_MAX) if blocks is None else (bucket in blocks.small):
        yield from combinations(ids, 2)
        return
    exact: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for cid in ids:
        exact[people[cid].tokens].append(cid)
    kind, key, _word = bucket
    for tokens, same in exact.items():
        if (1 < len(same) <= BUCKET_MAX) if blocks is None else ((kind, key, tokens) in blocks.exact):
            yield from combinations(same, 2)


def _contradicted(a: Person, b: Person) -> bool:
    """Both have emails and none is shared (matching.py's rule 2)."""
    return bool(a.emails and b.emails and not a.emails & b.emails)


def _backs(a: Person, b: Person, kind: str) -> bool:
    """Whether a support of this kind backs a similar name: with contradicting emails only a company or a
    domain does (namesakes with their own addresses in one city or under one tag are two people)."""
    return kind in ("company", "domain") or not _contradicted(a, b)


def _name_reason(a: Person, b: Person, kind: str, support: str, sim: float, pairs: Pairs) -> None:
    score = SUPPORT_SCORE[kind] * sim / 100.0 - (CONTRADICTED if _contradicted(a, b) else 0.0)
    name = a.label if sim >= 100.0 else f"{a.label} ~ {b.label}"
    pairs.add(a.id, b.id, DuplicateReason("name", name, support), score)


def group(pairs: Pairs) -> list[DuplicateGroup]:
    """Transitive groups, strongest pairs first; two contacts marked "not a duplicate" never end up in one
    group through a third."""
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs.ignored:
        partners[a].add(b)
        partners[b].add(a)

    def root(x: int) -> int:
        parent.setdefault(x, x)
        members.setdefault(x, [x])
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    scored = sorted(((pairs.score(p), p) for p in pairs.reasons if pairs.reasons[p]), key=lambda sp: -sp[0])
    kept: list[tuple[float, tuple[int, int]]] = []
    for score, (a, b) in scored:
        ra, rb = root(a), root(b)
        if ra != rb:
            if any(partners[m] & set(members[rb]) for m in members[ra] if m in partners):
                continue
            small, big = sorted((ra, rb), key=lambda r: len(members[r]))
            parent[small] = big
            members[big].extend(members.pop(small))
        kept.append((score, (a, b)))
    by_root: dict[int, list[tuple[float, tuple[int, int]]]] = defaultdict(list)
    for score, pair in kept:
        by_root[root(pair[0])].append((score, pair))
    groups = [_group_of(members[r], found, pairs) for r, found in by_root.items()]
    return sorted(groups, key=lambda g: (-g.score, g.contact_ids))


def _group_of(ids: list[int], found: list[tuple[float, tuple[int, int]]], pairs: Pairs) -> DuplicateGroup:
    reasons: list[DuplicateReason] = []
    for _score, pair in found:
        for reason, _s in pairs.reasons[pair]:
            if reason not in reasons:
                reasons.append(reason)
    reasons.sort(key=lambda r: ("email", "phone", "name").index(r.kind))
    return DuplicateGroup(tuple(sorted(ids)), max(score for score, _pair in found), tuple(reasons))


def find_groups(s: Session, *, strong_only: bool = False, exhaustive: bool = False) -> list[DuplicateGroup]:
    """Every group in the database. Only the contacts dup_blocks.plan finds in a shared key or a comparing
    name bucket are read; `exhaustive` reads every live contact instead (the reference the tests hold the
    blocked path to); `strong_only` runs the email and phone pass alone."""
    conn = s.connection()
    pairs = Pairs(_ignored(s))
    blocks: dup_blocks.Blocks | None = None
    planned = None
    if not exhaustive and not strong_only:
        planned = dup_blocks.plan(conn, PUBLIC_DOMAINS, _common_cap, BUCKET_MAX, partial(_odd_domains, s))
    if planned is not None:
        blocks, wanted = planned
        people, tag_names, _none = load_people(s, wanted)
        common = blocks.common
    elif strong_only:
        people, tag_names, common = load_people(s, dup_blocks.holders(conn, dup_blocks.strong_keys(conn)))
    else:
        people, tag_names, common = load_people(s)
    email_pairs(people, pairs)
    phone_pairs(people, pairs)
    if not strong_only:
        name_pairs(people, tag_names, common, pairs, blocks)
    return group(pairs)


def _common_cap(live: int) -> int:
    """More holders than this make a domain, a tag or a city common (COMMON_SHARE, COMMON_MIN)."""
    return max(COMMON_MIN, int(COMMON_SHARE * live))


def _odd_domains(
    s: Session, ids: set[int], common: set[tuple[str, str]]
) -> Iterator[tuple[str, str, tuple[str, ...], int]]:
    """The domain bucket entries of contacts one aggregate row can't describe (dup_blocks.plan)."""
    people, _tags, _common = load_people(s, ids)
    for p in people.values():
        for kind, key, _shown in p.supports({}, common) if p.tokens else ():
            if kind == "domain":
                yield kind, key, p.tokens, p.id


def _ignored(s: Session) -> set[tuple[int, int]]:
    rows = s.connection().execute(select(T_IGNORE.c.contact_a_id, T_IGNORE.c.contact_b_id))
    return {(min(a, b), max(a, b)) for a, b in rows}


class DuplicatesAPI(StoreBase):
    """Likely duplicates, "not a duplicate" marks and the create-time check (see the module docstring)."""

    def find_duplicates(
        self, *, contact_ids: Iterable[int] | None = None, limit: int | None = None, strong_only: bool = False
    ) -> list[DuplicateGroup]:
        """Groups of likely duplicates, highest score first. `contact_ids`: only the groups holding at least
        one of them, exactly as the whole list has them (an import batch's: `batch_duplicates`). `strong_only`:
        the groups of the email and phone pass alone (cheap: the key indexes; the Duplicates screen paints them
        first)."""
        from .importer.runner import _gc_tuned  # the importer's: 100k small objects, no cycles among them

        with _gc_tuned(), self.read() as s:
            groups = find_groups(s, strong_only=strong_only)
        if contact_ids is not None:
            only = set(contact_ids)
            groups = [g for g in groups if not only.isdisjoint(g.contact_ids)]
        return groups[:limit] if limit is not None else groups

    def batch_duplicates(
        self, batch_id: int, *, limit: int | None = None, strong_only: bool = False
    ) -> list[DuplicateGroup]:
        """The groups of the whole list holding at least one contact an import batch created or changed (its
        items' contacts, a merge survivor included): the one definition of a batch's "possible duplicates"
        for the import summary, `duplicates list --batch`, the import dialog and the Duplicates screen.
        `strong_only`: the same among the strong groups (`find_duplicates(strong_only=True)`; the screen's
        first paint). Only the groups' contacts are looked up in the batch (not its 100k ids read into
        Python); a batch with no contact runs no finder. NotFound for a batch that does not exist."""
        items = select(T_ITEM.c.contact_id).where(T_ITEM.c.batch_id == batch_id)
        with self.read() as s:
            if s.get(ImportBatch, batch_id) is None:
                raise NotFound(_("no import batch {id}").format(id=batch_id))
            if s.connection().execute(items.limit(1)).first() is None:
                return []
        groups = self.find_duplicates(strong_only=strong_only)
        members = sorted({cid for g in groups for cid in g.contact_ids})
        batch: set[int] = set()
        with self.read() as s:
            for chunk in dup_blocks.chunks(members):
                stmt = items.where(T_ITEM.c.contact_id.in_(chunk)).distinct()
                batch.update(cid for (cid,) in s.connection().execute(stmt))
        found = [g for g in groups if not batch.isdisjoint(g.contact_ids)]
        return found[:limit] if limit is not None else found

    def duplicate_names(self, ids: Iterable[int]) -> dict[int, str]:
        """Display names of contacts (deleted ones too), for listing groups."""
        wanted = sorted(set(ids))
        out: dict[int, str] = {}
        with self.read() as s:
            for start in range(0, len(wanted), 900):
                chunk = wanted[start : start + 900]
                for c in s.execute(select(Contact).where(Contact.id.in_(chunk))).scalars():  # type: ignore[union-attr]
                    out[c.id or 0] = c.display_name
        return out

    def ignore_duplicate(self, a: int, b: int, *, origin: str | None = None) -> bool:
        """Mark two contacts "not a duplicate": never suggested together again. False when already marked."""
        low, high = self._pair(a, b)
        with self.write(origin) as tx:
            for cid in (low, high):
                contact = tx.session.get(Contact, cid)
                if contact is None or contact.deleted_at is not None:
                    raise NotFound(_("no contact with id {contact_id}").format(contact_id=cid))
            if tx.session.get(DuplicateIgnore, (low, high)) is not None:
                return False
            tx.session.add(DuplicateIgnore(contact_a_id=low, contact_b_id=high, created_at=tx.now))
            log_change(tx, "contact", low, "not_duplicate", None, high)
            tx.emit(DuplicateIgnored, contact_id=low, other_id=high)
            return True

    def unignore_duplicate(self, a: int, b: int, *, origin: str | None = None) -> bool:
        """Take back a "not a duplicate" mark; False when there was none."""
        low, high = self._pair(a, b)
        with self.write(origin) as tx:
            if tx.session.get(DuplicateIgnore, (low, high)) is None:
                return False
            tx.session.execute(
                delete(DuplicateIgnore).where(
                    DuplicateIgnore.contact_a_id == low,  # type: ignore[arg-type]
                    DuplicateIgnore.contact_b_id == high,  # type: ignore[arg-type]
                )
            )
            log_change(tx, "contact", low, "not_duplicate", high, None)
            tx.emit(DuplicateIgnored, contact_id=low, other_id=high, ignored=False)
            return True

    def ignored_duplicates(self) -> list[tuple[int, int]]:
        with self.read() as s:
            return sorted(_ignored(s))

    @staticmethod
    def _pair(a: int, b: int) -> tuple[int, int]:
        if a == b:
            raise InvalidValue(_("a contact is always the same person as itself: give two different ids"))
        return (a, b) if a < b else (b, a)

    def check_new_contact(
        self, *, email: str = "", phone: str = "", first_name: str = "", last_name: str = "", company: str = ""
    ) -> CreateCheck:
        """What a contact about to be created collides with: live contacts with its email or valid phone
        (blocking), and with a similar name (a hint). Invalid values collide with nothing (the create refuses
        them itself)."""
        return CreateCheck(
            same_email=tuple(self._same_email(email)),
            same_phone=tuple(self._same_phone(phone)),
            similar_names=tuple(self.similar_names(first_name, last_name)),
        )

    def _same_email(self, email: str) -> list[int]:
        try:
            key = email_key(normalize_email(email))
        except InvalidValue:
            return []
        if not key or placeholder_email(key):
            return []
        return self._unmerged(self.find_contacts_by_email(key))  # type: ignore[attr-defined]

    def _same_phone(self, phone: str) -> list[int]:
        try:
            key = normalize_phone(phone, self.region)
        except InvalidValue:
            return []
        if not key or placeholder_phone(key) or not valid_phone(key):
            return []
        return self._unmerged(self.find_contacts_by_phone(key))  # type: ignore[attr-defined]

    def _unmerged(self, ids: list[int]) -> list[int]:
        """`ids` without contacts merged away (find_contacts_by_* leave out the deleted ones already)."""
        if not ids:
            return []
        with self.read() as s:
            rows = s.execute(
                select(T_CONTACT.c.id).where(T_CONTACT.c.id.in_(ids), T_CONTACT.c.merged_into_id.is_(None))
            )
            return sorted(r[0] for r in rows)

    def similar_names(self, first_name: str, last_name: str, *, limit: int = 5) -> list[int]:
        """Live contacts whose name is like this one (two words at least), most alike first."""
        tokens = dup_names.name_tokens(clean_text(first_name), clean_text(last_name))
        words = sorted(dup_names.block_words(tokens), key=len, reverse=True)[:2]
        if len(tokens) < 2 or not words:
            return []
        # Candidates by the start of the longest words: 4 letters survive most accents and typos.
        likes = [T_CONTACT.c.name_key.like(f"%{w[:4]}%") for w in words]
        stmt = (
            select(T_CONTACT.c.id, T_CONTACT.c.first_name, T_CONTACT.c.last_name)
            .where(T_CONTACT.c.deleted_at.is_(None), T_CONTACT.c.merged_into_id.is_(None), or_(*likes))
            .limit(5000)
        )
        scored: list[tuple[float, int]] = []
        with self.read() as s:
            for cid, first, last in s.connection().execute(stmt):
                sim = dup_names.similarity(tokens, dup_names.name_tokens(first, last))
                if sim >= dup_names.SIMILAR:
                    scored.append((sim, cid))
        return [cid for _sim, cid in sorted(scored, key=lambda sc: (-sc[0], sc[1]))[:limit]]
