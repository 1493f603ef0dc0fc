"""Contacts, their extra emails/phones, tags, listing and search."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Dialect, Table, and_, bindparam, delete, exists, func, or_, select
from sqlmodel import Session, col

from ..i18n import _
from . import lookups, search, search_plan, versions
from .base import StoreBase, Tx
from .changes import record as log_change
from .errors import InvalidValue, NotFound
from .events import ContactCreated, ContactDeleted, ContactRestored, ContactUpdated, TagAdded, TagRemoved
from .fields import values_of, write_value
from .models import (
    ChangeLog,
    Contact,
    ContactChannel,
    ContactChannelKind,
    ContactTag,
    HistoryEntry,
    HistoryKind,
    ImportBatchItem,
    Opportunity,
    OpportunityStatus,
    Tag,
    utcnow,
)
from .normalize import (
    check_identity,
    clean_text,
    email_key,
    fold,
    has_visible,
    name_key,
    normalize_email,
    normalize_phone,
)

CONTACT_FIELDS = ("first_name", "last_name", "company", "email", "phone", "source", "owner")
_NAME_FIELDS = frozenset({"first_name", "last_name", "company"})


@dataclass(frozen=True)
class ContactRow:
    """One line of the contact list."""

    id: int
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str
    phone_e164: str | None
    source: str
    owner: str
    created_at: datetime
    last_activity_at: datetime | None
    deleted_at: datetime | None
    tags: tuple[str, ...] = ()
    open_opportunities: int = 0

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or self.phone or f"#{self.id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone_e164 or self.phone,
            "company": self.company,
            "source": self.source,
            "owner": self.owner,
            "tags": list(self.tags),
        }


@dataclass
class ContactQuery:
    """A contact filter: what a search box, the filter bar and a smart list describe."""

    search: str = ""
    tags_any: Sequence[str] = ()
    tags_all: Sequence[str] = ()
    tags_none: Sequence[str] = ()
    source: str = ""
    owner: str = ""
    pipeline_id: int | None = None  # has an open opportunity in this pipeline…
    stage_id: int | None = None  # …at this stage
    created_after: datetime | None = None
    created_before: datetime | None = None
    deleted: bool = False  # True: the Trash view
    sort: str = "name"  # name | created | last_activity
    descending: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "search": self.search,
            "tags_any": list(self.tags_any),
            "tags_all": list(self.tags_all),
            "tags_none": list(self.tags_none),
            "source": self.source,
            "owner": self.owner,
            "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id,
            "created_after": self.created_after.isoformat() if self.created_after else None,
            "created_before": self.created_before.isoformat() if self.created_before else None,
            "sort": self.sort,
            "descending": self.descending,
        }
        return {k: v for k, v in data.items() if v not in (None, "", [], False)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactQuery:
        kwargs = dict(data)
        for key in ("created_after", "created_before"):
            if kwargs.get(key):
                kwargs[key] = datetime.fromisoformat(kwargs[key])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in kwargs.items() if k in known})


_CONTACT: Table = Contact.__table__  # type: ignore[attr-defined]
# Core columns, read through Connection.execute: the ORM's statement handling cost more than the query.
_ROW_COLUMNS = [
    _CONTACT.c[name]
    for name in (
        "id",
        "first_name",
        "last_name",
        "company",
        "email",
        "phone",
        "phone_e164",
        "source",
        "owner",
        "created_at",
        "last_activity_at",
        "deleted_at",
    )
]


def refresh_search(s: Session, contact: Contact) -> None:
    """Recompute the derived name key and search haystack (after any change to names, channels, tags)."""
    assert contact.id is not None
    channels = list(s.execute(select(ContactChannel).where(col(ContactChannel.contact_id) == contact.id)).scalars())
    contact.name_key = name_key(contact.first_name, contact.last_name, contact.company)
    contact.search_text = search.haystack(
        contact.first_name,
        contact.last_name,
        contact.company,
        [contact.email, *(c.value for c in channels if c.kind == ContactChannelKind.EMAIL)],
        [contact.phone_e164, *(c.key for c in channels if c.kind == ContactChannelKind.PHONE)],
        contact_tags(s, contact.id),
    )
    s.add(contact)


def contact_tags(s: Session, contact_id: int) -> list[str]:
    """A contact's tag names in name order."""
    rows = s.execute(
        select(col(Tag.name))
        .join(ContactTag, col(ContactTag.tag_id) == col(Tag.id))
        .where(col(ContactTag.contact_id) == contact_id)
        .order_by(col(Tag.name_key))
    )
    return [r[0] for r in rows]


