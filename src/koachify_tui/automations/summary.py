"""What automation concerns one contact: the sequences it is in and the rules that ran on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from ..store import Store
from ..store.models import AutomationRule, AutomationRun
from .sequences import EnrollmentInfo, enrollments


@dataclass(frozen=True)
class RuleActivity:
    """A rule that ran on the contact: how often, when last, and how that run ended."""

    rule_id: int
    name: str
    enabled: bool
    runs: int
    last_run_at: datetime
    last_ok: bool
    last_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "name": self.name,
            "enabled": self.enabled,
            "runs": self.runs,
            "last_run_at": self.last_run_at.isoformat(),
            "last_ok": self.last_ok,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class ContactAutomations:
    """For the contact detail: active sequence enrolments and the rules that have run on the contact."""

    sequences: list[EnrollmentInfo] = field(default_factory=list)
    rules: list[RuleActivity] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sequences": [e.as_dict() for e in self.sequences], "rules": [r.as_dict() for r in self.rules]}


def contact_automations(store: Store, contact_id: int) -> ContactAutomations:
    """The sequences a contact is in (active ones) and the rules that ran on it, most recent first."""
    with store.read() as s:
        counts = s.execute(
            select(col(AutomationRun.rule_id), func.count(), func.max(col(AutomationRun.id)))
            .where(col(AutomationRun.contact_id) == contact_id, col(AutomationRun.rule_id).is_not(None))
            .group_by(col(AutomationRun.rule_id))
        ).all()
        rules = []
        for rule_id, runs, last_run_id in counts:
            rule = s.get(AutomationRule, rule_id)
            last = s.get(AutomationRun, last_run_id)
            if rule is None or last is None:
                continue
            rules.append(RuleActivity(rule.id or 0, rule.name, rule.enabled, int(runs), last.at, last.ok, last.error))
    rules.sort(key=lambda r: r.last_run_at, reverse=True)
    return ContactAutomations(enrollments(store, contact_id=contact_id), rules)
