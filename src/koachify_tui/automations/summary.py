"""What automation concerns one contact: the sequences it is in and the rules that ran on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..store import Store
from ..store.rules import RuleActivity
from .sequences import EnrollmentInfo, enrollments

__all__ = ["ContactAutomations", "RuleActivity", "contact_automations"]


@dataclass(frozen=True)
class ContactAutomations:
    """For the contact detail: active sequence enrolments and the rules that have run on the contact."""

    sequences: list[EnrollmentInfo] = field(default_factory=list)
    rules: list[RuleActivity] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sequences": [e.as_dict() for e in self.sequences], "rules": [r.as_dict() for r in self.rules]}


def contact_automations(store: Store, contact_id: int) -> ContactAutomations:
    """The sequences a contact is in (active ones) and the rules that ran on it, most recent first."""
    return ContactAutomations(enrollments(store, contact_id=contact_id), store.rule_activity(contact_id))
