"""The shapes the duplicates finder (store/duplicates.py), the merge (store/merge.py) and their screens and
commands share. Plain frozen dataclasses: no database access here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .revert import Kept

#: Reason kinds, strongest first. `email` and `phone` are strong signals; `name` alone only ever suggests.
REASON_KINDS = ("email", "phone", "name")


@dataclass(frozen=True, slots=True)
class DuplicateReason:
    """Why two or more contacts look like one person."""

    kind: str  # one of REASON_KINDS
    value: str  # the shared value as shown: the email, the phone in E.164, the folded name
    support: str = ""  # for a name: the other signal that backs it ("company: Acme", "domain: acme.it", "tag: VIP")

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "support": self.support}


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Contacts that are likely the same person, with a score in 0..100 (higher: more certain)."""

    contact_ids: tuple[int, ...]  # ascending
    score: float
    reasons: tuple[DuplicateReason, ...]

    @property
    def strong(self) -> bool:
        """True when backed by an email or a valid phone, not by a similar name alone."""
        return any(r.kind in ("email", "phone") for r in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "contact_ids": list(self.contact_ids),
            "score": round(self.score, 1),
            "strong": self.strong,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What one merge did. `moved` counts the items moved to the survivor by kind ("opportunity", "note",
    "task", "appointment", "message", "tag", "custom", "enrollment", "import_item", "email", "phone")."""

    merge_id: int
    survivor_id: int
    merged_ids: tuple[int, ...]
    txn: str
    moved: Mapping[str, int] = field(default_factory=dict)
    fields: Mapping[str, int] = field(default_factory=dict)  # field -> the contact whose value survived

    def as_dict(self) -> dict[str, Any]:
        return {
            "merge_id": self.merge_id,
            "survivor_id": self.survivor_id,
            "merged_ids": list(self.merged_ids),
            "moved": dict(self.moved),
            "fields": dict(self.fields),
        }


@dataclass(frozen=True, slots=True)
class MergeUndoResult:
    """What undoing a merge did: the contacts given back, and the survivor's later edits it kept."""

    merge_id: int
    survivor_id: int
    restored_ids: tuple[int, ...]
    kept: tuple[Kept, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.kept

    def as_dict(self) -> dict[str, Any]:
        return {
            "merge_id": self.merge_id,
            "survivor_id": self.survivor_id,
            "restored_ids": list(self.restored_ids),
            "complete": self.complete,
            "kept_changes": [k.as_dict() for k in self.kept],
        }


@dataclass(frozen=True, slots=True)
class CreateCheck:
    """What a new contact's email, phone and name collide with (the create-time duplicate warning)."""

    same_email: tuple[int, ...] = ()  # live contacts that already have this email (primary or extra)
    same_phone: tuple[int, ...] = ()  # live contacts that already have this valid phone
    similar_names: tuple[int, ...] = ()  # live contacts with a similar name (a hint only)

    @property
    def blocking(self) -> bool:
        """An email or phone collision: the CLI refuses without --allow-duplicate, the form warns."""
        return bool(self.same_email or self.same_phone)
