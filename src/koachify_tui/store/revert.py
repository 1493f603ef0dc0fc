"""Undo built on the change log: revert logged changes without ever overwriting later work.

A change is reverted only while what it wrote is still there: a field whose current value is still the one
the change set, a tag still on (or still off) the contact, an item it created still untouched. Anything else
is kept and reported with the reason. Reverting writes through the same store rules (derived columns, log
rows with cause "undo"/"import_undo", events), so an undo is itself in the log. Used by `koachify import
--undo` (the changes of a batch and of its own rule runs) and the TUI's `u` (the changes of one action)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..i18n import _
from .activity_rules import DATETIME_FIELDS, as_datetime, same_value
from .base import Tx
from .changes import CONTACT_LOGGED, Change, record
from .contacts import contact_tags, link_tag, set_contact_fields, unlink_tag
from .errors import InvalidValue, NotFound
from .events import ContactUpdated
from .fields import definition_of, write_value
from .models import (
    Appointment,
    Contact,
    ContactChannel,
    ContactTag,
    CustomFieldValue,
    HistoryEntry,
    ImportBatchItem,
    Message,
    Note,
    Opportunity,
    OpportunityTag,
    SequenceEnrollment,
    Task,
)
from .normalize import email_key, normalize_phone

#: Items a change can have created on a contact (field → model); reverting deletes them while untouched.
ITEMS: dict[str, Any] = {
    "note": Note,
    "task": Task,
    "appointment": Appointment,
    "message": Message,
    "enrollment": SequenceEnrollment,
}
ITEM_ENTITIES = ("note", "task", "appointment", "message")
OPPORTUNITY_PLAIN = ("title", "value_minor", "currency", "owner", "source", "lost_reason")
#: What a merge moves from one contact to another (entity → model): a `contact_id` change of one of these is
#: reverted by moving it back, while it is still where the change put it (store/merge.py).
MOVABLE: dict[str, Any] = {
    **ITEMS,
    "opportunity": Opportunity,
    "history": HistoryEntry,
    "import_item": ImportBatchItem,
}


@dataclass(frozen=True)
class Kept:
    """A change left in place, and why."""

    contact_id: int | None
    entity: str
    entity_id: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass
class Outcome:
    """What reverting a set of changes did."""

    reverted: int = 0
    kept: list[Kept] = field(default_factory=list)
    contacts: set[int] = field(default_factory=set)  # contacts whose fields changed (search text to refresh)
    reverted_on: set[int] = field(default_factory=set)  # contacts with at least one change reverted


def _same(a: Any, b: Any) -> bool:
    """Logged values compare with "" and None alike (an import logs an empty text as absent)."""
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None)


def _changed(tx: Tx, current: Any) -> str:
    """Why a field stays: it holds another value than the change wrote."""
    if tx.cause.kind == "import_undo":
        return _("changed after the import (now “{value}”)").format(value=_shown(current))
    return _("changed since (now “{value}”)").format(value=_shown(current))


def _shown(value: Any) -> str:
    return "" if value in (None, "") else str(value)


def revert(tx: Tx, store: Any, rows: Sequence[Change], *, later: set[tuple[Any, ...]] | None = None) -> Outcome:
    """Revert `rows` (all of one batch or one action) in `tx`, newest first per field. `later` holds
    (entity, entity_id, field, value) of set-like changes made afterwards by others: those are kept."""
    out = Outcome()
    later = later or set()
    chains: dict[tuple[str, int, str], list[Change]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        value = row.new if row.new is not None else row.old
        key = (row.entity, row.entity_id, row.field if row.field not in SET_LIKE else f"{row.field}\x1f{value}")
        chains.setdefault(key, []).append(row)
    for (entity, entity_id, _f), chain in sorted(chains.items(), key=lambda kv: -kv[1][-1].id):
        first, last = chain[0], chain[-1]
        reason = _revert_one(tx, store, entity, entity_id, last.field, first.old, last.new, later, out)
        if reason is None:
            out.reverted += 1
            if last.contact_id is not None:
                out.reverted_on.add(last.contact_id)
        elif reason:
            out.kept.append(Kept(last.contact_id, entity, entity_id, last.field, reason))
    return out


SET_LIKE = frozenset({"tag", "email", "phone", *ITEMS, "created", "opportunity", "not_duplicate"})


def _revert_one(
    tx: Tx, store: Any, entity: str, entity_id: int, name: str, old: Any, new: Any, later: set[Any], out: Outcome
) -> str | None:
    """Revert one field's chain (old → … → new). None: reverted; "": nothing left to revert; else why kept."""
    value = new if new is not None else old
    if name in SET_LIKE and (entity, entity_id, name, value) in later:
        return _("changed again since")
    if name == "contact_id" and entity in MOVABLE:
        return _revert_move(tx, entity, entity_id, old, new)
    if entity == "contact":
        return _revert_contact(tx, store, entity_id, name, old, new, out)
    if entity == "opportunity":
        return _revert_opportunity(tx, store, entity_id, name, old, new)
    if entity in ITEM_ENTITIES:
        return _revert_item(tx, store, entity, entity_id, name, old, new)
    return _("cannot be undone")


