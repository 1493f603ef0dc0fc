"""Follow-up sequences' persistence: definitions, enrolments and the advance of an enrolment by one step.

Every write emits events after commit and logs enrolments in the change log like any other store write;
`automations/sequences.py` keeps the behaviour (which steps are due, what a step does) and calls these.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase
from .changes import Cause
from .changes import record as log_change
from .errors import Conflict, InvalidValue, NotFound
from .events import SequenceChanged, SequenceEnrolled, SequenceLeft, SequenceStepRun
from .models import (
    ChangeLog,
    Contact,
    HistoryEntry,
    HistoryKind,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
    utcnow,
)
from .normalize import clean_text, fold

STEP_ACTIONS = ("task", "note")
ACTIVE, COMPLETED, CANCELLED = "active", "completed", "cancelled"


@dataclass(frozen=True)
class StepInfo:
    position: int
    delay_days: int
    action: str
    title: str
    body: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"delay_days": self.delay_days, "action": self.action, "title": self.title, "body": self.body}


@dataclass(frozen=True)
class SequenceInfo:
    """A sequence with its steps and how many contacts are in it now."""

    id: int
    name: str
    description: str
    enabled: bool
    steps: tuple[StepInfo, ...]
    active: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "active_enrollments": self.active,
            "steps": [s.as_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class EnrollmentInfo:
    id: int
    sequence_id: int
    sequence: str
    contact_id: int
    opportunity_id: int | None
    status: str
    next_step: int
    steps: int
    next_due_at: datetime | None
    enrolled_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sequence_id": self.sequence_id,
            "sequence": self.sequence,
            "contact_id": self.contact_id,
            "opportunity_id": self.opportunity_id,
            "status": self.status,
            "next_step": self.next_step + 1 if self.status == ACTIVE else None,
            "steps": self.steps,
            "next_due_at": self.next_due_at.isoformat() if self.next_due_at else None,
            "enrolled_at": self.enrolled_at.isoformat(),
        }


@dataclass(frozen=True)
class DueStep:
    """An enrolment with a step due: what `automations.sequences` needs to run it."""

    enrollment_id: int
    contact_id: int
    opportunity_id: int | None
    sequence_id: int
    sequence: str
    steps: tuple[StepInfo, ...]
    index: int  # 0-based step due
    due_at: datetime


# --- definitions ------------------------------------------------------------------------------------------


def _clean_steps(steps: Any) -> list[StepInfo]:
    if not isinstance(steps, list):
        raise InvalidValue(_("steps must be a list"))
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            raise InvalidValue(
                _("step {value} must be an object with delay_days, action, title, body").format(value=i + 1)
            )
        unknown = set(step) - {"delay_days", "action", "title", "body"}
        if unknown:
            raise InvalidValue(_("step {value} has no key {value2!r}").format(value=i + 1, value2=sorted(unknown)[0]))
        delay = step.get("delay_days", 0)
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise InvalidValue(_("step {value}: delay_days must be a whole number ≥ 0").format(value=i + 1))
        action = str(step.get("action", "task"))
        if action not in STEP_ACTIONS:
            raise InvalidValue(_("step {value}: action must be task or note").format(value=i + 1))
        title = clean_text(str(step.get("title", "")))
        body = clean_text(str(step.get("body", "")), multiline=True).strip()
        if action == "task" and not title:
            raise InvalidValue(_("step {value}: a task needs a title").format(value=i + 1))
        if action == "note" and not (body or title):
            raise InvalidValue(_("step {value}: a note needs a body").format(value=i + 1))
        out.append(StepInfo(i, delay, action, title, body))
    return out


def _sequence_row(s: Session, ref: int | str) -> Sequence:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = s.get(Sequence, int(ref))
        if row is not None:
            return row
    if isinstance(ref, str):
        by_name: Sequence | None = (
            s.execute(select(Sequence).where(col(Sequence.name_key) == fold(ref))).scalars().first()
        )
        if by_name is not None:
            return by_name
    raise NotFound(_("no sequence {ref!r}").format(ref=ref))


def _steps(s: Session, sequence_id: int) -> list[SequenceStep]:
    return list(
        s.execute(
            select(SequenceStep)
            .where(col(SequenceStep.sequence_id) == sequence_id)
            .order_by(col(SequenceStep.position), col(SequenceStep.id))
        ).scalars()
    )


def _info(s: Session, row: Sequence) -> SequenceInfo:
    assert row.id is not None
    active = s.execute(
        select(func.count())
        .select_from(SequenceEnrollment)
        .where(col(SequenceEnrollment.sequence_id) == row.id, col(SequenceEnrollment.status) == ACTIVE)
    ).one()[0]
    steps = tuple(StepInfo(st.position, st.delay_days, st.action, st.title, st.body) for st in _steps(s, row.id))
    return SequenceInfo(row.id, row.name, row.description, row.enabled, steps, int(active))


# --- enrolments -------------------------------------------------------------------------------------------


def _history(s: Session, contact_id: int, opportunity_id: int | None, actor: str, text: str, **data: Any) -> None:
    s.add(
        HistoryEntry(
            contact_id=contact_id,
            opportunity_id=opportunity_id,
            kind=HistoryKind.AUTOMATION.value,
            actor=actor,
            text=text,
            data_json=json.dumps(data, ensure_ascii=False, default=str),
        )
    )


class SequencesAPI(StoreBase):
    """Follow-up sequences: definitions, enrolments, advancing an enrolment by one step."""

    def list_sequences(self) -> list[SequenceInfo]:
        with self.read() as s:
            return [_info(s, row) for row in s.execute(select(Sequence).order_by(col(Sequence.name_key))).scalars()]

    def get_sequence(self, ref: int | str) -> SequenceInfo:
        with self.read() as s:
            return _info(s, _sequence_row(s, ref))

    def create_sequence(
        self, name: str, steps: list[Mapping[str, Any]], *, description: str = "", enabled: bool = True
    ) -> SequenceInfo:
        name = clean_text(name)
        if not name:
            raise InvalidValue(_("a sequence needs a name"))
        clean = _clean_steps(steps)
        with self.write() as tx:
            s = tx.session
            if s.execute(select(Sequence).where(col(Sequence.name_key) == fold(name))).scalars().first() is not None:
                raise Conflict(_("a sequence named {name!r} already exists").format(name=name))
            row = Sequence(name=name, name_key=fold(name), description=clean_text(description), enabled=enabled)
            s.add(row)
            s.flush()
            assert row.id is not None
            for step in clean:
                s.add(SequenceStep(sequence_id=row.id, **step.as_dict(), position=step.position))
            s.flush()
            tx.emit(SequenceChanged, sequence_id=row.id, change="created")
            return _info(s, row)

    def create_sequence_from_dict(self, data: Mapping[str, Any]) -> SequenceInfo:
        """From the JSON/TOML form: {"name", "description", "enabled", "steps": [{delay_days, action, title, body}]}."""
        if not isinstance(data, Mapping):
            raise InvalidValue(_("a sequence must be an object with name and steps"))
        unknown = set(data) - {"name", "description", "enabled", "steps"}
        if unknown:
            raise InvalidValue(_("unknown sequence key {value!r}").format(value=sorted(unknown)[0]))
        return self.create_sequence(
            str(data.get("name", "")),
            data.get("steps") or [],
            description=str(data.get("description", "")),
            enabled=bool(data.get("enabled", True)),
        )

    def update_sequence(
        self,
        ref: int | str,
        *,
        name: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        steps: list[Mapping[str, Any]] | None = None,
    ) -> SequenceInfo:
        """Edit a sequence. New steps apply to enrolments from their current step number on."""
        with self.write() as tx:
            s = tx.session
            row = _sequence_row(s, ref)
            if name is not None:
                name = clean_text(name)
                if not name:
                    raise InvalidValue(_("a sequence needs a name"))
                row.name, row.name_key = name, fold(name)
            if description is not None:
                row.description = clean_text(description)
            if enabled is not None:
                row.enabled = enabled
            if steps is not None:
                clean = _clean_steps(steps)
                s.execute(delete(SequenceStep).where(col(SequenceStep.sequence_id) == row.id))
                for step in clean:
                    s.add(SequenceStep(sequence_id=row.id or 0, **step.as_dict(), position=step.position))
            s.flush()
            tx.emit(SequenceChanged, sequence_id=row.id or 0, change="updated")
            return _info(s, row)

    def delete_sequence(self, ref: int | str) -> None:
        """Delete a sequence with its steps and enrolments."""
        with self.write() as tx:
            row = _sequence_row(tx.session, ref)
            # Bulk deletes in order: the ORM knows no relationship between these tables to order them itself.
            tx.session.execute(delete(SequenceEnrollment).where(col(SequenceEnrollment.sequence_id) == row.id))
            tx.session.execute(delete(SequenceStep).where(col(SequenceStep.sequence_id) == row.id))
            tx.session.delete(row)
            tx.emit(SequenceChanged, sequence_id=row.id or 0, change="deleted")

    def enroll(
        self,
        contact_id: int,
        ref: int | str,
        *,
        opportunity_id: int | None = None,
        now: datetime | None = None,
        origin: str | None = None,
    ) -> bool:
        """Put a contact in a sequence. Returns False (a no-op) when it is already in it."""
        now = now or utcnow()
        with self.write(origin) as tx:
            s = tx.session
            contact = s.get(Contact, contact_id)
            if contact is None or contact.deleted_at is not None:
                raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
            row = _sequence_row(s, ref)
            already = s.execute(
                select(SequenceEnrollment).where(
                    col(SequenceEnrollment.sequence_id) == row.id,
                    col(SequenceEnrollment.contact_id) == contact_id,
                    col(SequenceEnrollment.status) == ACTIVE,
                )
            ).scalars()
            if already.first() is not None:
                return False
            steps = _steps(s, row.id or 0)
            enrollment = SequenceEnrollment(
                sequence_id=row.id or 0,
                contact_id=contact_id,
                opportunity_id=opportunity_id,
                status=ACTIVE if steps else COMPLETED,
                next_step=0,
                next_due_at=now + timedelta(days=steps[0].delay_days) if steps else None,
                enrolled_at=now,
                ended_at=None if steps else now,
            )
            s.add(enrollment)
            s.flush()
            log_change(tx, "contact", contact_id, "enrollment", None, enrollment.id)
            tx.emit(SequenceEnrolled, contact_id=contact_id, sequence_id=row.id or 0, enrollment_id=enrollment.id or 0)
            _history(
                s,
                contact_id,
                opportunity_id,
                tx.origin,
                _("Enrolled in sequence “{name}”").format(name=row.name),
                sequence_id=row.id,
                enrollment_id=enrollment.id,
            )
            return True

    def leave(self, contact_id: int, ref: int | str, *, origin: str | None = None) -> int:
        """Take a contact out of a sequence ("*": out of every sequence), cancelling its remaining steps.
        Returns how many enrolments were cancelled (0: it was in none)."""
        with self.write(origin) as tx:
            s = tx.session
            stmt = select(SequenceEnrollment).where(
                col(SequenceEnrollment.contact_id) == contact_id, col(SequenceEnrollment.status) == ACTIVE
            )
            if ref != "*":
                stmt = stmt.where(col(SequenceEnrollment.sequence_id) == _sequence_row(s, ref).id)
            count = 0
            now = utcnow()
            for enrollment in s.execute(stmt).scalars():
                seq = s.get(Sequence, enrollment.sequence_id)
                enrollment.status, enrollment.ended_at, enrollment.next_due_at = CANCELLED, now, None
                _history(
                    s,
                    contact_id,
                    enrollment.opportunity_id,
                    tx.origin,
                    _("Left sequence “{name}”").format(name=seq.name if seq else "?"),
                    sequence_id=enrollment.sequence_id,
                    enrollment_id=enrollment.id,
                )
                log_change(tx, "enrollment", enrollment.id or 0, "status", ACTIVE, CANCELLED, contact_id=contact_id)
                tx.emit(SequenceLeft, contact_id=contact_id, sequence_id=enrollment.sequence_id,
                        enrollment_id=enrollment.id or 0)  # fmt: skip
                count += 1
            return count

    def enrollments(
        self, *, contact_id: int | None = None, sequence: int | str | None = None, status: str | None = ACTIVE
    ) -> list[EnrollmentInfo]:
        """Enrolments (active ones by default), soonest due first."""
        with self.read() as s:
            stmt = select(SequenceEnrollment, Sequence).join(
                Sequence, col(Sequence.id) == col(SequenceEnrollment.sequence_id)
            )
            if contact_id is not None:
                stmt = stmt.where(col(SequenceEnrollment.contact_id) == contact_id)
            if sequence is not None:
                stmt = stmt.where(col(SequenceEnrollment.sequence_id) == _sequence_row(s, sequence).id)
            if status is not None:
                stmt = stmt.where(col(SequenceEnrollment.status) == status)
            stmt = stmt.order_by(col(SequenceEnrollment.next_due_at).is_(None), col(SequenceEnrollment.next_due_at))
            out = []
            for enrollment, seq in s.execute(stmt):
                out.append(
                    EnrollmentInfo(
                        enrollment.id or 0,
                        seq.id or 0,
                        seq.name,
                        enrollment.contact_id,
                        enrollment.opportunity_id,
                        enrollment.status,
                        enrollment.next_step,
                        len(_steps(s, seq.id or 0)),
                        enrollment.next_due_at,
                        enrollment.enrolled_at,
                    )
                )
            return out

    def create_sequences(self, specs: list[Mapping[str, Any]]) -> list[SequenceInfo]:
        """Several sequences from their JSON/TOML form, all or none."""
        with self.write():
            return [self.create_sequence_from_dict(spec) for spec in specs]

    def due_enrollment_ids(self, now: datetime, *, contact_id: int | None = None) -> list[int]:
        """Active enrolments of enabled sequences with a step due at `now`, oldest due first."""
        with self.read() as s:
            stmt = (
                select(col(SequenceEnrollment.id))
                .join(Sequence, col(Sequence.id) == col(SequenceEnrollment.sequence_id))
                .where(
                    col(SequenceEnrollment.status) == ACTIVE,
                    col(SequenceEnrollment.next_due_at) <= now,
                    col(Sequence.enabled).is_(True),
                )
                .order_by(col(SequenceEnrollment.next_due_at), col(SequenceEnrollment.id))
            )
            if contact_id is not None:
                stmt = stmt.where(col(SequenceEnrollment.contact_id) == contact_id)
            return [int(i) for i in s.execute(stmt).scalars()]

    def due_step(self, enrollment_id: int, now: datetime) -> DueStep | None:
        """The step an enrolment has due at `now`, or None."""
        with self.read() as s:
            enrollment = s.get(SequenceEnrollment, enrollment_id)
            if enrollment is None or enrollment.status != ACTIVE or not enrollment.next_due_at:
                return None
            if enrollment.next_due_at > now:
                return None
            seq = s.get(Sequence, enrollment.sequence_id)
            assert seq is not None and seq.id is not None
            steps = tuple(
                StepInfo(st.position, st.delay_days, st.action, st.title, st.body) for st in _steps(s, seq.id)
            )
            return DueStep(
                enrollment_id, enrollment.contact_id, enrollment.opportunity_id, seq.id, seq.name, steps,
                enrollment.next_step, enrollment.next_due_at,
            )  # fmt: skip

    def advance_enrollment(self, due: DueStep, now: datetime, run: Callable[[], str]) -> str | None:
        """Run one step (`run` does what it does through store calls, in this transaction) and advance the
        enrolment, atomically. None when another process ran it first. The step's writes belong to the import
        batch whose rule run enrolled the contact, if any (its undo reverts them while untouched)."""
        origin = f"sequence:{due.sequence_id}"
        with self.read() as s:
            batch_id = s.execute(
                select(col(ChangeLog.batch_id)).where(
                    col(ChangeLog.contact_id) == due.contact_id,
                    col(ChangeLog.field) == "enrollment",
                    col(ChangeLog.new_value) == json.dumps(due.enrollment_id),
                )
            ).scalar()
        with self.write(origin, cause=Cause("sequence", due.sequence_id, batch_id)) as tx:
            row = tx.session.get(SequenceEnrollment, due.enrollment_id)
            # Re-check under the write lock: the TUI's timer and `run-due` from cron may race for one step.
            if row is None or row.status != ACTIVE or row.next_step != due.index:
                return None
            text = run() if due.index < len(due.steps) else ""
            row.next_step = due.index + 1
            if row.next_step >= len(due.steps):
                row.status, row.ended_at, row.next_due_at = COMPLETED, now, None
                _history(tx.session, row.contact_id, row.opportunity_id, origin,
                         _("Sequence “{name}” completed").format(name=due.sequence), sequence_id=due.sequence_id,
                         enrollment_id=row.id)  # fmt: skip
            else:
                row.next_due_at = due.due_at + timedelta(days=due.steps[row.next_step].delay_days)
            log_change(tx, "enrollment", due.enrollment_id, "next_step", due.index, row.next_step,
                       contact_id=row.contact_id)  # fmt: skip
            tx.emit(SequenceStepRun, contact_id=row.contact_id, sequence_id=due.sequence_id,
                    enrollment_id=due.enrollment_id, step=due.index + 1)  # fmt: skip
            return text

    def stop_enrollment(self, due: DueStep, now: datetime, error: str) -> None:
        """Cancel an enrolment whose step failed for good (its contact or data is gone or invalid)."""
        origin = f"sequence:{due.sequence_id}"
        with self.write(origin) as tx:
            row = tx.session.get(SequenceEnrollment, due.enrollment_id)
            assert row is not None
            row.status, row.ended_at, row.next_due_at = CANCELLED, now, None
            _history(
                tx.session, row.contact_id, row.opportunity_id, origin,
                _("Sequence “{name}” stopped at step {step}: {error}").format(
                    name=due.sequence, step=due.index + 1, error=error
                ),
                sequence_id=due.sequence_id, enrollment_id=row.id, error=error,
            )  # fmt: skip
            log_change(tx, "enrollment", due.enrollment_id, "status", ACTIVE, CANCELLED, contact_id=row.contact_id)
            tx.emit(
                SequenceLeft, contact_id=row.contact_id, sequence_id=due.sequence_id, enrollment_id=due.enrollment_id
            )
