"""`store.merge_preview(ids)`: what merging some contacts would decide, field by field, before anything is written.

Read-only. The Duplicates screen shows it side by side: each field's value per contact, whether they conflict,
which value survives by default (the survivor's, unless it is empty: non-empty beats empty), and how much hangs
on each contact (deals, notes, tasks, appointments, messages, tags, when it was created and last active). The
picks the user makes on top of it are what `store.merge_contacts(..., prefer=...)` receives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase
from .contacts import CONTACT_FIELDS, contact_tags
from .errors import InvalidValue, NotFound
from .fields import values_of
from .models import (
    Appointment,
    Contact,
    ContactChannel,
    CustomFieldDef,
    FieldEntity,
    HistoryEntry,
    Message,
    Note,
    Opportunity,
    Task,
)

CUSTOM_PREFIX = "custom."


def field_labels() -> dict[str, str]:
    """The built-in fields' names in the current language."""
    return {
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "company": _("Company"),
        "email": _("Email"),
        "phone": _("Phone"),
        "source": _("Source"),
        "owner": _("Owner"),
    }


@dataclass(frozen=True, slots=True)
class FieldPreview:
    """One field across the contacts: `values[i]` belongs to `MergePreview.contact_ids[i]` ("" when empty)."""

    key: str  # "first_name" … or "custom.<key>": the key `merge_contacts(prefer=…)` takes
    label: str
    values: tuple[str, ...]
    conflict: bool  # two or more different non-empty values: the user may pick which one survives

    def default_index(self, survivor_index: int = 0) -> int:
        """Whose value survives unless the user picks: the survivor's when it has one, else the first non-empty
        one in the preview's order (non-empty beats empty)."""
        if self.values[survivor_index]:
            return survivor_index
        return next((i for i, value in enumerate(self.values) if value), survivor_index)


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """What hangs on one of the contacts: counted, so the user sees which record carries the history."""

    contact_id: int
    display_name: str
    deals: int
    notes: int
    tasks: int
    appointments: int
    messages: int
    tags: tuple[str, ...]
    extra_emails: tuple[str, ...]
    extra_phones: tuple[str, ...]
    created_at: datetime
    last_activity_at: datetime | None

    @property
    def items(self) -> int:
        """Everything a merge would move: deals and activities."""
        return self.deals + self.notes + self.tasks + self.appointments + self.messages


@dataclass(frozen=True, slots=True)
class MergePreview:
    """The side-by-side of contacts about to be merged; `contact_ids[0]` is the default survivor."""

    contact_ids: tuple[int, ...]
    fields: tuple[FieldPreview, ...]
    contacts: tuple[ContactSummary, ...]

    def index_of(self, contact_id: int) -> int:
        return self.contact_ids.index(contact_id)

    def summary(self, contact_id: int) -> ContactSummary:
        return self.contacts[self.index_of(contact_id)]

    @property
    def conflicts(self) -> tuple[FieldPreview, ...]:
        return tuple(f for f in self.fields if f.conflict)

    def picks(self, survivor_id: int, chosen: Mapping[str, int] | None = None) -> dict[str, int]:
        """field → the contact whose value survives, for every field that has a value: the user's `chosen`
        ones, the defaults for the rest. What `merge_contacts(prefer=...)` takes."""
        survivor = self.index_of(survivor_id)
        chosen = chosen or {}
        picks: dict[str, int] = {}
        for preview in self.fields:
            if not any(preview.values):
                continue
            pick = chosen.get(preview.key)
            if pick is None or pick not in self.contact_ids:
                pick = self.contact_ids[preview.default_index(survivor)]
            picks[preview.key] = pick
        return picks


