"""The batch writer: dedupe candidates against the file and the database, then write them in bulk.

Everything happens inside the caller's single write transaction, chunk by chunk, so memory stays flat in
the file size and a crash or kill leaves nothing behind. Matching asks the database (which sees this
transaction's own rows) instead of keeping every key of the file in memory; only the current chunk's keys
are kept. On SQLite, statements go straight to the driver (executemany for inserts, one `IN (SELECT value
FROM json_each(?))` query per chunk for lookups: SQLAlchemy's expanding IN compiles a statement per call);
elsewhere they are plain Core executemany. The ORM is never used per row (~30x slower for bulk).
"""

from __future__ import annotations

import functools
import json
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring  # what json.dumps(str, ensure_ascii=False) returns, without the encoder
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from ...i18n import _
from .. import name_rank
from ..fields import coerce, field_key
from ..lookups import insert_or_get
from ..matching import Decision, Known, SharedValues, comparable_name, decide
from ..models import (
    CustomFieldDef,
    FieldEntity,
    FieldType,
    HistoryKind,
)
from ..normalize import InvalidValue, fold
from ..tables import T_CHANGE, T_CHANNEL, T_CONTACT, T_CONTACT_TAG, T_DEF, T_HISTORY, T_ITEM, T_TAG, T_VALUE
from . import changelog, fastpath
from .fastpath import fold_fast, name_key_fast
from .producer import Bulk, Chunk, bulk_layout
from .rows import Candidate, Reject, cells_of, channel_plan

SCALARS = ("first_name", "last_name", "company", "source", "owner")
SNAPSHOT = ("first_name", "last_name", "company", "email", "email_key", "phone", "phone_e164", "source", "owner")
IN_CHUNK = 900  # parameters per IN (...) list, under every database's limit
POLICIES = ("merge", "update", "skip")
UNVERIFIED = "unverified"  # the label of a phone channel libphonenumber does not call valid
KEEP_DECISIONS = 1000  # merges listed for the dry run
DEFER_MAX = 20_000  # rows held for the end of the file at most (see `BatchWriter._decide`)
_DEFERRED = object()
_UNKNOWN = Known(frozenset(), "")


def _name(c: Candidate) -> str:
    """The person (or organisation) name identity rules compare (see `matching.comparable_name`)."""
    return comparable_name(c.name_key)


def _identity(first: str, last: str, company: str) -> str:
    return f"{fold(first)}\x1f{fold(last)}\x1f{fold(company)}"