def _revert_item(tx: Tx, store: Any, kind: str, item_id: int, name: str, old: Any, new: Any) -> str | None:
    """A note's, task's, appointment's or message's field (or its deletion) back to `old`, through the same
    store calls as a hand edit, while it still holds what the change wrote."""
    item = tx.session.get(ITEMS[kind], item_id)
    if item is None:
        return ""
    if name == "deleted_at":
        if (item.deleted_at is None) == (old is None):
            return ""
        if old is None:
            store.restore_activity(kind, item_id, origin=tx.origin)
        else:
            store.delete_activity(kind, item_id, origin=tx.origin)
        return None
    if item.deleted_at is not None:
        return _("the {item} was deleted since").format(item=_(kind))
    wanted, wrote = _item_value(name, old), _item_value(name, new)
    current = getattr(item, name, None)
    if same_value(current, wanted):
        return ""
    if not same_value(current, wrote):
        return _changed(tx, current)
    store.update_activity(kind, item_id, {name: wanted}, origin=tx.origin)
    return None


def _item_value(name: str, logged: Any) -> Any:
    """A logged value as the column holds it (datetimes are logged as ISO text)."""
    return as_datetime(logged) if name in DATETIME_FIELDS else logged


def _revert_contact(tx: Tx, store: Any, cid: int, name: str, old: Any, new: Any, out: Outcome) -> str | None:
    s = tx.session
    contact = s.get(Contact, cid)
    if contact is None:
        return ""
    if name in ("email", "phone") and old is None and new is not None and _has_channel(s, cid, name, new):
        return _revert_channel(tx, cid, name, old, new, out)  # an extra email/phone added (old absent)
    if name in CONTACT_LOGGED:
        current = getattr(contact, name)
        if _same(current, old):
            return ""
        if not _same(current, new):
            return _changed(tx, current)
        values: dict[str, Any] = {name: old or ""}
        if name == "email":
            values["email_key"] = email_key(old or "")
        elif name == "phone":
            try:
                values["phone_e164"] = normalize_phone(old or "", store.region)
            except InvalidValue:
                values["phone_e164"] = None
        if set_contact_fields(tx, contact, values):
            out.contacts.add(cid)
            tx.emit(ContactUpdated, contact_id=cid, changed=(name,))
        return None
    if name == "tag":
        return _revert_tag(tx, store, contact, old, new, out)
    if name in ("email", "phone"):
        return _revert_channel(tx, cid, name, old, new, out)
    if name.startswith("custom."):
        return _revert_custom(tx, "contact", cid, cid, name, old, new)
    if name == "deleted_at":
        if (contact.deleted_at is None) == (old is None):
            return ""
        if old is None:
            store.restore_contact(cid, origin=tx.origin)
        else:
            store.delete_contact(cid, origin=tx.origin)
        return None
    if name in ITEMS and new is not None:
        return _remove_item(tx, ITEMS[name], int(new), cid, name)
    if name == "not_duplicate":  # a "not a duplicate" mark (store/duplicates.py): take it back, or put it back
        if new is not None:
            store.unignore_duplicate(cid, int(new), origin=tx.origin)
        else:
            store.ignore_duplicate(cid, int(old), origin=tx.origin)
        return None
    return _("cannot be undone")


def _revert_tag(tx: Tx, store: Any, contact: Contact, old: Any, new: Any, out: Outcome) -> str | None:
    assert contact.id is not None
    has = str(new or old) in contact_tags(tx.session, contact.id)
    if new is not None:  # the change added the tag
        if not has:
            return ""
        unlink_tag(tx, contact.id, str(new))
    else:
        if has:
            return ""
        link_tag(tx, contact.id, str(old))
    out.contacts.add(contact.id)
    return None


def _has_channel(s: Session, cid: int, kind: str, value: Any) -> bool:
    found = select(col(ContactChannel.id)).where(
        col(ContactChannel.contact_id) == cid, col(ContactChannel.kind) == kind, col(ContactChannel.value) == value
    )
    return s.execute(found).first() is not None