def _shown(value: Any) -> str:
    """A stored value as one line of text ("" for none)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value).strip()


def _same(values: Sequence[str]) -> bool:
    """No conflict: at most one distinct non-empty value, compared case- and space-insensitively (emails typed
    in another case are the same address)."""
    return len({" ".join(v.casefold().split()) for v in values if v}) <= 1


def _counts(s: Session, model: Any, ids: Sequence[int]) -> dict[int, int]:
    """Live rows of `model` per contact."""
    rows = s.execute(
        select(col(model.contact_id), func.count())
        .where(col(model.contact_id).in_(list(ids)), col(model.deleted_at).is_(None))
        .group_by(col(model.contact_id))
    )
    return {int(cid): int(n) for cid, n in rows}


def _channels(s: Session, ids: Sequence[int]) -> dict[tuple[int, str], list[str]]:
    found: dict[tuple[int, str], list[str]] = {}
    rows = s.execute(
        select(col(ContactChannel.contact_id), col(ContactChannel.kind), col(ContactChannel.value))
        .where(col(ContactChannel.contact_id).in_(list(ids)))
        .order_by(col(ContactChannel.id))
    )
    for cid, kind, value in rows:
        found.setdefault((int(cid), str(kind)), []).append(str(value))
    return found


def _custom_fields(s: Session) -> list[tuple[str, str]]:
    rows = s.execute(
        select(col(CustomFieldDef.key), col(CustomFieldDef.label))
        .where(col(CustomFieldDef.entity) == FieldEntity.CONTACT.value)
        .order_by(col(CustomFieldDef.position), col(CustomFieldDef.id))
    )
    return [(str(key), str(label)) for key, label in rows]


def read_preview(s: Session, contact_ids: Sequence[int]) -> MergePreview:
    """The preview, read in one session (see MergePreviewAPI.merge_preview)."""
    ids = tuple(dict.fromkeys(int(i) for i in contact_ids))
    if len(ids) < 2:
        raise InvalidValue(_("a merge needs at least two contacts"))
    contacts: list[Contact] = []
    for cid in ids:
        contact = s.get(Contact, cid)
        if contact is None or contact.deleted_at is not None:
            raise NotFound(_("no contact with id {contact_id}").format(contact_id=cid))
        contacts.append(contact)
    labels = field_labels()
    fields = [_field(key, labels[key], [_shown(getattr(c, key)) for c in contacts]) for key in CONTACT_FIELDS]
    custom = [values_of(s, FieldEntity.CONTACT.value, cid) for cid in ids]
    for key, label in _custom_fields(s):
        values = [_shown(v.get(key)) for v in custom]
        if any(values):
            fields.append(_field(CUSTOM_PREFIX + key, label, values))
    counts = {model: _counts(s, model, ids) for model in (Opportunity, Note, Task, Appointment, Message)}
    channels = _channels(s, ids)
    summaries = tuple(
        ContactSummary(
            contact_id=cid,
            display_name=c.display_name,
            deals=counts[Opportunity].get(cid, 0),
            notes=counts[Note].get(cid, 0),
            tasks=counts[Task].get(cid, 0),
            appointments=counts[Appointment].get(cid, 0),
            messages=counts[Message].get(cid, 0),
            tags=tuple(contact_tags(s, cid)),
            extra_emails=tuple(channels.get((cid, "email"), ())),
            extra_phones=tuple(channels.get((cid, "phone"), ())),
            created_at=c.created_at,
            last_activity_at=c.last_activity_at,
        )
        for cid, c in zip(ids, contacts, strict=True)
    )
    return MergePreview(ids, tuple(fields), summaries)


def _field(key: str, label: str, values: list[str]) -> FieldPreview:
    return FieldPreview(key, label, tuple(values), conflict=not _same(values))


class MergePreviewAPI(StoreBase):
    """The read-only side-by-side of contacts before a merge."""

    def merge_preview(self, contact_ids: Sequence[int]) -> MergePreview:
        """Each field's value per contact (in the order given: the first is the default survivor), whether they
        conflict, the default pick, and per contact what a merge would move. NotFound for a missing or deleted
        contact, InvalidValue for fewer than two."""
        with self.read() as s:
            return read_preview(s, contact_ids)

    def merge_of_history_line(self, entry_id: int) -> int | None:
        """The merge a "Merged with …" timeline line (a history entry of kind "merged") stands for, or None."""
        with self.read() as s:
            entry = s.get(HistoryEntry, entry_id)
            if entry is None or entry.kind != "merged":
                return None
            try:
                merge_id = json.loads(entry.data_json or "{}").get("merge_id")
            except ValueError:
                return None
            return int(merge_id) if isinstance(merge_id, int) else None
