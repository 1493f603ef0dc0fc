"""Merging duplicate contacts into one survivor, and undoing a merge, both from the change log.

A merge is one transaction: the survivor takes the chosen field and custom values (non-empty beats empty), the
union of the tags, the others' emails and phones as extra channels, and every deal, note, task, appointment,
message, sequence enrolment, import link and deal history line of the others. The others are kept, hidden:
soft-deleted and `merged_into_id` = the survivor (lists, search, exports and the Trash skip them; only the undo
brings them back). Every change is logged with cause "merge" and the merge's id, so `undo_merge` reverts exactly
what the merge did through store/revert.py — a field edited since stays and is reported, an item added to the
survivor since stays on it — and gives the others back as they were. One `ContactsMerged` event after commit
(`ContactsUnmerged` for the undo)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase, Tx
from .changes import Cause, Change, changes_of
from .changes import record as log_change
from .changes_api import later_than
from .contacts import CONTACT_FIELDS, contact_tags, link_tag, refresh_search, set_contact_fields
from .duplicate_types import MergeResult, MergeUndoResult
from .errors import Conflict, InvalidValue, NotFound
from .events import ContactsMerged, ContactsUnmerged
from .fields import definition_of, values_of, write_value
from .models import (
    Appointment,
    Contact,
    ContactChannel,
    ContactMerge,
    HistoryEntry,
    HistoryKind,
    ImportBatchItem,
    Message,
    Note,
    Opportunity,
    SequenceEnrollment,
    Task,
)
from .normalize import check_identity, fold
from .revert import Kept, revert

#: What moves to the survivor (change-log entity → model), in this order; deal history lines move too.
MOVED: dict[str, Any] = {
    "opportunity": Opportunity,
    "note": Note,
    "task": Task,
    "appointment": Appointment,
    "message": Message,
    "enrollment": SequenceEnrollment,
    "import_item": ImportBatchItem,
}
#: Items written on a deal: they go back with the deal when the undo gives it back to its contact.
ON_DEALS: dict[str, Any] = {"note": Note, "task": Task, "appointment": Appointment, "message": Message,
                            "history": HistoryEntry, "enrollment": SequenceEnrollment}  # fmt: skip
#: Merge log rows the undo handles itself (entity, field); the rest goes through revert().
_OWN = {("contact", "deleted_at"), ("contact", "merged_into_id"), ("contact", "last_activity_at"),
        ("contact", "history"), ("enrollment", "status")}  # fmt: skip
ACTIVE, CANCELLED = "active", "cancelled"


def merged_ids(merge: ContactMerge) -> tuple[int, ...]:
    return tuple(int(i) for i in json.loads(merge.merged_ids_json))


def merge_holding(s: Session, contact_id: int) -> ContactMerge | None:
    """The live (not undone) merge that merged `contact_id` away, if any."""
    contact = s.get(Contact, contact_id)
    if contact is None or contact.merged_into_id is None:
        return None
    merges: list[ContactMerge] = list(
        s.execute(
            select(ContactMerge)
            .where(col(ContactMerge.survivor_id) == contact.merged_into_id, col(ContactMerge.undone_at).is_(None))
            .order_by(col(ContactMerge.id).desc())
        ).scalars()
    )
    return next((m for m in merges if contact_id in merged_ids(m)), None)


def _empty(value: Any) -> bool:
    return value in (None, "", [])


def _pick(order: Sequence[int], values: Mapping[int, Any], wanted: int | None) -> int | None:
    """Whose value survives: the preferred contact's, else the first non-empty (the survivor comes first)."""
    if wanted is not None:
        return wanted
    return next((cid for cid in order if not _empty(values.get(cid))), None)


@dataclass
class _Merge:
    """One merge in progress: its transaction, contacts and what it did so far."""

    tx: Tx
    survivor: Contact
    others: list[Contact]
    prefer: dict[str, int]
    moved: Counter[str]
    fields: dict[str, int]

    @property
    def sid(self) -> int:
        assert self.survivor.id is not None
        return self.survivor.id

    @property
    def order(self) -> list[int]:
        return [self.sid, *(o.id or 0 for o in self.others)]

    @property
    def other_ids(self) -> list[int]:
        return [o.id or 0 for o in self.others]