def _revert_channel(tx: Tx, cid: int, kind: str, old: Any, new: Any, out: Outcome) -> str | None:
    s = tx.session
    if new is None:
        return _("cannot be undone")
    row = (
        s.execute(
            select(ContactChannel).where(
                col(ContactChannel.contact_id) == cid,
                col(ContactChannel.kind) == kind,
                col(ContactChannel.value) == new,
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        return ""
    s.delete(row)
    record(tx, "contact", cid, kind, new, None)
    out.contacts.add(cid)
    return None


def _custom_now(s: Session, entity: str, entity_id: int, key: str) -> Any:
    import json

    definition = definition_of(s, entity, key)
    row = s.execute(
        select(col(CustomFieldValue.value_json)).where(
            col(CustomFieldValue.field_id) == definition.id, col(CustomFieldValue.entity_id) == entity_id
        )
    ).first()
    return json.loads(row[0]) if row else None


def _revert_custom(tx: Tx, entity: str, entity_id: int, contact_id: int, name: str, old: Any, new: Any) -> str | None:
    key = name.removeprefix("custom.")
    try:
        current = _custom_now(tx.session, entity, entity_id, key)
    except NotFound:
        return ""  # the field itself was deleted since
    if _same(current, old):
        return ""
    if not _same(current, new):
        return _changed(tx, current)
    write_value(tx, entity, entity_id, key, old, contact_id=contact_id)
    return None


def _remove_item(tx: Tx, model: Any, item_id: int, cid: int, name: str) -> str | None:
    item = tx.session.get(model, item_id)
    if item is None:
        return ""
    done = getattr(item, "done_at", None) is not None or getattr(item, "deleted_at", None) is not None
    status = getattr(item, "status", "active")
    updated, created = getattr(item, "updated_at", None), getattr(item, "created_at", None)
    if done or status != "active" or (updated is not None and created is not None and updated > created):
        return _("the {item} was worked on since").format(item=name)
    tx.session.delete(item)
    record(tx, "contact", cid, name, item_id, None)
    return None


def _revert_move(tx: Tx, entity: str, item_id: int, old: Any, new: Any) -> str | None:
    """Give an item a merge moved back to its contact, unless it was moved on since."""
    item = tx.session.get(MOVABLE[entity], item_id)
    if item is None or item.contact_id == old:
        return ""
    if item.contact_id != new:
        return _("moved to another contact since")
    item.contact_id = old
    record(tx, entity, item_id, "contact_id", new, old, contact_id=old)
    return None


def _revert_opportunity(tx: Tx, store: Any, oid: int, name: str, old: Any, new: Any) -> str | None:
    opp = tx.session.get(Opportunity, oid)
    if opp is None:
        return ""
    if name in ("stage_id", "pipeline_id"):
        if name == "pipeline_id":
            return ""  # reverted with the stage
        if opp.stage_id == old:
            return ""
        if opp.stage_id != new:
            return _("the deal was moved again since")
        from .models import Stage

        stage = tx.session.get(Stage, old)
        if stage is None:
            return _("its stage no longer exists")
        store.move_opportunity(oid, int(old), pipeline=stage.pipeline_id, origin=tx.origin)
        return None
    if name == "status":
        if opp.status == old:
            return ""
        if opp.status != new:
            return _("the status was changed again since")
        store.set_status(oid, str(old), reason=opp.lost_reason if old == "lost" else "", origin=tx.origin)
        return None
    if name in OPPORTUNITY_PLAIN:
        current = getattr(opp, name)
        if _same(current, old):
            return ""
        if not _same(current, new):
            return _changed(tx, current)
        store.update_opportunity(oid, {name: old if old is not None else ""}, origin=tx.origin)
        return None
    if name == "tag":
        linked = opp.id is not None and any(
            t == (new or old) for t in store.opportunity_tags(oid)
        )  # read inside the write: same session
        if new is not None and linked:
            store.remove_opportunity_tag(oid, str(new), origin=tx.origin)
            return None
        if new is None and not linked:
            store.add_opportunity_tag(oid, str(old), origin=tx.origin)
            return None
        return ""
    if name.startswith("custom."):
        return _revert_custom(tx, "opportunity", oid, opp.contact_id, name, old, new)
    if name == "deleted_at":
        if (opp.deleted_at is None) == (old is None):
            return ""
        if old is None:
            store.restore_opportunity(oid, origin=tx.origin)
        else:
            store.delete_opportunity(oid, origin=tx.origin)
        return None
    return _("cannot be undone")


__all__ = ["ContactTag", "Kept", "Outcome", "OpportunityTag", "revert"]