class Target:
    """A contact rows are applied to: one created by this batch or one already in the database.

    Immutable attributes default at class level, so the ~100k targets of a big file cost less to make."""

    first_name = last_name = company = source = owner = ""
    email: tuple[str, str] | None = None  # primary (address, key)
    phone: tuple[str, str] | None = None  # primary (as typed, E.164)
    before: dict[str, Any] | None = None  # state before the batch (existing contacts only), for undo
    name_key = search_text = ""  # precomputed columns, valid until a change ("": compute them)
    changed = False
    contact_changed = False
    match = _UNKNOWN  # what identity rules know of it: its email keys and folded name

    def __init__(self, id: int | None, line: int, created_here: bool) -> None:  # noqa: A002 - the column's name
        self.id = id
        self.line = line  # the line that created it or first matched it
        self.created_here = created_here
        self.emails: list[tuple[str, str]] = []  # extra channels
        self.phones: list[tuple[str, str]] = []
        self.new_emails: list[tuple[str, str]] = []  # channels to insert
        self.new_phones: list[tuple[str, str]] = []
        self.tag_ids: set[int] = set()
        self.new_tag_ids: list[int] = []
        self.custom: dict[int, str] = {}  # field id → value_json
        self.custom_changed: dict[int, str] = {}
        self.loaded_custom: set[int] = set()  # field ids with a value row in the database

    def email_keys(self) -> set[str]:
        return {k for _v, k in ([self.email] if self.email else []) + self.emails}

    def phone_keys(self) -> set[str]:
        return {k for _v, k in ([self.phone] if self.phone else []) + self.phones}

    def label(self) -> str:
        return f"#{self.id}" if self.id is not None and not self.created_here else _("line {n}").format(n=self.line)


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    warnings: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class BatchWriter:
    """Applies chunks of candidates to the database inside one transaction (see module docstring)."""

    def __init__(
        self,
        conn: Connection,
        *,
        batch_id: int,
        filename: str,
        policy: str,
        actor: str,
        now: datetime,
        on_reject: Callable[[Reject], None],
        on_warning: Callable[[int, str], None],
        manual_fts: bool = False,
        on_note: Callable[[Reject], None] | None = None,
    ) -> None:
        self.conn = conn
        self.batch_id = batch_id
        self.filename = filename
        self.policy = policy
        self.actor = actor
        self.now = now
        self._on_reject = on_reject
        self._on_warning = on_warning
        self.manual_fts = manual_fts  # FTS triggers are off: keep existing contacts' index entries ourselves
        # SQLite: raw driver statements and JSON1 (built in since 3.38 and compiled in by distributions before).
        self.fast = conn.dialect.name == "sqlite"
        # The transaction's own DBAPI connection, for statements SQLAlchemy would only wrap (SQLite only).
        self.raw: Any = conn.connection.dbapi_connection if self.fast else None
        self.counts = Counts()
        self._on_note = on_note or (lambda _note: None)
        self.shared = SharedValues()
        self.shared_numbers: dict[str, int] = {}  # phone → rows kept apart from a contact with that number
        self.placeholders: dict[str, int] = {}  # placeholder value → rows
        self.decisions: list[tuple[int, str]] = []  # (line, what the row does), the first KEEP_DECISIONS
        self.deferred: list[Candidate] = []  # rows whose merge waits for the end of the file (see `_decide`)
        self.final = False  # deciding deferred rows: merge by name-conflicting keys that are not shared
        self.timings = {"apply": 0.0, "write": 0.0}  # seconds: dedupe + apply, bulk writes
        self.now_db: Any = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.fast else now
        # Ids of the contacts created, in order. On SQLite they are assigned here: candidate i of a chunk is
        # contact next_id + i if it creates one (ids of the rows that do not are never used).
        self.created_ids = array("q")
        self._created_set: set[int] = set()  # off SQLite (ids come back from the database)
        self.first_new_id = 0
        self.next_id = 0
        if self.fast:
            self.next_id = int(conn.execute(select(func.coalesce(func.max(T_CONTACT.c.id), 0))).scalar_one()) + 1
            self.first_new_id = self.next_id
        self.touched: dict[int, dict[str, Any]] = {}  # existing contacts changed: their state before the batch
        self.tags: dict[str, tuple[int, str]] = {
            key: (tid, name) for tid, name, key in conn.execute(select(T_TAG.c.id, T_TAG.c.name, T_TAG.c.name_key))
        }
        self.tag_names = {tid: name for tid, name in self.tags.values()}
        self._tag_ids: dict[str, int] = {}  # tag as written → id, without folding it again
        self._tag_text: dict[Any, list[str]] = {}  # a contact's tag set → its folded, sorted names
        self.defs: dict[str, CustomFieldDef] = {}
        self.def_by_id: dict[int, CustomFieldDef] = {}
        for row in conn.execute(select(T_DEF).where(T_DEF.c.entity == FieldEntity.CONTACT.value)):
            definition = CustomFieldDef(**row._mapping)
            self._remember_def(definition)
        self.new_fields: list[str] = []
        self._field_cache: dict[str, CustomFieldDef] = {}
        self._field_plan: dict[str, tuple[int, CustomFieldDef | None]] = {}  # label → (id, def unless text)
        file_json = json.dumps(filename)
        # json.dumps({"batch_id", "file", "line", "action"}) of a history entry, as two constant halves.
        self._log = changelog.BatchLog(batch_id, self.now_db)
        self._history_head = f'{{"batch_id": {batch_id}, "file": {file_json}, "line": '

    def reject(self, reject: Reject) -> None:
        self.counts.rejected += 1
        self._on_reject(reject)

    def warn(self, line: int, message: str) -> None:
        self.counts.warnings += 1
        self._on_warning(line, message)

    # --- lookups -----------------------------------------------------------------------------------------

    def _remember_def(self, definition: CustomFieldDef) -> None:
        assert definition.id is not None
        self.def_by_id[definition.id] = definition
        self.defs.setdefault(definition.key, definition)
        self.defs.setdefault("label:" + fold(definition.label), definition)

    def field_for(self, label: str) -> CustomFieldDef:
        """The contact custom field a column feeds: an existing definition (by key or label) or a new text one."""
        cached = self._field_cache.get(label)
        if cached is None:
            cached = self._field_cache[label] = self._field_for(label)
        return cached

    def _plan_for(self, label: str) -> tuple[int, CustomFieldDef | None]:
        """(field id, the definition when values need `coerce`, None for text): ORM attributes cost per read."""
        plan = self._field_plan.get(label)
        if plan is None:
            definition = self.field_for(label)
            assert definition.id is not None
            plan = self._field_plan[label] = (definition.id, None if definition.type == "text" else definition)
        return plan

    def _existing_def(self, label: str) -> CustomFieldDef | None:
        key = "notes" if label == "notes" else field_key(label)
        return self.defs.get(key) or self.defs.get("label:" + fold(label))

    def _field_for(self, label: str) -> CustomFieldDef:
        key = "notes" if label == "notes" else field_key(label)
        found = self._existing_def(label)
        if found is not None:
            return found
        shown = _("Notes") if label == "notes" else label
        position = len([d for d in self.def_by_id.values()])
        values = {
            "entity": FieldEntity.CONTACT.value,
            "key": key,
            "label": shown,
            "type": FieldType.TEXT.value,
            "options_json": "[]",
            "position": position,
            "created_at": self.now,
        }
        field_id = insert_or_get(self.conn, T_DEF, values, ("entity", "key"))  # race-safe (another import)
        definition = CustomFieldDef.model_validate({"id": field_id, **values})
        self._remember_def(definition)
        self.new_fields.append(shown)
        return definition

    def tag_id(self, name: str) -> int:
        tid = self._tag_ids.get(name)
        if tid is not None:
            return tid
        key = fold(name)
        found = self.tags.get(key)
        if found is None:
            values = {"name": name, "name_key": key, "created_at": self.now}
            found = (insert_or_get(self.conn, T_TAG, values, ("name_key",)), name)  # race-safe (another import)
            self.tags[key] = found
            self.tag_names[found[0]] = name
        self._tag_ids[name] = found[0]
        return found[0]

    def _in_chunks(self, values: Iterable[Any]) -> Iterable[list[Any]]:
        items = list(values)
        if self.fast:  # one JSON array parameter: no limit on the number of values
            if items:
                yield items
            return
        for start in range(0, len(items), IN_CHUNK):
            yield items[start : start + IN_CHUNK]

    def _json_in(self, sql: str, values: list[Any] | str, *params: Any) -> Any:
        """Run SQLite `sql` whose `?1` is `values` as a JSON array (read by `IN (SELECT value FROM json_each(?1))`);
        a string is taken as the JSON already."""
        return self.raw.execute(sql, (values if isinstance(values, str) else json.dumps(values), *params))

    def _lookup(self, keys: set[str] | str, column: Any, kind: str) -> dict[str, list[int]]:
        """key → live contact ids having it as primary or extra email/phone (keys no live contact has are left
        out). On SQLite `keys` may come as a JSON array already (see `producer.Bulk`)."""
        # deleted_at is filtered in Python: in SQL, SQLite may pick the deleted_at index (a full scan) over the key's.
        found: dict[str, list[int]] = {}
        batches: Iterable[list[str] | str] = [keys] if isinstance(keys, str) else self._in_chunks(keys)
        for batch in batches:
            rows: list[Any]
            if self.fast:
                rows = list(
                    self._json_in(
                        f"SELECT id, {column.name}, deleted_at FROM contact WHERE {column.name} IN {_JSON_IN} "
                        "UNION ALL SELECT ch.contact_id, ch.key, c.deleted_at FROM contact_channel ch "
                        f"JOIN contact c ON c.id = ch.contact_id WHERE ch.kind = ?2 AND ch.key IN {_JSON_IN}",
                        batch,
                        kind,
                    )
                )
            else:
                rows = list(
                    self.conn.execute(select(T_CONTACT.c.id, column, T_CONTACT.c.deleted_at).where(column.in_(batch)))
                )
                rows += self.conn.execute(
                    select(T_CHANNEL.c.contact_id, T_CHANNEL.c.key, T_CONTACT.c.deleted_at)
                    .join(T_CONTACT, T_CONTACT.c.id == T_CHANNEL.c.contact_id)
                    .where(T_CHANNEL.c.kind == kind, T_CHANNEL.c.key.in_(batch))
                )
            for cid, key, deleted_at in rows:
                if deleted_at is None:
                    ids = found.setdefault(key, [])
                    if cid not in ids:
                        ids.append(cid)
        return found

    def _keyless_matches(self, rows: list[Candidate]) -> set[str]:
        """Identities of live contacts without email or phone that have the same name and company as a row."""
        wanted = {c.name_key for c in rows}
        found: set[str] = set()
        for chunk in self._in_chunks(wanted):
            if self.fast:
                # "+column" keeps SQLite on the name_key index (not a scan of every contact without a phone)
                result = self._json_in(
                    f"SELECT first_name, last_name, company FROM contact WHERE name_key IN {_JSON_IN} "
                    "AND +email_key IS NULL AND +phone_e164 IS NULL AND +deleted_at IS NULL",
                    chunk,
                )
            else:
                result = self.conn.execute(
                    select(T_CONTACT.c.first_name, T_CONTACT.c.last_name, T_CONTACT.c.company).where(
                        T_CONTACT.c.name_key.in_(chunk),
                        T_CONTACT.c.email_key.is_(None),
                        T_CONTACT.c.phone_e164.is_(None),
                        T_CONTACT.c.deleted_at.is_(None),
                    )
                )
            for first, last, company in result:
                found.add(_identity(first, last, company))
        return found

    def _is_created_here(self, contact_id: int) -> bool:
        return contact_id >= self.first_new_id if self.fast else contact_id in self._created_set

    # --- one chunk ---------------------------------------------------------------------------------------

    def process(self, chunk: Chunk) -> None:
        started = time.perf_counter()
        rows = chunk.candidates
        if chunk.placeholders:
            for value, n in chunk.placeholders.items():
                self.placeholders[value] = self.placeholders.get(value, 0) + n
        bulk = (chunk.bulk or bulk_layout(rows)) if self.fast else None  # SQLite: set-based writes
        # The rows to look at one by one, in file order: all of them, or with the bulk layout only those the
        # parser marked (keyless rows, keys shared within the chunk) and those whose key is in the database;
        # every other row is a new contact whose keys nothing else has (see `producer.Bulk`).
        order: Sequence[int]
        if bulk is not None:
            by_email = self._lookup(bulk.email_keys, T_CONTACT.c.email_key, "email")
            by_phone = self._lookup(bulk.phone_keys, T_CONTACT.c.phone_e164, "phone")
            slow = set(bulk.slow)
            slow.update(bulk.key_rows[key] for key in by_email)
            slow.update(bulk.key_rows[key] for key in by_phone)
            order = sorted(slow)
        else:
            by_email = self._lookup({k for c in rows for _v, k in c.emails}, T_CONTACT.c.email_key, "email")
            by_phone = self._lookup({k for c in rows for _v, k in c.phones}, T_CONTACT.c.phone_e164, "phone")
            order = range(len(rows))
        # Most rows create a contact that no later row of the chunk touches: such a row is only its position in
        # `new` (written from the chunk's bulk layout) and becomes a Target when a later row matches it.
        base = self.next_id  # on SQLite candidate i becomes contact base + i
        new: list[int] = []  # positions of the rows that create a contact, in order
        promoted: dict[int, Target] = {}  # position → Target of a new contact a later row matched
        local: dict[str, Target | int] = {}  # this chunk's keys: a Target, or the position of a new contact
        existing: dict[int, Target] = {}
        dirty: set[int] = set()  # rows whose keys changed since the bulk layout was made: written as Targets
        plan: list[tuple[Candidate, Target]] = []  # rows that matched a contact, applied after loading them
        skip = self.policy == "skip"

        def promote(position: int) -> Target:
            target = promoted.get(position)
            if target is None:
                target = promoted[position] = self._new_target(rows[position], base + position if self.fast else None)
            return target

        known_db: dict[int, Known] = {}
        matched_ids = {cid for found in (by_email, by_phone) for ids in found.values() for cid in ids}
        if matched_ids:
            known_db = self._known(matched_ids)

        def resolve(key: str, db: dict[str, list[int]], line: int) -> list[Target]:
            hit = local.get(key)
            if hit is not None:
                return [promote(hit) if isinstance(hit, int) else hit]
            out = []
            for cid in db.get(key, ()):
                target = existing.get(cid)
                if target is None:
                    target = existing[cid] = Target(cid, line, self._is_created_here(cid))
                    target.match = known_db.get(cid, _UNKNOWN)
                out.append(target)
            return out

        keyless_rows = [rows[p] for p in bulk.slow] if bulk is not None else rows
        keyless_rows = [c for c in keyless_rows if not c.emails and not c.phones]
        keyless = self._keyless_matches(keyless_rows) if keyless_rows else set()
        shared = self.shared
        for position in order:
            c = rows[position]
            if shared.shared and self._strip_shared(c, count=not self.final):  # held rows were counted
                dirty.add(position)
            emails, phones = c.emails, c.phones
            if not emails and not phones:
                # Never merged on a name; but the very same keyless contact again (a re-import) is no new one.
                identity = _identity(c.first_name, c.last_name, c.company)
                if identity in keyless:
                    self.counts.unchanged += 1
                    continue
                keyless.add(identity)
            # Most rows match nothing: check that first, with plain loops (the hot path of a big import).
            matched = False
            for _v, k in emails:
                if k in local or k in by_email:
                    matched = True
                    break
            if not matched:
                for _v, k in phones:
                    if k in local or k in by_phone:
                        matched = True
                        break
            target = None
            if matched:
                decision = self._decide(c, functools.partial(resolve, line=c.line), by_email, by_phone)
                if decision is _DEFERRED:
                    continue
                if c.loose:
                    dirty.add(position)  # a key may have turned out shared: the bulk layout no longer says it
                target = decision.target if isinstance(decision, Decision) else None
                emails, phones = c.emails, c.phones
            if target is None:
                new.append(position)
                if position in dirty:
                    promote(position)
                for _v, k in emails:
                    local[k] = position
                for _v, k in phones:
                    local[k] = position
                continue
            if skip:
                self.counts.skipped += 1
                continue
            plan.append((c, target))
            target.match = Known(target.match.email_keys.union(k for _v, k in emails), target.match.name or _name(c))
            for _v, k in emails:
                local[k] = target
            for _v, k in phones:
                local[k] = target

        if bulk is not None and len(order) < len(rows):
            marked = set(order)
            new += [position for position in range(len(rows)) if position not in marked]
            new.sort()
        self.counts.created += len(new)
        self._load(existing)
        for c, target in plan:
            if self._apply(target, c, self.policy):
                if self.policy == "update":
                    self.counts.updated += 1
                else:
                    self.counts.merged += 1
            else:
                self.counts.unchanged += 1
        applied = time.perf_counter()
        self.timings["apply"] += applied - started
        if bulk is not None:
            self.next_id += len(rows)
            self.created_ids.extend(base + position for position in new)
            self._write_new_sqlite(rows, bulk, new, promoted, base)
        else:
            self._write_new([promote(position) for position in new])
        self._write_existing([t for t in existing.values() if t.changed])
        self.timings["write"] += time.perf_counter() - applied
        if len(self.deferred) >= DEFER_MAX and not self.final:  # memory stays bounded: decide those held so far
            self._run_deferred()

    # --- identity (the rules are `store.matching`'s) ---------------------------------------------------

    def _decide(
        self,
        c: Candidate,
        resolve: Callable[[str, dict[str, list[int]]], list[Target]],
        by_email: dict[str, list[int]],
        by_phone: dict[str, list[int]],
    ) -> Decision[Target] | None | object:
        """Where row `c` goes: a Decision (target None: a contact of its own), or _DEFERRED when a merge would
        join different names by a key that may yet prove shared (decided in `finish`). A key that proves shared
        is taken off the row (kept on it as a value) and the row decided again."""
        while True:
            via_email = [(k, t) for _v, k in c.emails for t in resolve(k, by_email)]
            via_phone = [(k, t) for _v, k in c.phones for t in resolve(k, by_phone)]
            if not via_email and not via_phone:
                return None
            row = Known(frozenset(k for _v, k in c.emails), _name(c))
            decision = decide(row, via_email, via_phone, lambda t: t.match)
            target = decision.target
            for other in decision.shared_with:
                if other.match.name and row.name and other.match.name != row.name:
                    phone = next((k for k, t in via_phone if t is other), "")
                    if phone and self.shared.observe(phone, other.match.name, row.name):
                        continue
                self._flag_shared_number(c, other, via_phone)
            if (
                target is not None
                and not self.final
                and row.name
                and target.match.name
                and (row.name != target.match.name)
            ) and not self.shared.observe(decision.key, target.match.name, row.name):
                self._defer(c)
                return _DEFERRED
            if self._strip_shared(c, count=False):  # observe() counted this row
                continue  # a key is shared now: decide again without it
            if target is not None:
                self._note_decision(c, decision)
            return decision

    def _strip_shared(self, c: Candidate, *, count: bool = True) -> bool:
        """Take the shared keys off a row (its values stay, without a key); True if there were any."""
        shared = self.shared.shared
        if not shared:
            return False
        stripped = False
        for kind, pairs in (("email", c.emails), ("phone", c.phones)):
            for pair in [p for p in pairs if p[1] in shared]:
                pairs.remove(pair)
                c.loose.append((kind, pair[0]))
                if count:
                    self.shared.seen(pair[1])
                stripped = True
        return stripped

    def _defer(self, c: Candidate) -> None:
        self.deferred.append(c)

    def _run_deferred(self) -> None:
        held, self.deferred = self.deferred, []
        final, self.final = self.final, True
        try:
            if held:
                self.process(Chunk(0, 0, held, [], [], None))
        finally:
            self.final = final

    def _flag_shared_number(self, c: Candidate, other: Target, via_phone: list[tuple[str, Target]]) -> None:
        phone = next((k for k, t in via_phone if t is other), "")
        self.shared_numbers[phone] = self.shared_numbers.get(phone, 0) + 1
        message = _("shares the phone {phone} with {other}, but their emails differ: kept as two contacts").format(
            phone=phone, other=self._describe(other)
        )
        self.warn(c.line, message)
        self._on_note(Reject(c.line, message, cells_of(c)))

    def _note_decision(self, c: Candidate, decision: Decision[Target]) -> None:
        assert decision.target is not None
        if len(self.decisions) < KEEP_DECISIONS:
            by = _("email") if decision.kind == "email" else _("phone")
            self.decisions.append(
                (c.line, _("merges into {contact} (same {by} {key})").format(
                    contact=self._describe(decision.target), by=by, key=decision.key))
            )  # fmt: skip
        for other in decision.also:
            self.warn(
                c.line,
                _("also matches {other}, left as it is: merged into {contact} by {kind}").format(
                    other=self._describe(other), contact=self._describe(decision.target), kind=decision.kind
                ),
            )

    def _describe(self, t: Target) -> str:
        name = t.match.name or "?"
        if t.id is not None and not t.created_here:
            return f"{name} (#{t.id})"
        return _("{name} (new from this file)").format(name=name)

    def _known(self, ids: set[int]) -> dict[int, Known]:
        """What the identity rules need of contacts in the database: their email keys and name."""
        emails: dict[int, set[str]] = {}
        names: dict[int, str] = {}
        for chunk in self._in_chunks(ids):
            if self.fast:
                rows = self._json_in(f"SELECT id, name_key, email_key FROM contact WHERE id IN {_JSON_IN}", chunk)
                extra = self._json_in(
                    f"SELECT contact_id, key FROM contact_channel WHERE kind = 'email' AND contact_id IN {_JSON_IN}",
                    chunk,
                )
            else:
                rows = self.conn.execute(
                    select(T_CONTACT.c.id, T_CONTACT.c.name_key, T_CONTACT.c.email_key).where(T_CONTACT.c.id.in_(chunk))
                )
                extra = self.conn.execute(
                    select(T_CHANNEL.c.contact_id, T_CHANNEL.c.key).where(
                        T_CHANNEL.c.kind == "email", T_CHANNEL.c.contact_id.in_(chunk)
                    )
                )
            for cid, name_key, email_key in rows:
                names[cid] = comparable_name(name_key or "")
                if email_key:
                    emails.setdefault(cid, set()).add(email_key)
            for cid, key in extra:
                if key:
                    emails.setdefault(cid, set()).add(key)
        return {cid: Known(frozenset(emails.get(cid, ())), name) for cid, name in names.items()}

    def findings(self) -> dict[str, dict[str, int]]:
        """Values that were no identity, with the rows that carried them (for the summary and the dry run)."""
        return {
            "placeholders": dict(sorted(self.placeholders.items(), key=lambda kv: -kv[1])),
            "shared": self.shared.findings(),
            "shared_numbers": self.shared_numbers,
        }

    # --- applying a row to a contact ---------------------------------------------------------------------

    def _new_target(self, c: Candidate, id: int | None) -> Target:  # noqa: A002 - the column's name
        """A new contact from a row, as a Target (a later row of its chunk matched it): `_apply(t, c, "merge")`
        on a contact that has nothing yet (rows dedupe their own emails, phones and tags), so every value is
        taken as it is."""
        t = Target(id, c.line, True)
        t.first_name, t.last_name, t.company, t.source, t.owner = (
            c.first_name,
            c.last_name,
            c.company,
            c.source,
            c.owner,
        )
        if c.loose:
            email, phone, extra = channel_plan(c)
            t.email = (email[0], email[1] or "") if email else None
            t.phone = (phone[0], phone[1] or "") if phone else None
            t.emails = t.new_emails = [(v, k or "") for kind, v, k in extra if kind == "email"]
            t.phones = t.new_phones = [(v, k or "") for kind, v, k in extra if kind == "phone"]
        else:
            if c.emails:
                t.email = c.emails[0]
                if len(c.emails) > 1:
                    t.emails = c.emails[1:]
                    t.new_emails = c.emails[1:]
            if c.phones:
                t.phone = c.phones[0]
                if len(c.phones) > 1:
                    t.phones = c.phones[1:]
                    t.new_phones = c.phones[1:]
        t.match = Known(frozenset(k for _v, k in c.emails), _name(c))
        if c.tags:
            t.new_tag_ids = [self.tag_id(tag) for tag in c.tags]
            t.tag_ids = set(t.new_tag_ids)
        for label, raw in c.custom.items():  # the first value per field (labels may map to one field)
            encoded = self._encode_custom(c, label, raw)
            if encoded is not None and encoded[0] not in t.custom:
                t.custom[encoded[0]] = encoded[1]
        t.custom_changed = t.custom  # everything of a new contact is to be written: one dict serves both
        t.name_key, t.search_text = c.name_key, c.search_text
        t.changed = t.contact_changed = True
        return t

    def _encode_custom(self, c: Candidate, label: str, raw: str) -> tuple[int, str] | None:
        """(field id, value_json) of a row's custom value, None when empty or invalid (with a warning)."""
        field_id, definition = self._plan_for(label)
        if definition is None:  # text (cleaned by the parser): coerce() would parse the options JSON every call
            return (field_id, encode_basestring(raw)) if raw else None
        try:
            coerced: Any = coerce(definition, raw)
        except InvalidValue as exc:
            self.warn(c.line, str(exc))
            return None
        return None if coerced is None else (field_id, json.dumps(coerced, ensure_ascii=False))

    def _apply(self, t: Target, c: Candidate, policy: str) -> bool:
        """Apply a row to a contact per `policy`; True when something changed. Empty values never erase."""
        changed = False
        overwrite = policy == "update"
        for name in SCALARS:
            value = getattr(c, name)
            current = getattr(t, name)
            if not value or value == current:
                continue
            if not current or (overwrite and (name != "source" or c.source_explicit)):
                setattr(t, name, value)
                changed = t.contact_changed = True
        email_keys, phone_keys = t.email_keys(), t.phone_keys()
        for value, key in c.emails:
            if key in email_keys:
                continue
            email_keys.add(key)
            if t.email is None:
                t.email = (value, key)
                t.contact_changed = True
            else:
                t.emails.append((value, key))
                t.new_emails.append((value, key))
            changed = t.contact_changed = True  # every email is in the search text
        for typed, key in c.phones:
            if key in phone_keys:
                continue
            phone_keys.add(key)
            if t.phone is None:
                t.phone = (typed, key)
                t.contact_changed = True
            else:
                t.phones.append((typed, key))
                t.new_phones.append((typed, key))
            changed = t.contact_changed = True  # every phone is in the search text
        for kind, value in c.loose:  # kept as typed, without a key, unless the contact has it already
            current = t.email if kind == "email" else t.phone
            extra = t.emails if kind == "email" else t.phones
            if (current is not None and current[0] == value) or any(v == value for v, _k in extra):
                continue
            if current is None:
                if kind == "email":
                    t.email = (value, "")
                else:
                    t.phone = (value, "")
            else:
                extra.append((value, ""))
                (t.new_emails if kind == "email" else t.new_phones).append((value, ""))
            changed = t.contact_changed = True
        for tag in c.tags:
            tid = self.tag_id(tag)
            if tid not in t.tag_ids:
                t.tag_ids.add(tid)
                t.new_tag_ids.append(tid)
                changed = t.contact_changed = True  # tags are in the search text
        for label, raw in c.custom.items():
            encoded = self._encode_custom(c, label, raw)
            if encoded is None:
                continue
            field_id, value_json = encoded
            current_value = t.custom.get(field_id)
            if current_value == value_json or (current_value is not None and not overwrite):
                continue
            self._remember_custom_before(t, field_id, current_value)
            t.custom[field_id] = value_json
            t.custom_changed[field_id] = value_json
            changed = True
        if changed:
            t.changed = True
            t.name_key = t.search_text = ""  # no longer the row's own: computed again when written
        return changed

    def _remember_custom_before(self, t: Target, field_id: int, before: str | None) -> None:
        if t.before is not None:
            t.before.setdefault("custom_before", {}).setdefault(str(field_id), before)

    # --- reading existing contacts -----------------------------------------------------------------------

    def _load(self, targets: dict[int, Target]) -> None:
        if not targets:
            return
        columns = ("id", *SNAPSHOT)
        for chunk in self._in_chunks(list(targets)):
            if self.fast:
                contacts = self._json_in(f"SELECT {', '.join(columns)} FROM contact WHERE id IN {_JSON_IN}", chunk)
                channels = self._json_in(
                    f"SELECT contact_id, kind, value, key FROM contact_channel WHERE contact_id IN {_JSON_IN}", chunk
                )
                tags = self._json_in(
                    f"SELECT contact_id, tag_id FROM contact_tag WHERE contact_id IN {_JSON_IN}", chunk
                )
            else:
                contacts = self.conn.execute(
                    select(*(T_CONTACT.c[n] for n in columns)).where(T_CONTACT.c.id.in_(chunk))
                )
                channels = self.conn.execute(
                    select(T_CHANNEL.c.contact_id, T_CHANNEL.c.kind, T_CHANNEL.c.value, T_CHANNEL.c.key).where(
                        T_CHANNEL.c.contact_id.in_(chunk)
                    )
                )
                tags = self.conn.execute(
                    select(T_CONTACT_TAG.c.contact_id, T_CONTACT_TAG.c.tag_id).where(
                        T_CONTACT_TAG.c.contact_id.in_(chunk)
                    )
                )
            for row in contacts:
                values = dict(zip(columns, row, strict=True))
                t = targets[values["id"]]
                for name in SCALARS:
                    setattr(t, name, values[name])
                t.email = (values["email"], values["email_key"]) if values["email"] and values["email_key"] else None
                t.phone = (values["phone"], values["phone_e164"]) if values["phone_e164"] else None
                if not t.created_here:
                    t.before = {"contact": {n: values[n] for n in SNAPSHOT}, "line": t.line}
            for cid, kind, value, key in channels:
                (targets[cid].emails if kind == "email" else targets[cid].phones).append((value, key or ""))
            for cid, tid in tags:
                targets[cid].tag_ids.add(tid)
            if self.def_by_id:
                if self.fast:
                    values_rows = self._json_in(
                        "SELECT entity_id, field_id, value_json FROM custom_field_value "
                        f"WHERE entity_id IN {_JSON_IN} AND field_id IN (SELECT value FROM json_each(?2))",
                        chunk,
                        json.dumps(list(self.def_by_id)),
                    )
                else:
                    values_rows = self.conn.execute(
                        select(T_VALUE.c.entity_id, T_VALUE.c.field_id, T_VALUE.c.value_json).where(
                            T_VALUE.c.entity_id.in_(chunk), T_VALUE.c.field_id.in_(list(self.def_by_id))
                        )
                    )
                for cid, fid, value in values_rows:
                    targets[cid].custom[fid] = value
                    targets[cid].loaded_custom.add(fid)

    # --- writing -----------------------------------------------------------------------------------------

    def _bulk(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.fast:
            marks = ", ".join("?" * len(columns))
            self.raw.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)
        else:
            self.conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])

    def _haystack(self, t: Target) -> str:
        emails = [t.email[0]] if t.email is not None else []
        phones = [t.phone[1]] if t.phone is not None else []
        return fastpath.haystack_fast(
            fold_fast(f"{t.first_name} {t.last_name}"),
            t.company,
            [fold_fast(v) for v in emails + [v for v, _k in t.emails]],
            self._tags_text(t) if t.tag_ids else [],
            phones + [k for _v, k in t.phones],
        )

    def _tags_text(self, t: Target) -> list[str]:
        """The folded names of a contact's tags in name order, computed once per set of tags."""
        # A new contact's tag ids are its row's, in a stable order: a tuple of them is a cheaper key.
        key: Any = tuple(t.new_tag_ids) if len(t.new_tag_ids) == len(t.tag_ids) else frozenset(t.tag_ids)
        text = self._tag_text.get(key)
        if text is None:
            if len(self._tag_text) > 10_000:
                self._tag_text.clear()
            names = sorted((self.tag_names[i] for i in t.tag_ids), key=fold)
            text = self._tag_text[key] = [fold(n) for n in names if n]
        return text

    def _contact_values(self, t: Target) -> tuple[Any, ...]:
        email, email_k = t.email if t.email else ("", None)
        phone, e164 = t.phone if t.phone else ("", None)
        email_k, e164 = email_k or None, e164 or None  # "": a value kept without a key
        return (
            t.first_name,
            t.last_name,
            t.company,
            email,
            email_k,
            phone,
            e164,
            t.source,
            t.owner,
            t.name_key or name_key_fast(t.first_name, t.last_name, t.company),
            t.search_text or self._haystack(t),
        )

    def _history(self, t: Target, text: str, action: str) -> tuple[Any, ...]:
        data = f'{self._history_head}{t.line}, "action": {json.dumps(action)}}}'
        return (t.id, HistoryKind.IMPORT.value, self.now_db, self.actor, "", "", text, data)

    _CONTACT_COLS = (
        "first_name",
        "last_name",
        "company",
        "email",
        "email_key",
        "phone",
        "phone_e164",
        "source",
        "owner",
        "name_key",
        "search_text",
    )
    _HISTORY_COLS = ("contact_id", "kind", "at", "actor", "from_value", "to_value", "text", "data_json")

    def _write_new(self, targets: list[Target]) -> None:
        """New contacts off SQLite: their ids come back from INSERT … RETURNING."""
        if not targets:
            return
        stmt = insert(T_CONTACT).returning(T_CONTACT.c.id, sort_by_parameter_order=True)
        params = [
            {**dict(zip(self._CONTACT_COLS, self._contact_values(t), strict=True)), "created_at": self.now,
             "updated_at": self.now}
            for t in targets
        ]  # fmt: skip
        for t, new_id in zip(targets, self.conn.execute(stmt, params).scalars(), strict=True):
            t.id = int(new_id)
            self.created_ids.append(t.id)
            self._created_set.add(t.id)
        self._bulk(
            T_ITEM,
            ("batch_id", "contact_id", "action", "before_json"),
            [(self.batch_id, t.id, "created", "{}") for t in targets],
        )
        self._write_children(targets)

    def _write_new_sqlite(
        self, candidates: Sequence[Candidate], bulk: Bulk, new: list[int], promoted: dict[int, Target], base: int
    ) -> None:
        """The chunk's new contacts, candidate i as contact base + i, and what hangs off them: set-based, from
        the chunk's bulk layout (see `producer.Bulk`), skipping by position the candidates that created nothing
        or became Targets (written one by one: later rows of the chunk merged into them).

        The contact rows go through one executemany of the layout's tuples; the rest is one INSERT … SELECT per
        tag and per custom field, reading JSON arrays that were built in C by json.dumps."""
        size = len(candidates)
        if not new:
            return
        plain = [position for position in new if position not in promoted] if promoted else new
        skipped = json.dumps(sorted(set(range(size)).difference(plain))) if len(plain) < size else "[]"
        now = self.now_db  # our own timestamp string: safe to write into the statement
        contacts = bulk.contacts if len(plain) == size else [bulk.contacts[position] for position in plain]
        marks = ", ".join("?" * len(self._CONTACT_COLS))
        self.raw.executemany(
            f"INSERT INTO contact (id, {', '.join(self._CONTACT_COLS)}, created_at, updated_at) "
            f"VALUES ({int(base)} + ?, {marks}, '{now}', '{now}')",
            contacts,
        )
        raw = self.raw
        not_skipped = "NOT IN (SELECT value FROM json_each(?3))"
        for tag, positions in bulk.tags.items():
            raw.execute(
                f"INSERT INTO contact_tag (contact_id, tag_id) SELECT ?1 + value, ?2 FROM json_each(?4) "
                f"WHERE value {not_skipped}",
                (base, self.tag_id(tag), skipped, positions),
            )
        typed = []  # labels of fields that are not text (a number, a date…): values coerced one by one
        for label, column in bulk.custom.items():
            field_id, definition = self._plan_for(label)
            if definition is not None:
                typed.append(label)
                continue
            raw.execute(
                "INSERT INTO custom_field_value (field_id, entity_id, value_json) SELECT ?1, ?2 + key, value "
                f"FROM json_each(?4) WHERE type = 'text' AND key {not_skipped}",
                (field_id, base, skipped, column),
            )
        plain_set = set(plain) if len(plain) < size else None
        channels: list[tuple[Any, ...]] = []
        for position in bulk.extra_channels:
            if plain_set is None or position in plain_set:
                c, cid = candidates[position], base + position
                if c.loose:
                    channels += [(cid, kind, v, k, "" if k or kind == "email" else UNVERIFIED)
                                 for kind, v, k in channel_plan(c)[2]]  # fmt: skip
                else:
                    channels += [(cid, "email", v, k, "") for v, k in c.emails[1:]]
                    channels += [(cid, "phone", v, k, "") for v, k in c.phones[1:]]
        self._bulk(T_CHANNEL, ("contact_id", "kind", "value", "key", "label"), channels)
        if typed:
            values = []
            for position in plain:
                c = candidates[position]
                for label in typed:
                    raw_value = c.custom.get(label)
                    encoded = self._encode_custom(c, label, raw_value) if raw_value else None
                    if encoded is not None:
                        values.append((encoded[0], base + position, encoded[1]))
            self._bulk(T_VALUE, ("field_id", "entity_id", "value_json"), values)
        if promoted:
            targets = [promoted[position] for position in new if position in promoted]
            self._bulk(
                T_CONTACT,
                ("id", *self._CONTACT_COLS, "created_at", "updated_at"),
                [(t.id, *self._contact_values(t), now, now) for t in targets],
            )
            self._write_children(targets)
        raw.execute(  # the undo records: every new contact of the chunk, in id order
            "INSERT INTO import_batch_item (batch_id, contact_id, action, before_json) "
            "SELECT ?, id, 'created', '{}' FROM contact WHERE id >= ? AND id < ? ORDER BY id",
            (self.batch_id, base, base + size),
        )
        self._index_new(base, base + size)

    def _index_new(self, start: int, stop: int) -> None:
        """Queue the new contacts with ids in [start, stop) for their rank in the name order, as the insert
        trigger does when on (see `runner._sqlite_bulk_mode`): the import ranks and indexes them all at its end
        (`name_rank.rank_pending`), in rank order."""
        if self.manual_fts:
            self.raw.execute(
                "INSERT OR IGNORE INTO contact_unranked(id) SELECT id FROM contact WHERE id >= ? AND id < ?",
                (start, stop),
            )

    def _write_children(self, targets: list[Target]) -> None:
        """Channels, tags and custom values a batch of contacts gained."""
        channels: list[tuple[Any, ...]] = []
        tags: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        for t in targets:
            cid = t.id
            if t.new_emails:
                channels += [(cid, "email", v, k or None, "") for v, k in t.new_emails]
            if t.new_phones:
                channels += [(cid, "phone", v, k or None, "" if k else UNVERIFIED) for v, k in t.new_phones]
            if t.new_tag_ids:
                tags += [(cid, tid) for tid in t.new_tag_ids]
            if t.custom_changed:
                values += [(fid, cid, v) for fid, v in t.custom_changed.items()]
        self._bulk(T_CHANNEL, ("contact_id", "kind", "value", "key", "label"), channels)
        self._bulk(T_CONTACT_TAG, ("contact_id", "tag_id"), tags)
        self._bulk(T_VALUE, ("field_id", "entity_id", "value_json"), values)

    def _write_existing(self, targets: list[Target]) -> None:
        if not targets:
            return
        history: list[tuple[Any, ...]] = []
        contact_rows = []
        logged: list[tuple[Any, ...]] = []
        for t in targets:
            assert t.id is not None
            if t.before is not None:
                logged += self._log.changes_of(t, self.tag_names, self.def_by_id)
                before = self.touched.get(t.id)
                if before is None:  # first change in this batch: keep the state it started from
                    before = self.touched[t.id] = t.before
                    text = _("Updated from {file}").format(file=self.filename)
                    history.append(self._history(t, text, self.policy))
                else:
                    for fid, value in t.before.get("custom_before", {}).items():
                        before.setdefault("custom_before", {}).setdefault(fid, value)
                before.setdefault("channels_added", []).extend(
                    [["email", k] for _v, k in t.new_emails] + [["phone", k] for _v, k in t.new_phones]
                )
                before.setdefault("tags_added", []).extend(t.new_tag_ids)
            if t.contact_changed:
                row = dict(zip(self._CONTACT_COLS, self._contact_values(t), strict=True))
                row["_id"], row["updated_at"] = t.id, self.now
                contact_rows.append(row)
        if contact_rows:
            # Contacts from before the batch are in the search index: out of it until ranked again at the end,
            # like the update triggers do (earlier chunks' new contacts wait already: see `_index_new`).
            if self.manual_fts:
                name_rank.unrank(self.conn, [r["_id"] for r in contact_rows])
            stmt = (
                update(T_CONTACT)
                .where(T_CONTACT.c.id == bindparam("_id"))
                .values({n: bindparam(n) for n in (*self._CONTACT_COLS, "updated_at")})
            )
            self.conn.execute(stmt, contact_rows)
        # Custom values: rows that exist are updated, the others inserted.
        new_values: list[Target] = []
        updates = []
        for t in targets:
            fresh = {}
            for fid, value in t.custom_changed.items():
                if fid in t.loaded_custom:
                    updates.append({"_f": fid, "_e": t.id, "value_json": value})
                else:
                    fresh[fid] = value
            t.custom_changed = fresh
            new_values.append(t)
        if updates:
            self.conn.execute(
                update(T_VALUE)
                .where(T_VALUE.c.field_id == bindparam("_f"), T_VALUE.c.entity_id == bindparam("_e"))
                .values(value_json=bindparam("value_json")),
                updates,
            )
        self._write_children(new_values)
        self._bulk(T_HISTORY, self._HISTORY_COLS, history)
        self._bulk(T_CHANGE, changelog.COLUMNS, logged)

    def finish(self) -> int:
        """Decide the rows held back (see `_decide`), take the keys found shared off the contacts this batch
        created, and write the undo records of existing contacts this batch changed; returns how many."""
        started = time.perf_counter()
        self._run_deferred()
        self._unkey_shared()
        self.timings["apply"] += time.perf_counter() - started
        items = [
            (self.batch_id, cid, self.policy if self.policy == "update" else "merged", json.dumps(before, default=str))
            for cid, before in self.touched.items()
        ]
        self._bulk(T_ITEM, ("batch_id", "contact_id", "action", "before_json"), items)
        return len(items)

    def _unkey_shared(self) -> None:
        """A shared value stays on the contacts this batch created, as a value: it is no key (see matching)."""
        shared = sorted(self.shared.shared)
        if not shared:
            return
        created = select(T_ITEM.c.contact_id).where(T_ITEM.c.batch_id == self.batch_id, T_ITEM.c.action == "created")
        for kind, column in (("email", T_CONTACT.c.email_key), ("phone", T_CONTACT.c.phone_e164)):
            keys = [k for k in shared if ("@" in k) == (kind == "email")]
            if keys:
                self.conn.execute(update(T_CONTACT).where(column.in_(keys), T_CONTACT.c.id.in_(created)).values({
                    column.name: None}))  # fmt: skip
                self.conn.execute(
                    update(T_CHANNEL)
                    .where(T_CHANNEL.c.kind == kind, T_CHANNEL.c.key.in_(keys), T_CHANNEL.c.contact_id.in_(created))
                    .values(key=None)
                )

    def created_contact_ids(self) -> Iterable[int]:
        return self.created_ids

    def updated_contact_ids(self) -> list[int]:
        return list(self.touched)


_JSON_IN = "(SELECT value FROM json_each(?1))"