class MergeAPI(StoreBase):
    """Merging duplicates and undoing merges."""

    def merge_contacts(
        self,
        survivor_id: int,
        other_ids: Sequence[int],
        *,
        prefer: Mapping[str, int] | None = None,
        origin: str | None = None,
    ) -> MergeResult:
        """Merge `other_ids` into `survivor_id` in one transaction (see the module docstring). `prefer` maps a
        field (first_name … owner, `custom.<key>`) to the contact whose value survives. Refused (nothing
        written): fewer than two contacts, the survivor among the others, unknown, deleted or merged ids."""
        others = _checked_ids(survivor_id, other_ids)
        with self.write(origin) as tx:
            s = tx.session
            survivor = _mergeable(s, survivor_id)
            work = _Merge(tx, survivor, [_mergeable(s, i) for i in others], {}, Counter(), {})
            work.prefer = _checked_prefer(s, prefer or {}, work.order)
            merge = ContactMerge(survivor_id=survivor_id, merged_ids_json=json.dumps(others), txn=tx.txn,
                                 created_at=tx.now)  # fmt: skip
            s.add(merge)
            s.flush()
            assert merge.id is not None
            outer, tx.cause = tx.cause, Cause("merge", merge.id)
            try:
                _apply(work)
            finally:
                tx.cause = outer
            tx.emit(ContactsMerged, contact_id=survivor_id, survivor_id=survivor_id, merged_ids=tuple(others),
                    merge_id=merge.id)  # fmt: skip
            return MergeResult(merge.id, survivor_id, tuple(others), tx.txn, dict(work.moved), dict(work.fields))

    def undo_merge(self, merge_id: int, *, origin: str | None = None) -> MergeUndoResult:
        """Give back the contacts a merge merged away, as they were, with every item it moved; the survivor
        gets back its own values. What was changed since on a value the merge decided stays (in `kept`);
        items added to the survivor since stay on it. A second undo is refused."""
        with self.read() as s:
            merge = _merge_row(s, merge_id)
            rows = [r for r in changes_of(s, txn=merge.txn) if r.cause == "merge" and r.cause_id == merge_id]
        first = min((r.id for r in rows), default=0)
        with self.write(origin, cause=Cause("undo", first)) as tx:
            s = tx.session
            merge = _merge_row(s, merge_id)  # again under the write lock: two undos cannot both pass
            survivor, others = _undoable(s, merge)
            generic = [r for r in rows if (r.entity, r.field) not in _OWN]
            outcome = revert(tx, self, generic, later=later_than(s, rows, first) if rows else set())
            kept = list(outcome.kept)
            _follow_deals(tx, [r for r in generic if r.entity == "opportunity" and r.field == "contact_id"])
            _undo_own(tx, survivor, [r for r in rows if (r.entity, r.field) in _OWN], kept)
            merge.undone_at, merge.undo_txn = tx.now, tx.txn
            survivor.updated_at = tx.now
            for contact in (survivor, *others):
                refresh_search(s, contact)
            restored = tuple(o.id or 0 for o in others)
            tx.emit(ContactsUnmerged, contact_id=merge.survivor_id, survivor_id=merge.survivor_id,
                    restored_ids=restored, merge_id=merge_id)  # fmt: skip
            return MergeUndoResult(merge_id, merge.survivor_id, restored, tuple(kept))

    def get_merge(self, merge_id: int) -> ContactMerge:
        """One merge (`undone_at` set once undone); NotFound for an unknown id."""
        with self.read() as s:
            return _merge_row(s, merge_id, live=False)

    def merges_of(self, contact_id: int) -> list[ContactMerge]:
        """The merges a contact took part in (as survivor or merged away), newest first, undone ones included."""
        with self.read() as s:
            rows = s.execute(
                select(ContactMerge)
                .where(
                    or_(
                        col(ContactMerge.survivor_id) == contact_id,
                        col(ContactMerge.merged_ids_json).contains(str(contact_id)),
                    )
                )
                .order_by(col(ContactMerge.id).desc())
            ).scalars()
            return [m for m in rows if m.survivor_id == contact_id or contact_id in merged_ids(m)]


# --- checks -------------------------------------------------------------------------------------------------


