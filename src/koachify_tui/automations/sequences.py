"""Follow-up sequences ("campagne"): ordered steps, each "after N days: create task X / add note Y".

A step's `delay_days` counts from the previous step (from enrolment for the first one), so a sequence reads
like a plan: day 0 call, +3 days email, +7 days check-in. Due steps run when `run_due` is called (the app
does it while running, `koachify automations run-due` from cron); several steps overdue by a late run all
execute in order. Leaving a sequence cancels its remaining steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from ..i18n import _
from ..store import Store
from ..store.errors import Conflict, InvalidValue, NotFound, StoreError
from ..store.models import (
    HistoryEntry,
    HistoryKind,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
    utcnow,
)
from ..store.normalize import clean_text, fold

log = logging.getLogger(__name__)

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


def list_sequences(store: Store) -> list[SequenceInfo]:
    with store.read() as s:
        return [_info(s, row) for row in s.execute(select(Sequence).order_by(col(Sequence.name_key))).scalars()]


def get_sequence(store: Store, ref: int | str) -> SequenceInfo:
    with store.read() as s:
        return _info(s, _sequence_row(s, ref))


def create_sequence(
    store: Store, name: str, steps: list[Mapping[str, Any]], *, description: str = "", enabled: bool = True
) -> SequenceInfo:
    name = clean_text(name)
    if not name:
        raise InvalidValue(_("a sequence needs a name"))
    clean = _clean_steps(steps)
    with store.write() as tx:
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
        return _info(s, row)


def create_sequence_from_dict(store: Store, data: Mapping[str, Any]) -> SequenceInfo:
    """From the JSON/TOML form: {"name", "description", "enabled", "steps": [{delay_days, action, title, body}]}."""
    if not isinstance(data, Mapping):
        raise InvalidValue(_("a sequence must be an object with name and steps"))
    unknown = set(data) - {"name", "description", "enabled", "steps"}
    if unknown:
        raise InvalidValue(_("unknown sequence key {value!r}").format(value=sorted(unknown)[0]))
    return create_sequence(
        store,
        str(data.get("name", "")),
        data.get("steps") or [],
        description=str(data.get("description", "")),
        enabled=bool(data.get("enabled", True)),
    )


def update_sequence(
    store: Store,
    ref: int | str,
    *,
    name: str | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    steps: list[Mapping[str, Any]] | None = None,
) -> SequenceInfo:
    """Edit a sequence. New steps apply to enrolments from their current step number on."""
    with store.write() as tx:
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
        return _info(s, row)


def delete_sequence(store: Store, ref: int | str) -> None:
    """Delete a sequence with its steps and enrolments."""
    with store.write() as tx:
        row = _sequence_row(tx.session, ref)
        # Bulk deletes in order: the ORM knows no relationship between these tables to order them itself.
        tx.session.execute(delete(SequenceEnrollment).where(col(SequenceEnrollment.sequence_id) == row.id))
        tx.session.execute(delete(SequenceStep).where(col(SequenceStep.sequence_id) == row.id))
        tx.session.delete(row)


# --- enrolments -------------------------------------------------------------------------------------------


def _history(s: Session, contact_id: int, opportunity_id: int | None, actor: str, text: str, **data: Any) -> None:
    import json

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


def enroll(
    store: Store,
    contact_id: int,
    ref: int | str,
    *,
    opportunity_id: int | None = None,
    now: datetime | None = None,
    origin: str | None = None,
) -> bool:
    """Put a contact in a sequence. Returns False (a no-op) when it is already in it."""
    now = now or utcnow()
    with store.write(origin) as tx:
        s = tx.session
        store.get_contact(contact_id)  # NotFound for a deleted contact
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


def leave(store: Store, contact_id: int, ref: int | str, *, origin: str | None = None) -> int:
    """Take a contact out of a sequence ("*": out of every sequence), cancelling its remaining steps.
    Returns how many enrolments were cancelled (0: it was in none)."""
    with store.write(origin) as tx:
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
            count += 1
        return count


def enrollments(
    store: Store, *, contact_id: int | None = None, sequence: int | str | None = None, status: str | None = ACTIVE
) -> list[EnrollmentInfo]:
    """Enrolments (active ones by default), soonest due first."""
    with store.read() as s:
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


# --- running due steps ------------------------------------------------------------------------------------


def run_due(store: Store, *, now: datetime | None = None, contact_id: int | None = None) -> list[StepRun]:
    """Execute every step due at `now` (default: the current time), oldest first; each step commits on its
    own with the enrolment's advance, so a crash never runs a step twice or skips one. Paused (disabled)
    sequences wait."""
    now = now or utcnow()
    with store.read() as s:
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
        ids = [int(i) for i in s.execute(stmt).scalars()]
    runs: list[StepRun] = []
    for enrollment_id in ids:
        while True:
            run = _run_next_step(store, enrollment_id, now)
            if run is None:
                break
            runs.append(run)
            if not run.ok:
                break
    return runs


def _run_next_step(store: Store, enrollment_id: int, now: datetime) -> StepRun | None:
    """Run one due step of an enrolment, or return None when nothing is due."""
    with store.read() as s:
        enrollment = s.get(SequenceEnrollment, enrollment_id)
        if enrollment is None or enrollment.status != ACTIVE or not enrollment.next_due_at:
            return None
        if enrollment.next_due_at > now:
            return None
        seq = s.get(Sequence, enrollment.sequence_id)
        assert seq is not None
        steps = _steps(s, seq.id or 0)
    origin = f"sequence:{seq.id}"
    index = enrollment.next_step
    due = enrollment.next_due_at
    try:
        with store.write(origin) as tx:
            row = tx.session.get(SequenceEnrollment, enrollment_id)
            # Re-check under the write lock: the TUI's timer and `run-due` from cron may race for one step.
            if row is None or row.status != ACTIVE or row.next_step != index:
                return None
            text = ""
            if index < len(steps):
                step = steps[index]
                # Steps belong to the contact: the deal that enrolled it may be closed or deleted meanwhile.
                if step.action == "task":
                    store.add_task(step.title, contact_id=row.contact_id, due_at=due, notes=step.body)
                    text = _("task “{title}”").format(title=step.title)
                else:
                    store.add_note(step.body or step.title, contact_id=row.contact_id, author=seq.name)
                    text = _("note")
            row.next_step = index + 1
            if row.next_step >= len(steps):
                row.status, row.ended_at, row.next_due_at = COMPLETED, now, None
                _history(
                    tx.session,
                    row.contact_id,
                    row.opportunity_id,
                    origin,
                    _("Sequence “{name}” completed").format(name=seq.name),
                    sequence_id=seq.id,
                    enrollment_id=row.id,
                )
            else:
                row.next_due_at = due + timedelta(days=steps[row.next_step].delay_days)
            return StepRun(enrollment_id, row.contact_id, seq.name, index + 1, True, text)
    except StoreError as exc:
        # The contact or its data is gone or invalid: retrying would fail forever, so stop the sequence.
        log.warning("sequence %s step %d failed for contact %d: %s", seq.name, index + 1, enrollment.contact_id, exc)
        with store.write(origin) as tx:
            row = tx.session.get(SequenceEnrollment, enrollment_id)
            assert row is not None
            row.status, row.ended_at, row.next_due_at = CANCELLED, now, None
            _history(
                tx.session,
                row.contact_id,
                row.opportunity_id,
                origin,
                _("Sequence “{name}” stopped at step {step}: {error}").format(name=seq.name, step=index + 1, error=exc),
                sequence_id=seq.id,
                enrollment_id=row.id,
                error=str(exc),
            )
        return StepRun(enrollment_id, enrollment.contact_id, seq.name, index + 1, False, "", str(exc))
