"""Notes, tasks, appointments and logged messages. Each belongs to a contact; one written on an
opportunity belongs to the opportunity's contact too, so it shows on the contact's merged timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from ..i18n import _
from .activity_rules import (
    activity_model,
    checked_changes,
    refresh_last_activity,
    same_value,
    snoozed_due,
)
from .base import StoreBase, Tx
from .changes import record as log_change
from .errors import InvalidValue, NotFound
from .events import (
    ActivityDeleted,
    ActivityRestored,
    ActivityUpdated,
    AppointmentAdded,
    MessageLogged,
    NoteAdded,
    TaskAdded,
    TaskCompleted,
)
from .models import Appointment, Channel, Contact, Direction, Message, Note, Opportunity, Task, utcnow
from .normalize import clean_text

M = TypeVar("M", bound=SQLModel)


@dataclass(frozen=True)
class AgendaItem:
    """An open task by its due time or an appointment by its start, with its contact and deal."""

    kind: str  # "task" | "appointment"
    id: int
    at: datetime
    title: str
    contact_id: int
    contact_name: str
    opportunity_id: int | None
    opportunity_title: str
    location: str = ""


@dataclass(frozen=True)
class InboxRow:
    """A message of the unified inbox with the name of its contact."""

    message: Message
    contact_name: str


class ActivitiesAPI(StoreBase):
    """Activities written on a contact or one of its opportunities."""

    def _owner_ids(self, s: Session, contact_id: int | None, opportunity_id: int | None) -> tuple[int, int | None]:
        """Resolve (contact id, opportunity id): an item on an opportunity belongs to its contact."""
        if opportunity_id is not None:
            opp = s.get(Opportunity, opportunity_id)
            if opp is None or opp.deleted_at is not None:
                raise NotFound(_("no opportunity with id {opportunity_id}").format(opportunity_id=opportunity_id))
            if contact_id is not None and contact_id != opp.contact_id:
                raise InvalidValue(
                    _("opportunity {opportunity_id} belongs to contact {contact_id}, not {contact_id2}").format(
                        opportunity_id=opportunity_id, contact_id=opp.contact_id, contact_id2=contact_id
                    )
                )
            contact_id = opp.contact_id
        if contact_id is None:
            raise InvalidValue(_("give a contact or an opportunity"))
        contact = s.get(Contact, contact_id)
        if contact is None or contact.deleted_at is not None:
            raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
        return contact_id, opportunity_id

    def _touch(self, s: Session, contact_id: int, at: datetime) -> None:
        contact = s.get(Contact, contact_id)
        if contact is not None and (contact.last_activity_at is None or contact.last_activity_at < at):
            contact.last_activity_at = at

    def add_note(
        self,
        body: str,
        *,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        author: str = "",
        origin: str | None = None,
        at: datetime | None = None,
    ) -> Note:
        body = clean_text(body, multiline=True).strip()
        if not body:
            raise InvalidValue(_("a note cannot be empty"))
        with self.write(origin) as tx:
            cid, oid = self._owner_ids(tx.session, contact_id, opportunity_id)
            now = at or utcnow()
            note = Note(
                contact_id=cid, opportunity_id=oid, body=body, author=clean_text(author), created_at=now, updated_at=now
            )
            tx.session.add(note)
            tx.session.flush()
            log_change(tx, "contact", cid, "note", None, note.id)
            self._touch(tx.session, cid, now)
            tx.emit(NoteAdded, contact_id=cid, opportunity_id=oid, note_id=note.id)
            return note

    def add_task(
        self,
        title: str,
        *,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        due_at: datetime | None = None,
        notes: str = "",
        owner: str = "",
        origin: str | None = None,
        at: datetime | None = None,
    ) -> Task:
        title = clean_text(title)
        if not title:
            raise InvalidValue(_("a task needs a title"))
        with self.write(origin) as tx:
            cid, oid = self._owner_ids(tx.session, contact_id, opportunity_id)
            now = at or utcnow()
            task = Task(
                contact_id=cid,
                opportunity_id=oid,
                title=title,
                due_at=due_at,
                notes=clean_text(notes, multiline=True),
                owner=clean_text(owner),
                created_at=now,
                updated_at=now,
            )
            tx.session.add(task)
            tx.session.flush()
            log_change(tx, "contact", cid, "task", None, task.id)
            self._touch(tx.session, cid, now)
            tx.emit(TaskAdded, contact_id=cid, opportunity_id=oid, task_id=task.id)
            return task

    def complete_task(self, task_id: int, *, done: bool = True, origin: str | None = None) -> Task:
        """Mark a task done (or, with done=False, open again); logged, so `undo_changes` reverts it."""
        with self.write(origin) as tx:
            task = self._live(tx.session, Task, task_id)
            if (task.done_at is not None) == done:
                return task
            self._apply(tx, "task", task, {"done_at": utcnow() if done else None})
            return task

    def snooze_task(self, task_id: int, until: datetime, *, origin: str | None = None) -> Task:
        """Move an open task's due time to `until` (a done task is refused: reopen it first)."""
        with self.write(origin) as tx:
            task = self._live(tx.session, Task, task_id)
            if task.done_at is not None:
                raise InvalidValue(
                    _("task {task_id} is done: reopen it before moving its due date").format(task_id=task_id)
                )
            self._apply(tx, "task", task, {"due_at": until})
            return task

    def snooze_task_by(
        self, task_id: int, days: int, *, now: datetime | None = None, origin: str | None = None
    ) -> Task:
        """Snooze by `days` (1: "+1 day", 7: "+1 week") from the current due date, or from today when the task
        is overdue or has no due date: a coach snoozing a task three weeks late means "tomorrow", not "still
        late". The due time of day is kept (local time); a task without one is due at 23:59."""
        with self.read() as s:
            task = self._live(s, Task, task_id)
        return self.snooze_task(task_id, snoozed_due(task.due_at, days, now or utcnow()), origin=origin)

    def add_appointment(
        self,
        title: str,
        starts_at: datetime,
        *,
        ends_at: datetime | None = None,
        location: str = "",
        notes: str = "",
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        origin: str | None = None,
    ) -> Appointment:
        title = clean_text(title)
        if not title:
            raise InvalidValue(_("an appointment needs a title"))
        if ends_at is not None and ends_at < starts_at:
            raise InvalidValue(_("an appointment cannot end before it starts"))
        with self.write(origin) as tx:
            cid, oid = self._owner_ids(tx.session, contact_id, opportunity_id)
            appt = Appointment(
                contact_id=cid,
                opportunity_id=oid,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                location=clean_text(location),
                notes=clean_text(notes, multiline=True),
            )
            tx.session.add(appt)
            tx.session.flush()
            log_change(tx, "contact", cid, "appointment", None, appt.id)
            self._touch(tx.session, cid, utcnow())
            tx.emit(AppointmentAdded, contact_id=cid, opportunity_id=oid, appointment_id=appt.id)
            return appt

    def log_message(
        self,
        body: str,
        *,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        channel: str = Channel.OTHER.value,
        direction: str = Direction.IN.value,
        subject: str = "",
        at: datetime | None = None,
        read: bool = False,
        duration_s: int | None = None,
        outcome: str = "",
        origin: str | None = None,
    ) -> Message:
        """Log a communication (email, SMS, WhatsApp, call, chat…) with a contact; a call may carry its length
        in seconds and its outcome (free text; the TUI offers answered / no answer / voicemail / call back)."""
        try:
            channel = Channel(channel).value
            direction = Direction(direction).value
        except ValueError as exc:
            raise InvalidValue(str(exc)) from None
        body = clean_text(body, multiline=True)
        outcome = clean_text(outcome)
        if not (body or subject or outcome or duration_s is not None):  # a call may be just its length
            raise InvalidValue(_("a message needs a subject or a body"))
        if duration_s is not None and duration_s < 0:
            raise InvalidValue(_("a duration cannot be negative"))
        with self.write(origin) as tx:
            cid, oid = self._owner_ids(tx.session, contact_id, opportunity_id)
            when = at or utcnow()
            msg = Message(
                contact_id=cid,
                opportunity_id=oid,
                channel=channel,
                direction=direction,
                subject=clean_text(subject),
                body=body,
                at=when,
                read=read or direction == "out",
                duration_s=duration_s,
                outcome=outcome,
            )
            tx.session.add(msg)
            tx.session.flush()
            log_change(tx, "contact", cid, "message", None, msg.id)
            self._touch(tx.session, cid, when)
            tx.emit(MessageLogged, contact_id=cid, message_id=msg.id, channel=channel, direction=direction)
            return msg

    def mark_message_read(self, message_id: int, read: bool = True) -> None:
        with self.write() as tx:
            self._live(tx.session, Message, message_id).read = read

    def _live(self, s: Session, model: type[M], item_id: int) -> M:
        item = s.get(model, item_id)
        if item is None or getattr(item, "deleted_at", None) is not None:
            raise NotFound(_("no {value} with id {item_id}").format(value=_(model.__name__.lower()), item_id=item_id))
        return item

    def get_activity(self, kind: str, item_id: int) -> Any:
        with self.read() as s:
            return self._live(s, activity_model(kind), item_id)

    def update_activity(
        self,
        kind: str,
        item_id: int,
        changes: Mapping[str, Any] | None = None,
        *,
        origin: str | None = None,
        **fields: Any,
    ) -> Any:
        """Apply a change set to a note, task, appointment or message (`changes` or keywords; text fields are
        cleaned and checked like on creation). Only what differs is written, logged field by field (so
        `undo_changes` reverts it) and announced with one `ActivityUpdated` (plus `TaskCompleted` when it
        completes a task)."""
        model = activity_model(kind)
        with self.write(origin) as tx:
            item: Any = self._live(tx.session, model, item_id)
            self._apply(tx, kind, item, {**(changes or {}), **fields})
            return item

    def _apply(self, tx: Tx, kind: str, item: Any, changes: Mapping[str, Any]) -> list[str]:
        """Write, log and announce `changes` of a live item in `tx`; the fields that changed."""
        wanted = checked_changes(kind, item, changes)
        changed = [key for key, value in wanted.items() if not same_value(getattr(item, key), value)]
        if not changed:
            return []
        for key in changed:
            log_change(tx, kind, item.id, key, getattr(item, key), wanted[key], contact_id=item.contact_id)
            setattr(item, key, wanted[key])
        now = utcnow()  # this module's clock (tests move it), not the transaction's
        if hasattr(item, "updated_at"):
            item.updated_at = now
        if "done_at" in changed and item.done_at is not None:
            self._touch(tx.session, item.contact_id, now)
            tx.emit(TaskCompleted, contact_id=item.contact_id, opportunity_id=item.opportunity_id, task_id=item.id)
        if "at" in changed:
            refresh_last_activity(tx.session, item.contact_id)
        tx.emit(
            ActivityUpdated, contact_id=item.contact_id, kind=kind, item_id=item.id,
            opportunity_id=item.opportunity_id, changed=tuple(changed),
        )  # fmt: skip
        return changed

    def delete_activity(self, kind: str, item_id: int, *, origin: str | None = None) -> None:
        """Soft-delete a note, task, appointment or message: it leaves the timeline, agenda, inbox and
        reports; `restore_activity` (or `undo_changes` of this write) brings it back as it was."""
        with self.write(origin) as tx:
            item: Any = self._live(tx.session, activity_model(kind), item_id)
            item.deleted_at = utcnow()
            log_change(tx, kind, item_id, "deleted_at", None, item.deleted_at, contact_id=item.contact_id)
            refresh_last_activity(tx.session, item.contact_id)
            tx.emit(
                ActivityDeleted, contact_id=item.contact_id, kind=kind, item_id=item_id,
                opportunity_id=item.opportunity_id,
            )  # fmt: skip

    def restore_activity(self, kind: str, item_id: int, *, origin: str | None = None) -> None:
        """Bring a deleted item back (a no-op when it is not deleted)."""
        with self.write(origin) as tx:
            item: Any = tx.session.get(activity_model(kind), item_id)
            if item is None:
                raise NotFound(_("no {kind} with id {item_id}").format(kind=_(kind), item_id=item_id))
            if item.deleted_at is None:
                return
            log_change(tx, kind, item_id, "deleted_at", item.deleted_at, None, contact_id=item.contact_id)
            item.deleted_at = None
            refresh_last_activity(tx.session, item.contact_id)
            tx.emit(
                ActivityRestored, contact_id=item.contact_id, kind=kind, item_id=item_id,
                opportunity_id=item.opportunity_id,
            )  # fmt: skip

    def list_tasks(
        self,
        *,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        open_only: bool = False,
        due_before: datetime | None = None,
        limit: int = 200,
    ) -> list[Task]:
        with self.read() as s:
            stmt = select(Task).where(col(Task.deleted_at).is_(None))
            if contact_id is not None:
                stmt = stmt.where(col(Task.contact_id) == contact_id)
            if opportunity_id is not None:
                stmt = stmt.where(col(Task.opportunity_id) == opportunity_id)
            if open_only:
                stmt = stmt.where(col(Task.done_at).is_(None))
            if due_before is not None:
                stmt = stmt.where(col(Task.due_at) < due_before)
            stmt = stmt.order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id)).limit(limit)
            return list(s.execute(stmt).scalars())

    def _inbox_stmt(self, contact_id: int | None, channel: str | None, unread_only: bool) -> Any:
        stmt = (
            select(Message, Contact)
            .join(Contact, col(Contact.id) == col(Message.contact_id))
            .where(col(Message.deleted_at).is_(None), col(Contact.deleted_at).is_(None))
        )
        if contact_id is not None:
            stmt = stmt.where(col(Message.contact_id) == contact_id)
        if channel:
            stmt = stmt.where(col(Message.channel) == channel)
        if unread_only:
            stmt = stmt.where(col(Message.read).is_(False))
        return stmt

    def list_messages(
        self,
        *,
        contact_id: int | None = None,
        channel: str | None = None,
        unread_only: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Message]:
        """Messages across all channels, newest first: the unified inbox."""
        return [
            row.message
            for row in self.inbox(
                contact_id=contact_id, channel=channel, unread_only=unread_only, limit=limit, offset=offset
            )
        ]

    def inbox(
        self,
        *,
        contact_id: int | None = None,
        channel: str | None = None,
        unread_only: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[InboxRow]:
        """Messages with their contact's name, newest first, across every channel."""
        with self.read() as s:
            stmt = self._inbox_stmt(contact_id, channel, unread_only)
            stmt = stmt.order_by(col(Message.at).desc(), col(Message.id).desc()).offset(offset).limit(limit)
            return [InboxRow(message, contact.display_name) for message, contact in s.execute(stmt)]

    def unread_count(self, *, channel: str | None = None) -> int:
        with self.read() as s:
            sub = self._inbox_stmt(None, channel, True).with_only_columns(col(Message.id)).subquery()
            return int(s.execute(select(func.count()).select_from(sub)).one()[0])

    def agenda(self, *, until: datetime, since: datetime | None = None, limit: int = 500) -> list[AgendaItem]:
        """What needs doing: open tasks due before `until` (overdue ones included, however old) and
        appointments from `since` (default: now) to `until`, in time order, of live contacts and deals."""
        since = since or utcnow()
        with self.read() as s:
            titles = {
                oid: title
                for oid, title in s.execute(
                    select(col(Opportunity.id), col(Opportunity.title)).where(col(Opportunity.deleted_at).is_(None))
                )
            }
            tasks = s.execute(
                select(Task, Contact)
                .join(Contact, col(Contact.id) == col(Task.contact_id))
                .where(
                    col(Task.deleted_at).is_(None),
                    col(Task.done_at).is_(None),
                    col(Task.due_at) < until,
                    col(Contact.deleted_at).is_(None),
                )
                .order_by(col(Task.due_at))
                .limit(limit)
            )
            items = [
                AgendaItem(
                    "task",
                    t.id or 0,
                    t.due_at or until,
                    t.title,
                    c.id or 0,
                    c.display_name,
                    t.opportunity_id,
                    titles.get(t.opportunity_id or 0, ""),
                )
                for t, c in tasks
                if t.opportunity_id is None or t.opportunity_id in titles
            ]
            appointments = s.execute(
                select(Appointment, Contact)
                .join(Contact, col(Contact.id) == col(Appointment.contact_id))
                .where(
                    col(Appointment.deleted_at).is_(None),
                    col(Appointment.starts_at) >= since,
                    col(Appointment.starts_at) < until,
                    col(Contact.deleted_at).is_(None),
                )
                .order_by(col(Appointment.starts_at))
                .limit(limit)
            )
            items += [
                AgendaItem(
                    "appointment",
                    a.id or 0,
                    a.starts_at,
                    a.title,
                    c.id or 0,
                    c.display_name,
                    a.opportunity_id,
                    titles.get(a.opportunity_id or 0, ""),
                    a.location,
                )
                for a, c in appointments
                if a.opportunity_id is None or a.opportunity_id in titles
            ]
        return sorted(items, key=lambda item: (item.at, item.kind, item.id))[:limit]