def _checked_ids(survivor_id: int, other_ids: Sequence[int]) -> list[int]:
    others = list(dict.fromkeys(int(i) for i in other_ids))
    if survivor_id in others:
        raise InvalidValue(_("contact {id} cannot be merged into itself").format(id=survivor_id))
    if not others:
        raise InvalidValue(_("a merge needs at least two contacts"))
    return others


def _mergeable(s: Session, contact_id: int) -> Contact:
    # Locked on PostgreSQL until the commit: a second merge of the same contact waits, then sees it merged.
    contact = s.get(Contact, contact_id, with_for_update=True)
    if contact is not None and contact.merged_into_id is not None:
        raise Conflict(
            _("contact {id} was already merged into contact {survivor}").format(
                id=contact_id, survivor=contact.merged_into_id
            )
        )
    if contact is None or contact.deleted_at is not None:
        raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
    return contact


def _checked_prefer(s: Session, prefer: Mapping[str, int], ids: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, cid in prefer.items():
        if name.startswith("custom."):
            definition_of(s, "contact", name.removeprefix("custom."))  # NotFound names the unknown key
        elif name not in CONTACT_FIELDS:
            raise InvalidValue(
                _("unknown contact field {key!r} (use: {choices}, custom.<key>)").format(
                    key=name, choices=", ".join(CONTACT_FIELDS)
                )
            )
        if cid not in ids:
            raise InvalidValue(_("{field}: contact {id} is not one of the contacts merged").format(field=name, id=cid))
        out[name] = cid
    return out


def _merge_row(s: Session, merge_id: int, *, live: bool = True) -> ContactMerge:
    merge = s.get(ContactMerge, merge_id, with_for_update=live)
    if merge is None:
        raise NotFound(_("no merge {id}").format(id=merge_id))
    if live and merge.undone_at is not None:
        raise Conflict(_("merge {id} was already undone").format(id=merge_id))
    return merge


def _undoable(s: Session, merge: ContactMerge) -> tuple[Contact, list[Contact]]:
    survivor = s.get(Contact, merge.survivor_id)
    if survivor is None:
        raise Conflict(
            _("contact {id}, the survivor of merge {merge}, was deleted for good").format(
                id=merge.survivor_id, merge=merge.id
            )
        )
    if survivor.deleted_at is not None and survivor.merged_into_id is None:
        # Its deals went to the Trash with it: given back now they would stay there with the other contact.
        raise Conflict(
            _("contact {id}, the survivor of merge {merge}, is in the Trash: restore it first").format(
                id=merge.survivor_id, merge=merge.id
            )
        )
    if survivor.merged_into_id is not None:
        later = merge_holding(s, merge.survivor_id)
        raise Conflict(
            _("contact {id} was merged into contact {other} since: undo that merge ({merge}) first").format(
                id=merge.survivor_id, other=survivor.merged_into_id, merge=later.id if later else "?"
            )
        )
    others = []
    for cid in merged_ids(merge):
        other = s.get(Contact, cid)
        if other is None or other.merged_into_id != merge.survivor_id:
            raise Conflict(_("contact {id} of merge {merge} no longer exists").format(id=cid, merge=merge.id))
        others.append(other)
    return survivor, others


# --- merging ------------------------------------------------------------------------------------------------


def _apply(work: _Merge) -> None:
    survivor = work.survivor
    before = {name: getattr(survivor, name) for name in ("email", "email_key", "phone", "phone_e164")}
    _merge_fields(work)
    _merge_custom(work)
    _merge_tags(work)
    _merge_channels(work, before)
    _move_items(work)
    _retire(work)
    check_identity(survivor.first_name, survivor.last_name, survivor.company, survivor.email, survivor.phone_e164)
    survivor.updated_at = work.tx.now
    refresh_search(work.tx.session, survivor)


def _merge_fields(work: _Merge) -> None:
    contacts = {c.id or 0: c for c in (work.survivor, *work.others)}
    derived = {"email": "email_key", "phone": "phone_e164"}
    values: dict[str, Any] = {}
    for name in CONTACT_FIELDS:
        source = _pick(work.order, {cid: getattr(c, name) for cid, c in contacts.items()}, work.prefer.get(name))
        if source is None:
            continue
        chosen = contacts[source]
        if not _empty(getattr(chosen, name)):
            work.fields[name] = source
        values[name] = getattr(chosen, name)
        if name in derived:
            values[derived[name]] = getattr(chosen, derived[name])
    set_contact_fields(work.tx, work.survivor, values)


def _merge_custom(work: _Merge) -> None:
    s = work.tx.session
    per_contact = {cid: values_of(s, "contact", cid) for cid in work.order}
    keys = [k for values in per_contact.values() for k in values]
    keys += [n.removeprefix("custom.") for n in work.prefer if n.startswith("custom.")]
    for key in dict.fromkeys(keys):
        name = f"custom.{key}"
        source = _pick(work.order, {cid: v.get(key) for cid, v in per_contact.items()}, work.prefer.get(name))
        if source is None:
            continue
        value = per_contact[source].get(key)
        if not _empty(value):
            work.fields[name] = source
        if write_value(work.tx, "contact", work.sid, key, value, contact_id=work.sid):
            work.moved["custom"] += 1


def _merge_tags(work: _Merge) -> None:
    s = work.tx.session
    have = {fold(t) for t in contact_tags(s, work.sid)}
    for other in work.other_ids:
        for tag in contact_tags(s, other):
            if fold(tag) not in have and link_tag(work.tx, work.sid, tag, emit=False):
                have.add(fold(tag))
                work.moved["tag"] += 1


def _merge_channels(work: _Merge, before: Mapping[str, Any]) -> None:
    """Every email and phone of the contacts that the survivor does not have yet becomes an extra one of it
    (its own former primary too, when another's was chosen)."""
    s, survivor = work.tx.session, work.survivor
    have = {_ident("email", survivor.email, survivor.email_key), _ident("phone", survivor.phone, survivor.phone_e164)}
    candidates: list[tuple[str, str, str | None, str]] = [
        ("email", before["email"], before["email_key"], ""),
        ("phone", before["phone"], before["phone_e164"], ""),
    ]
    for other in work.others:
        candidates += [("email", other.email, other.email_key, ""), ("phone", other.phone, other.phone_e164, "")]
    for cid in work.order:
        for channel in s.execute(select(ContactChannel).where(col(ContactChannel.contact_id) == cid)).scalars():
            if cid == work.sid:
                have.add(_ident(channel.kind, channel.value, channel.key))
            else:
                candidates.append((channel.kind, channel.value, channel.key, channel.label))
    for kind, value, key, label in candidates:
        ident = _ident(kind, value, key)
        if not value or ident in have:
            continue
        have.add(ident)
        s.add(ContactChannel(contact_id=work.sid, kind=kind, value=value, key=key, label=label))
        log_change(work.tx, "contact", work.sid, kind, None, value)
        work.moved[kind] += 1
    s.flush()


def _ident(kind: str, value: str, key: str | None) -> tuple[str, str]:
    """What makes two emails or phones the same: the match key, else the folded text or the digits."""
    if key:
        return kind, key
    return kind, fold(value) if kind == "email" else "".join(ch for ch in value if ch.isdigit() or ch == "+")


def _move_items(work: _Merge) -> None:
    tx, sid = work.tx, work.sid
    s = tx.session
    active = set(
        s.execute(
            select(col(SequenceEnrollment.sequence_id)).where(
                col(SequenceEnrollment.contact_id) == sid, col(SequenceEnrollment.status) == ACTIVE
            )
        ).scalars()
    )
    deals: list[int] = []
    for entity, model in MOVED.items():
        stmt = select(model).where(col(model.contact_id).in_(work.other_ids)).order_by(col(model.id))
        for item in s.execute(stmt).scalars():
            log_change(tx, entity, item.id, "contact_id", item.contact_id, sid, contact_id=sid)
            item.contact_id = sid
            work.moved[entity] += 1
            if entity == "opportunity":
                deals.append(item.id)
            elif entity == "enrollment" and item.status == ACTIVE:
                if item.sequence_id in active:  # enrolled twice now: one run of the sequence, not two
                    _cancel(tx, item)
                active.add(item.sequence_id)
    lines = select(HistoryEntry).where(col(HistoryEntry.contact_id).in_(work.other_ids),
                                       col(HistoryEntry.opportunity_id).in_(deals))  # fmt: skip
    for line in s.execute(lines.order_by(col(HistoryEntry.id))).scalars():
        log_change(tx, "history", line.id or 0, "contact_id", line.contact_id, sid, contact_id=sid)
        line.contact_id = sid
    latest = [c.last_activity_at for c in (work.survivor, *work.others) if c.last_activity_at is not None]
    if latest and max(latest) != work.survivor.last_activity_at:
        log_change(tx, "contact", sid, "last_activity_at", work.survivor.last_activity_at, max(latest))
        work.survivor.last_activity_at = max(latest)


def _cancel(tx: Tx, item: SequenceEnrollment) -> None:
    when = (("next_due_at", item.next_due_at), ("ended_at", item.ended_at))
    before = {k: v.isoformat() if v else None for k, v in when}
    log_change(tx, "enrollment", item.id or 0, "status", ACTIVE, {"status": CANCELLED, **before},
               contact_id=item.contact_id)  # fmt: skip
    item.status, item.ended_at, item.next_due_at = CANCELLED, tx.now, None


def _retire(work: _Merge) -> None:
    """Hide the others (kept for the undo) and put the timeline line(s) on the survivor."""
    tx, s = work.tx, work.tx.session
    cause_id = tx.cause.id
    for other in work.others:
        line = HistoryEntry(contact_id=work.sid, kind=HistoryKind.MERGED.value, at=tx.now, actor=tx.origin,
                            text=f"Merged with {other.display_name} (#{other.id})",
                            data_json=json.dumps({"merge_id": cause_id, "merged_id": other.id}))  # fmt: skip
        s.add(line)
        s.flush()
        log_change(tx, "contact", work.sid, "history", None, line.id)
        log_change(tx, "contact", other.id or 0, "deleted_at", None, tx.now)
        log_change(tx, "contact", other.id or 0, "merged_into_id", None, work.sid)
        other.deleted_at, other.merged_into_id = tx.now, work.sid


# --- undoing ------------------------------------------------------------------------------------------------


def _follow_deals(tx: Tx, moves: list[Change]) -> None:
    """Items written on a deal since the merge follow it back to its contact (an item on a deal belongs to
    the deal's contact)."""
    s = tx.session
    for row in moves:
        deal = s.get(Opportunity, row.entity_id)
        if deal is None or deal.contact_id != row.old:
            continue
        for entity, model in ON_DEALS.items():
            stmt = select(model).where(col(model.opportunity_id) == deal.id, col(model.contact_id) != deal.contact_id)
            for item in s.execute(stmt).scalars():
                log_change(tx, entity, item.id or 0, "contact_id", item.contact_id, deal.contact_id,
                           contact_id=deal.contact_id)  # fmt: skip
                item.contact_id = deal.contact_id


def _undo_own(tx: Tx, survivor: Contact, rows: list[Change], kept: list[Kept]) -> None:
    s = tx.session
    for row in sorted(rows, key=lambda r: -r.id):
        if row.entity == "enrollment":
            _reactivate(tx, row, kept)
        elif row.field == "history":
            line = s.get(HistoryEntry, row.new)
            if line is not None:
                s.delete(line)
                log_change(tx, "contact", row.entity_id, "history", row.new, None)
        elif row.field == "last_activity_at":
            if survivor.last_activity_at is not None and survivor.last_activity_at.isoformat() == row.new:
                survivor.last_activity_at = datetime.fromisoformat(row.old) if row.old else None
                log_change(tx, "contact", row.entity_id, "last_activity_at", row.new, survivor.last_activity_at)
        else:  # deleted_at / merged_into_id of a contact merged away: live again
            other = s.get(Contact, row.entity_id)
            assert other is not None
            log_change(tx, "contact", row.entity_id, row.field, getattr(other, row.field), None)
            setattr(other, row.field, None)


def _reactivate(tx: Tx, row: Change, kept: list[Kept]) -> None:
    item = tx.session.get(SequenceEnrollment, row.entity_id)
    if item is None:
        return
    if item.status != CANCELLED:
        kept.append(Kept(item.contact_id, "enrollment", row.entity_id, "status", _("changed since")))
        return
    before = row.new
    log_change(tx, "enrollment", row.entity_id, "status", row.new, ACTIVE, contact_id=item.contact_id)
    item.status = ACTIVE
    item.ended_at = datetime.fromisoformat(before["ended_at"]) if before.get("ended_at") else None
    item.next_due_at = datetime.fromisoformat(before["next_due_at"]) if before.get("next_due_at") else None