def link_tag(tx: Tx, contact_id: int, name: str, *, emit: bool = True) -> bool:
    tag = lookups.tag_row(tx.session, name, create=True)
    assert tag is not None and tag.id is not None
    if tx.session.get(ContactTag, (contact_id, tag.id)) is not None:
        return False
    tx.session.add(ContactTag(contact_id=contact_id, tag_id=tag.id))
    tx.session.flush()
    log_change(tx, "contact", contact_id, "tag", None, tag.name)
    if emit:
        tx.emit(TagAdded, contact_id=contact_id, tag=tag.name)
    return True


def unlink_tag(tx: Tx, contact_id: int, name: str) -> bool:
    tag = lookups.tag_row(tx.session, name, create=False)
    link = tx.session.get(ContactTag, (contact_id, tag.id)) if tag else None
    if tag is None or link is None:
        return False
    tx.session.delete(link)
    tx.session.flush()
    log_change(tx, "contact", contact_id, "tag", tag.name, None)
    tx.emit(TagRemoved, contact_id=contact_id, tag=tag.name)
    return True


def set_contact_fields(tx: Tx, contact: Contact, values: dict[str, Any]) -> tuple[str, ...]:
    """Set validated contact columns (with their derived keys) that differ, logging each; the names changed.
    Derived columns (email_key, phone_e164) follow their field and are not logged on their own."""
    assert contact.id is not None
    changed: list[str] = []
    for key in CONTACT_FIELDS:
        if key not in values or getattr(contact, key) == values[key]:
            continue
        log_change(tx, "contact", contact.id, key, getattr(contact, key), values[key])
        setattr(contact, key, values[key])
        changed.append(key)
    for derived, source in (("email_key", "email"), ("phone_e164", "phone")):
        if source in changed:
            setattr(contact, derived, values[derived])
    return tuple(changed)


# The two per-page lookups of `_rows`, built once (Core tables, an expanding list of ids).
_CT: Table = ContactTag.__table__  # type: ignore[attr-defined]
_TAG: Table = Tag.__table__  # type: ignore[attr-defined]
_OPP: Table = Opportunity.__table__  # type: ignore[attr-defined]
_TAGS_OF = (
    select(_CT.c.contact_id, _TAG.c.name)
    .join(_TAG, _TAG.c.id == _CT.c.tag_id)
    .where(_CT.c.contact_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TAG.c.name_key)
)
_OPEN_DEALS_OF = (
    select(_OPP.c.contact_id, func.count())
    .where(
        _OPP.c.contact_id.in_(bindparam("ids", expanding=True)),
        _OPP.c.status == OpportunityStatus.OPEN.value,
        _OPP.c.deleted_at.is_(None),
    )
    .group_by(_OPP.c.contact_id)
)
# The same on SQLite as result columns of one page statement (search_plan.page_rows): the row, its tags in
# name order as a JSON array, its open deals. One statement instead of three, and no SQLAlchemy on the way.
_ROW_SQL = ", ".join(
    [
        *(f"contact.{c.name}" for c in _ROW_COLUMNS),
        "(SELECT json_group_array(name) FROM (SELECT tag.name AS name FROM contact_tag JOIN tag"
        " ON tag.id = contact_tag.tag_id WHERE contact_tag.contact_id = contact.id ORDER BY tag.name_key))",
        "(SELECT count(*) FROM opportunity WHERE opportunity.contact_id = contact.id"
        f" AND opportunity.status = '{OpportunityStatus.OPEN.value}' AND opportunity.deleted_at IS NULL)",
    ]
)


@functools.cache
def _row_processors(dialect: Dialect) -> tuple[Any, ...]:
    """What SQLAlchemy does to each raw value of `_ROW_COLUMNS` (the timestamps: text → aware datetime)."""
    return tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in _ROW_COLUMNS)


def _raw_rows(dialect: Dialect, raw: Sequence[tuple[Any, ...]]) -> list[ContactRow]:
    """ContactRows from `_ROW_SQL` tuples."""
    processors = _row_processors(dialect)
    n = len(processors)
    rows = []
    for r in raw:
        values: list[Any] = [p(v) if p is not None else v for p, v in zip(processors, r[:n], strict=True)]
        values += [tuple(json.loads(r[n])) if r[n] != "[]" else (), int(r[n + 1])]  # tags, open deals
        rows.append(ContactRow(*values))
    return rows


