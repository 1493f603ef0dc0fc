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
from .base import StoreBase
from .changes import record as log_change
from .errors import InvalidValue, NotFound
from .events import AppointmentAdded, MessageLogged, NoteAdded, TaskAdded, TaskCompleted
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


ACTIVITY_MODELS: dict[str, type[SQLModel]] = {
    "note": Note,
    "task": Task,
    "appointment": Appointment,
    "message": Message,
}


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
        """Mark a task done (or, with done=False, open again)."""
        with self.write(origin) as tx:
            task = self._live(tx.session, Task, task_id)
            if (task.done_at is not None) == done:
                return task
            now = utcnow()
            log_change(tx, "task", task_id, "done_at", task.done_at, now if done else None, contact_id=task.contact_id)
            task.done_at = now if done else None
            task.updated_at = now
            if done:
                self._touch(tx.session, task.contact_id, now)
                tx.emit(TaskCompleted, contact_id=task.contact_id, opportunity_id=task.opportunity_id, task_id=task_id)
            return task

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
        origin: str | None = None,
    ) -> Message:
        """Log a communication (email, SMS, WhatsApp, call, chat…) with a contact."""
        try:
            channel = Channel(channel).value
            direction = Direction(direction).value
        except ValueError as exc:
            raise InvalidValue(str(exc)) from None
        body = clean_text(body, multiline=True)
        if not body and not subject:
            raise InvalidValue(_("a message needs a subject or a body"))
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
            return self._live(s, ACTIVITY_MODELS[kind], item_id)

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
        cleaned like on creation). Only what differs is written and logged."""
        model = ACTIVITY_MODELS[kind]
        with self.write(origin) as tx:
            item: Any = self._live(tx.session, model, item_id)
            changed = False
            for key, value in {**(changes or {}), **fields}.items():
                if key in {"id", "contact_id", "opportunity_id", "created_at", "deleted_at"} or not hasattr(item, key):
                    raise InvalidValue(_("cannot change {key!r} of a {kind}").format(key=key, kind=kind))
                if isinstance(value, str):
                    value = clean_text(value, multiline=key in {"body", "notes"})
                if getattr(item, key) != value:
                    log_change(tx, kind, item_id, key, getattr(item, key), value, contact_id=item.contact_id)
                    setattr(item, key, value)
                    changed = True
            if changed and hasattr(item, "updated_at"):
                item.updated_at = utcnow()
            return item

    def delete_activity(self, kind: str, item_id: int, *, origin: str | None = None) -> None:
        with self.write(origin) as tx:
            item: Any = self._live(tx.session, ACTIVITY_MODELS[kind], item_id)
            item.deleted_at = utcnow()
            log_change(tx, kind, item_id, "deleted_at", None, item.deleted_at, contact_id=item.contact_id)

    def restore_activity(self, kind: str, item_id: int, *, origin: str | None = None) -> None:
        with self.write(origin) as tx:
            item: Any = tx.session.get(ACTIVITY_MODELS[kind], item_id)
            if item is None:
                raise NotFound(_("no {kind} with id {item_id}").format(kind=_(kind), item_id=item_id))
            log_change(tx, kind, item_id, "deleted_at", item.deleted_at, None, contact_id=item.contact_id)
            item.deleted_at = None

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
