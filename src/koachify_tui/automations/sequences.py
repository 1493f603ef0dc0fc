"""Follow-up sequences ("campagne"): ordered steps, each "after N days: create task X / add note Y".

A step's `delay_days` counts from the previous step (from enrolment for the first one), so a sequence reads
like a plan: day 0 call, +3 days email, +7 days check-in. Due steps run when `run_due` is called (the app
does it while running, `koachify automations run-due` from cron); several steps overdue by a late run all
execute in order. Leaving a sequence cancels its remaining steps.

This module keeps the behaviour (which steps are due, what a step does); the store keeps the data
(`store/sequences.py`): every write goes through it, in its transactions, with its events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..i18n import _
from ..store import Store
from ..store.errors import StoreError
from ..store.models import utcnow
from ..store.sequences import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    STEP_ACTIONS,
    DueStep,
    EnrollmentInfo,
    SequenceInfo,
    StepInfo,
)

log = logging.getLogger(__name__)

__all__ = [
    "ACTIVE",
    "CANCELLED",
    "COMPLETED",
    "STEP_ACTIONS",
    "EnrollmentInfo",
    "SequenceInfo",
    "StepInfo",
    "StepRun",
    "create_sequence",
    "create_sequence_from_dict",
    "delete_sequence",
    "enroll",
    "enrollments",
    "get_sequence",
    "leave",
    "list_sequences",
    "run_due",
    "update_sequence",
]


@dataclass(frozen=True)
class StepRun:
    """One executed (or failed) step of `run_due`."""

    enrollment_id: int
    contact_id: int
    sequence: str
    step: int  # 1-based
    ok: bool
    text: str
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "enrollment_id": self.enrollment_id,
            "contact_id": self.contact_id,
            "sequence": self.sequence,
            "step": self.step,
            "ok": self.ok,
            "text": self.text,
            "error": self.error,
        }


# --- the store's sequence calls, under the names automations and the CLI have always used -----------------


def list_sequences(store: Store) -> list[SequenceInfo]:
    return store.list_sequences()


def get_sequence(store: Store, ref: int | str) -> SequenceInfo:
    return store.get_sequence(ref)


def create_sequence(
    store: Store, name: str, steps: list[Mapping[str, Any]], *, description: str = "", enabled: bool = True
) -> SequenceInfo:
    return store.create_sequence(name, steps, description=description, enabled=enabled)


def create_sequence_from_dict(store: Store, data: Mapping[str, Any]) -> SequenceInfo:
    return store.create_sequence_from_dict(data)


def update_sequence(store: Store, ref: int | str, **changes: Any) -> SequenceInfo:
    return store.update_sequence(ref, **changes)


def delete_sequence(store: Store, ref: int | str) -> None:
    store.delete_sequence(ref)


def enroll(
    store: Store,
    contact_id: int,
    ref: int | str,
    *,
    opportunity_id: int | None = None,
    now: datetime | None = None,
    origin: str | None = None,
) -> bool:
    return store.enroll(contact_id, ref, opportunity_id=opportunity_id, now=now, origin=origin)


def leave(store: Store, contact_id: int, ref: int | str, *, origin: str | None = None) -> int:
    return store.leave(contact_id, ref, origin=origin)


def enrollments(
    store: Store, *, contact_id: int | None = None, sequence: int | str | None = None, status: str | None = ACTIVE
) -> list[EnrollmentInfo]:
    return store.enrollments(contact_id=contact_id, sequence=sequence, status=status)


# --- running due steps ------------------------------------------------------------------------------------


def run_due(store: Store, *, now: datetime | None = None, contact_id: int | None = None) -> list[StepRun]:
    """Execute every step due at `now` (default: the current time), oldest first; each step commits on its
    own with the enrolment's advance, so a crash never runs a step twice or skips one. Paused (disabled)
    sequences wait."""
    now = now or utcnow()
    runs: list[StepRun] = []
    for enrollment_id in store.due_enrollment_ids(now, contact_id=contact_id):
        while True:
            run = _run_next_step(store, enrollment_id, now)
            if run is None:
                break
            runs.append(run)
            if not run.ok:
                break
    return runs


def _do_step(store: Store, due: DueStep) -> str:
    """What a step does: a task due when the step is, or a note. Steps belong to the contact: the deal that
    enrolled it may be closed or deleted meanwhile."""
    step = due.steps[due.index]
    if step.action == "task":
        store.add_task(step.title, contact_id=due.contact_id, due_at=due.due_at, notes=step.body)
        return _("task “{title}”").format(title=step.title)
    store.add_note(step.body or step.title, contact_id=due.contact_id, author=due.sequence)
    return _("note")


def _run_next_step(store: Store, enrollment_id: int, now: datetime) -> StepRun | None:
    """Run one due step of an enrolment, or return None when nothing is due."""
    due = store.due_step(enrollment_id, now)
    if due is None:
        return None
    try:
        text = store.advance_enrollment(due, now, lambda: _do_step(store, due))
    except StoreError as exc:
        # The contact or its data is gone or invalid: retrying would fail forever, so stop the sequence.
        log.warning("sequence %s step %d failed for contact %d: %s", due.sequence, due.index + 1, due.contact_id, exc)
        store.stop_enrollment(due, now, str(exc))
        return StepRun(enrollment_id, due.contact_id, due.sequence, due.index + 1, False, "", str(exc))
    if text is None:
        return None
    return StepRun(enrollment_id, due.contact_id, due.sequence, due.index + 1, True, text)