def missing_contact(s: Session, contact_id: int, contact: Contact | None) -> NotFound:
    """The NotFound for an id that is no live contact; one merged away names its survivor and the undo."""
    if contact is not None and contact.merged_into_id is not None:
        from .merge import merge_holding  # merge builds on this module

        merge = merge_holding(s, contact_id)
        survivor = s.get(Contact, contact.merged_into_id)
        if merge is not None and survivor is not None:
            return NotFound(
                _(
                    "contact {id} was merged into #{survivor} {name}: `koachify duplicates undo {merge}` brings it back"
                ).format(id=contact_id, survivor=survivor.id, name=survivor.display_name, merge=merge.id)
            )
    return NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))


class ContactsAPI(StoreBase):
    """Contacts, tags and contact lists."""

    # --- reading ---------------------------------------------------------------------------------------

    def get_contact(self, contact_id: int, *, include_deleted: bool = False) -> Contact:
        with self.read() as s:
            contact = s.get(Contact, contact_id)
            if contact is None or (contact.deleted_at is not None and not include_deleted):
                raise missing_contact(s, contact_id, contact)
            return contact

    def contact_tags(self, contact_id: int) -> list[str]:
        with self.read() as s:
            return self._contact_tags(s, contact_id)

    def _contact_tags(self, s: Session, contact_id: int) -> list[str]:
        return contact_tags(s, contact_id)

    def contact_channels(self, contact_id: int) -> list[ContactChannel]:
        """The contact's additional emails and phones."""
        with self.read() as s:
            return list(s.execute(select(ContactChannel).where(col(ContactChannel.contact_id) == contact_id)).scalars())

    def list_tags(self) -> list[tuple[str, int]]:
        """Every tag with the number of live contacts carrying it, by name."""
        with self.read() as s:
            rows = s.execute(
                select(col(Tag.name), func.count(col(Contact.id)))
                .select_from(Tag)
                .outerjoin(ContactTag, col(ContactTag.tag_id) == col(Tag.id))
                .outerjoin(
                    Contact, and_(col(Contact.id) == col(ContactTag.contact_id), col(Contact.deleted_at).is_(None))
                )
                .group_by(col(Tag.id))
                .order_by(col(Tag.name_key))
            )
            return [(r[0], int(r[1])) for r in rows]

    def _query_clause(self, s: Session, q: ContactQuery) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            col(Contact.deleted_at).is_not(None) if q.deleted else col(Contact.deleted_at).is_(None)
        ]
        clause = search.search_clause(s, q.search)
        if clause is not None:
            where.append(clause)
        return where + self._filters(q)

    def _filters(self, q: ContactQuery) -> list[ColumnElement[bool]]:
        """The query's conditions besides the search and the Trash switch."""
        # Contacts merged into another are soft-deleted too, but not trashed: only undoing the merge restores them.
        where: list[ColumnElement[bool]] = [col(Contact.merged_into_id).is_(None)] if q.deleted else []

        def has_tag(name: str) -> ColumnElement[bool]:
            return exists(
                select(1)
                .select_from(ContactTag)
                .join(Tag, col(Tag.id) == col(ContactTag.tag_id))
                .where(col(ContactTag.contact_id) == col(Contact.id), col(Tag.name_key) == fold(name))
            )

        if q.tags_any:
            where.append(or_(*(has_tag(t) for t in q.tags_any)))
        where += [has_tag(t) for t in q.tags_all]
        where += [~has_tag(t) for t in q.tags_none]
        if q.source:
            where.append(func.lower(col(Contact.source)) == q.source.lower())
        if q.owner:
            where.append(func.lower(col(Contact.owner)) == q.owner.lower())
        if q.created_after:
            where.append(col(Contact.created_at) >= q.created_after)
        if q.created_before:
            where.append(col(Contact.created_at) < q.created_before)
        if q.pipeline_id is not None or q.stage_id is not None:
            opp = [
                col(Opportunity.contact_id) == col(Contact.id),
                col(Opportunity.deleted_at).is_(None),
                col(Opportunity.status) == OpportunityStatus.OPEN.value,
            ]
            if q.pipeline_id is not None:
                opp.append(col(Opportunity.pipeline_id) == q.pipeline_id)
            if q.stage_id is not None:
                opp.append(col(Opportunity.stage_id) == q.stage_id)
            where.append(exists(select(1).select_from(Opportunity).where(*opp)))
        return where

    def count_contacts(self, q: ContactQuery | None = None) -> int:
        q = q or ContactQuery()
        with self.read() as s:
            stmt = select(func.count()).select_from(Contact).where(*self._query_clause(s, q))
            return int(s.execute(stmt).one()[0])

    def count_contacts_capped(self, q: ContactQuery | None = None, *, cap: int = 10_000) -> tuple[int, bool]:
        """(count, capped): counts at most `cap` matches, so a one-letter search never pays for a full count.
        When `capped` is True the real total is larger than `cap`."""
        q = q or ContactQuery()
        with self.read() as s:
            inner = select(col(Contact.id)).where(*self._query_clause(s, q)).limit(cap + 1).subquery()
            n = int(s.execute(select(func.count()).select_from(inner)).one()[0])
            return (cap, True) if n > cap else (n, False)

    def contact_position(self, contact_id: int, q: ContactQuery | None = None) -> int | None:
        """Index of a contact in the name-sorted list of `q` without a search (None when it does not match; with a
        search the list ranks name prefixes first, which this does not count): lets a screen
        open the page holding it without reading the pages before."""
        q = q or ContactQuery()
        with self.read() as s:
            target = s.execute(select(col(Contact.name_key)).where(col(Contact.id) == contact_id)).first()
            if target is None:
                return None
            key = target[0]
            where = self._query_clause(s, q)
            if not s.execute(select(col(Contact.id)).where(col(Contact.id) == contact_id, *where)).first():
                return None
            before = or_(col(Contact.name_key) < key, and_(col(Contact.name_key) == key, col(Contact.id) < contact_id))
            if q.descending:
                before = or_(
                    col(Contact.name_key) > key, and_(col(Contact.name_key) == key, col(Contact.id) > contact_id)
                )
            return int(s.execute(select(func.count()).select_from(Contact).where(*where, before)).one()[0])

    def list_contacts(
        self, q: ContactQuery | None = None, *, limit: int | None = 100, offset: int = 0
    ) -> list[ContactRow]:
        """One page of contacts matching `q`, with their tags and open-opportunity counts. In the name order a
        search lists the contacts whose name starts with its first term first, then those whose name after its first
        word starts with it (search_plan.py)."""
        q = q or ContactQuery()
        with self.read() as s:
            filters = self._filters(q)
            args = (s, q.deleted, filters, q.search, q.sort, q.descending, limit, offset)
            raw = search_plan.page_rows(*args, _ROW_SQL)
            if raw is not None:  # SQLite: one statement for the rows with their tags and deals
                return _raw_rows(s.get_bind().dialect, raw)
            # Plain columns, not ORM entities: no identity map, no search_text haystack; ~3× faster per page.
            contacts = search_plan.page(*args, _ROW_COLUMNS)
            return self._rows(s, contacts)

    def _rows(self, s: Session, contacts: Sequence[Any]) -> list[ContactRow]:
        """ContactRows from Contact entities or rows of `_ROW_COLUMNS`, with tags and open deals in two queries."""
        ids = [c.id for c in contacts if c.id is not None]
        tags: dict[int, list[str]] = {}
        opps: dict[int, int] = {}
        conn = s.connection()
        for chunk_start in range(0, len(ids), 500):
            chunk = {"ids": ids[chunk_start : chunk_start + 500]}
            for cid, name in conn.execute(_TAGS_OF, chunk):
                tags.setdefault(cid, []).append(name)
            for cid, count in conn.execute(_OPEN_DEALS_OF, chunk):
                opps[cid] = int(count)
        return [
            ContactRow(
                id=c.id or 0,
                first_name=c.first_name,
                last_name=c.last_name,
                company=c.company,
                email=c.email,
                phone=c.phone,
                phone_e164=c.phone_e164,
                source=c.source,
                owner=c.owner,
                created_at=c.created_at,
                last_activity_at=c.last_activity_at,
                deleted_at=c.deleted_at,
                tags=tuple(tags.get(c.id or 0, ())),
                open_opportunities=opps.get(c.id or 0, 0),
            )
            for c in contacts
        ]

    def contact_row(self, contact_id: int) -> ContactRow:
        with self.read() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
            return self._rows(s, [contact])[0]

    def find_contacts_by_email(self, email: str) -> list[int]:
        """Live contacts having `email` as primary or additional address (case-insensitive)."""
        key = email_key(email.strip())
        return self._find_by_key(col(Contact.email_key), ContactChannelKind.EMAIL, key)

    def find_contacts_by_phone(self, phone: str, region: str | None = None) -> list[int]:
        try:
            key = normalize_phone(phone, region or self.region)
        except InvalidValue:
            return []
        return self._find_by_key(Contact.phone_e164, ContactChannelKind.PHONE, key)

    def _find_by_key(self, column: Any, kind: ContactChannelKind, key: str | None) -> list[int]:
        if not key:
            return []
        with self.read() as s:
            primary = select(col(Contact.id)).where(column == key, col(Contact.deleted_at).is_(None))
            extra = (
                select(col(ContactChannel.contact_id))
                .join(Contact, col(Contact.id) == col(ContactChannel.contact_id))
                .where(
                    col(ContactChannel.kind) == kind.value,
                    col(ContactChannel.key) == key,
                    col(Contact.deleted_at).is_(None),
                )
            )
            ids = {r[0] for r in s.execute(primary)} | {r[0] for r in s.execute(extra)}
            return sorted(ids)

    # --- writing ---------------------------------------------------------------------------------------

    def _validated(self, values: dict[str, Any], region: str | None) -> dict[str, Any]:
        """Clean and validate contact fields; computes email_key and phone_e164."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key not in CONTACT_FIELDS:
                raise InvalidValue(_("unknown contact field {key!r}").format(key=key))
            value = clean_text(value)
            if key in _NAME_FIELDS and not has_visible(value):
                value = ""  # zero-width or format characters alone are not a name
            if key == "email":
                value = normalize_email(value)
                out["email_key"] = email_key(value)
            elif key == "phone":
                out["phone_e164"] = normalize_phone(value, region or self.region)
            out[key] = value
        return out

    def create_contact(
        self,
        *,
        first_name: str = "",
        last_name: str = "",
        company: str = "",
        email: str = "",
        phone: str = "",
        source: str = "",
        owner: str = "",
        tags: Iterable[str] = (),
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        custom: dict[str, Any] | None = None,
        region: str | None = None,
        origin: str | None = None,
        created_at: datetime | None = None,
    ) -> Contact:
        """Create a contact. Raises InvalidValue for a bad email/phone or a contact with nothing to name it."""
        values = self._validated(
            {
                "first_name": first_name,
                "last_name": last_name,
                "company": company,
                "email": email,
                "phone": phone,
                "source": source,
                "owner": owner,
            },
            region,
        )
        check_identity(*(values[k] for k in ("first_name", "last_name", "company", "email", "phone_e164")))
        with self.write(origin) as tx:
            s = tx.session
            contact = Contact(**values)
            if created_at is not None:
                contact.created_at = created_at
                contact.updated_at = created_at
            s.add(contact)
            s.flush()
            assert contact.id is not None
            log_change(tx, "contact", contact.id, "created", None, True)
            for extra in emails:
                self._add_channel(tx, contact.id, ContactChannelKind.EMAIL, extra, region)
            for extra in phones:
                self._add_channel(tx, contact.id, ContactChannelKind.PHONE, extra, region)
            tag_names = [t for t in (clean_text(t) for t in tags) if t]
            for name in tag_names:
                self._link_tag(tx, contact.id, name, emit=False)
            for key, value in (custom or {}).items():
                write_value(tx, "contact", contact.id, key, value, contact_id=contact.id)
            self._refresh_search(s, contact)
            tx.emit(ContactCreated, contact_id=contact.id)
            for name in tag_names:
                tx.emit(TagAdded, contact_id=contact.id, tag=name)
            return contact

    def _add_channel(self, tx: Tx, contact_id: int, kind: ContactChannelKind, value: str, region: str | None) -> None:
        value = clean_text(value)
        if not value:
            return
        if kind is ContactChannelKind.EMAIL:
            value = normalize_email(value)
            key = email_key(value)
        else:
            key = normalize_phone(value, region or self.region)
        tx.session.add(ContactChannel(contact_id=contact_id, kind=kind.value, value=value, key=key))
        log_change(tx, "contact", contact_id, kind.value, None, value)

    def add_contact_channel(
        self, contact_id: int, kind: str, value: str, *, label: str = "", origin: str | None = None
    ) -> None:
        """Add an extra email or phone to a contact."""
        with self.write(origin) as tx:
            contact = self._live_contact(tx.session, contact_id)
            self._add_channel(tx, contact_id, ContactChannelKind(kind), value, None)
            tx.session.flush()
            self._refresh_search(tx.session, contact)
            tx.emit(ContactUpdated, contact_id=contact_id, changed=(f"{kind}s",))

    def _live_contact(self, s: Session, contact_id: int) -> Contact:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.deleted_at is not None:
            raise missing_contact(s, contact_id, contact)
        return contact

    def _refresh_search(self, s: Session, contact: Contact) -> None:
        refresh_search(s, contact)

    def update_contact(
        self,
        contact_id: int,
        changes: Mapping[str, Any] | None = None,
        *,
        custom: Mapping[str, Any] | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        origin: str | None = None,
        region: str | None = None,
        expected_version: int | None = None,
        overwrite: Iterable[str] = (),
        **fields: Any,
    ) -> Contact:
        """Apply a change set to a contact in one transaction: `changes` ({field: new value}, or the same as
        keyword arguments), custom values by key, tags to add and remove. Only what differs from the stored
        values is written, logged and announced; an empty change set emits nothing.

        `expected_version`: the `Contact.version` the edit started from. Changes others made since merge at
        field level; a field they changed to another value raises `EditConflict` (store/versions.py) unless it is
        in `overwrite` (the user chose their value over the other)."""
        values = self._validated({**(changes or {}), **fields}, region)
        with self.write(origin) as tx:
            contact = self._live_contact(tx.session, contact_id)
            if expected_version is not None:
                mine = {k: v for k, v in values.items() if k in CONTACT_FIELDS}
                mine.update({f"custom.{k}": v for k, v in (custom or {}).items()})
                for name in overwrite:  # the user saw the other value and keeps theirs
                    mine.pop(name, None)
                stored = values_of(tx.session, "contact", contact_id) if custom else {}
                versions.check(
                    tx,
                    "contact",
                    contact_id,
                    expected_version,
                    mine,
                    lambda f: stored.get(f[7:]) if f.startswith("custom.") else getattr(contact, f),
                )
            changed = set_contact_fields(tx, contact, values)
            for key, value in (custom or {}).items():
                if write_value(tx, "contact", contact_id, key, value, contact_id=contact_id):
                    changed += (f"custom.{key}",)
            tags_changed = False
            for name in remove_tags:
                tags_changed = self._unlink_tag(tx, contact_id, name) or tags_changed
            for name in add_tags:
                tags_changed = self._link_tag(tx, contact_id, name) or tags_changed
            if not changed and not tags_changed:
                return contact
            check_identity(contact.first_name, contact.last_name, contact.company, contact.email, contact.phone_e164)
            contact.updated_at = tx.now
            self._refresh_search(tx.session, contact)
            if changed:
                tx.emit(ContactUpdated, contact_id=contact_id, changed=changed)
            return contact

    def delete_contact(self, contact_id: int, *, origin: str | None = None) -> None:
        """Soft-delete a contact and its live opportunities (restored together by `restore_contact`)."""
        with self.write(origin) as tx:
            contact = self._live_contact(tx.session, contact_id)
            now = utcnow()
            contact.deleted_at = now
            log_change(tx, "contact", contact_id, "deleted_at", None, now)
            for opp in tx.session.execute(
                select(Opportunity).where(
                    col(Opportunity.contact_id) == contact_id, col(Opportunity.deleted_at).is_(None)
                )
            ).scalars():
                opp.deleted_at = now
            tx.session.add(
                HistoryEntry(
                    contact_id=contact_id,
                    kind=HistoryKind.DELETED.value,
                    at=now,
                    actor=tx.origin,
                    text="Contact deleted",
                )
            )
            tx.emit(ContactDeleted, contact_id=contact_id)

    def restore_contact(self, contact_id: int, *, origin: str | None = None) -> Contact:
        with self.write(origin) as tx:
            contact = tx.session.get(Contact, contact_id)
            if contact is None or contact.deleted_at is None:
                raise NotFound(_("no deleted contact with id {contact_id}").format(contact_id=contact_id))
            if contact.merged_into_id is not None:
                from .errors import Conflict
                from .merge import merge_holding

                merge = merge_holding(tx.session, contact_id)
                raise Conflict(
                    _("contact {id} was merged into contact {survivor}: undo the merge instead "
                      "(`koachify duplicates undo {merge}`)").format(
                        id=contact_id, survivor=contact.merged_into_id, merge=merge.id if merge else "?"
                    )
                )  # fmt: skip
            deleted_at = contact.deleted_at
            contact.deleted_at = None
            log_change(tx, "contact", contact_id, "deleted_at", deleted_at, None)
            for opp in tx.session.execute(
                select(Opportunity).where(
                    col(Opportunity.contact_id) == contact_id, col(Opportunity.deleted_at) == deleted_at
                )
            ).scalars():
                opp.deleted_at = None
            tx.session.add(
                HistoryEntry(
                    contact_id=contact_id, kind=HistoryKind.RESTORED.value, actor=tx.origin, text="Contact restored"
                )
            )
            tx.emit(ContactRestored, contact_id=contact_id)
            return contact

    def purge_contact(self, contact_id: int) -> None:
        """Delete a contact for good, with everything attached to it (used by import undo and the Trash)."""
        with self.write() as tx:
            contact = tx.session.get(Contact, contact_id)
            if contact is None:
                raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
            from .fields import purge_values

            opp_ids = [
                o
                for o in tx.session.execute(
                    select(col(Opportunity.id)).where(col(Opportunity.contact_id) == contact_id)
                ).scalars()
            ]
            purge_values(tx.session, "opportunity", opp_ids)
            purge_values(tx.session, "contact", [contact_id])
            # Import records name the contact by id alone (no foreign key) and ids are reused: a later contact
            # must not inherit this one's "Imported from" line (timeline) nor be reverted or removed by an undo.
            tx.session.execute(delete(ImportBatchItem).where(col(ImportBatchItem.contact_id) == contact_id))
            # The same for its change log: the contact is gone for good, its id may become another's.
            tx.session.execute(delete(ChangeLog).where(col(ChangeLog.contact_id) == contact_id))
            tx.session.delete(contact)

    # --- tags ------------------------------------------------------------------------------------------

    def _tag(self, s: Session, name: str, *, create: bool) -> Tag | None:
        return lookups.tag_row(s, name, create=create)

    def _link_tag(self, tx: Tx, contact_id: int, name: str, *, emit: bool = True) -> bool:
        return link_tag(tx, contact_id, name, emit=emit)

    def add_tag(self, contact_id: int, name: str, *, origin: str | None = None) -> bool:
        """Tag a contact. Returns False (and emits nothing) when it already had the tag."""
        with self.write(origin) as tx:
            contact = self._live_contact(tx.session, contact_id)
            added = self._link_tag(tx, contact_id, name)
            if added:
                contact.updated_at = utcnow()
                self._refresh_search(tx.session, contact)
            return added

    def _unlink_tag(self, tx: Tx, contact_id: int, name: str) -> bool:
        return unlink_tag(tx, contact_id, name)

    def remove_tag(self, contact_id: int, name: str, *, origin: str | None = None) -> bool:
        """Untag a contact. Returns False when it did not have the tag."""
        with self.write(origin) as tx:
            contact = self._live_contact(tx.session, contact_id)
            if not self._unlink_tag(tx, contact_id, name):
                return False
            contact.updated_at = utcnow()
            self._refresh_search(tx.session, contact)
            return True

    def set_contact_tags(
        self, contact_id: int, *, add: Iterable[str] = (), remove: Iterable[str] = (), origin: str | None = None
    ) -> bool:
        """Add and remove tags in one transaction (the tag form's change set); True when anything changed."""
        with self.write(origin) as tx:
            before = len(tx.changes)
            self.update_contact(contact_id, add_tags=add, remove_tags=remove, origin=origin)
            return len(tx.changes) > before

    def rename_tag(self, old: str, new: str) -> None:
        with self.write() as tx:
            tag = self._tag(tx.session, old, create=False)
            if tag is None:
                raise NotFound(_("no tag {old!r}").format(old=old))
            new = clean_text(new)
            other = self._tag(tx.session, new, create=False)
            if other is not None and other.id != tag.id:
                from .errors import Conflict

                raise Conflict(_("a tag named {name!r} already exists").format(name=other.name))
            tag.name, tag.name_key = new, fold(new)
            for contact in tx.session.execute(
                select(Contact)
                .join(ContactTag, col(ContactTag.contact_id) == col(Contact.id))
                .where(col(ContactTag.tag_id) == tag.id)
            ).scalars():
                self._refresh_search(tx.session, contact)
