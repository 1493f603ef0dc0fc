"""The rules every edit of a note, task, appointment or message goes through (one rule set per entity: the
TUI forms, the CLI and undo all call `ActivitiesAPI.update_activity`, which checks changes here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from ..i18n import _
from .errors import InvalidValue
from .models import Appointment, Channel, Contact, Direction, HistoryEntry, Message, Note, Task
from .normalize import clean_text

ACTIVITY_MODELS: dict[str, type[SQLModel]] = {
    "note": Note,
    "task": Task,
    "appointment": Appointment,
    "message": Message,
}
#: What an edit may change, per kind (ids, owners and timestamps the store keeps are not among them).
EDITABLE: dict[str, frozenset[str]] = {
    "note": frozenset({"body", "author"}),
    "task": frozenset({"title", "notes", "due_at", "done_at", "owner"}),
    "appointment": frozenset({"title", "starts_at", "ends_at", "location", "notes"}),
    "message": frozenset({"channel", "direction", "subject", "body", "at", "read", "duration_s", "outcome"}),
}
DATETIME_FIELDS = frozenset({"due_at", "done_at", "starts_at", "ends_at", "at"})
MULTILINE = frozenset({"body", "notes"})


def activity_model(kind: str) -> type[SQLModel]:
    try:
        return ACTIVITY_MODELS[kind]
    except KeyError:
        raise InvalidValue(
            _("unknown kind {kind!r}: use note, task, appointment or message").format(kind=kind)
        ) from None


def as_datetime(value: Any) -> datetime | None:
    """A datetime column's value from a datetime or ISO text (the change log keeps ISO text)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(_("invalid date {text!r}").format(text=value)) from None


def same_value(a: Any, b: Any) -> bool:
    """Equal as stored: datetimes compare as instants (a local and a UTC spelling of one moment are equal)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b
    return bool(a == b) and type(a) is type(b) or (a is None and b is None)


def _checked(kind: str, key: str, value: Any) -> Any:
    if key in DATETIME_FIELDS:
        return as_datetime(value)
    if key == "duration_s":
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidValue(_("a duration is a number of seconds, 0 or more"))
        return value
    if key == "read":
        return bool(value)
    if key in ("channel", "direction"):
        try:
            return (Channel if key == "channel" else Direction)(str(value)).value
        except ValueError as exc:
            raise InvalidValue(str(exc)) from None
    return clean_text(str(value or ""), multiline=key in MULTILINE).strip() if isinstance(value, str) else value


def checked_changes(kind: str, item: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` cleaned and validated against the item's rules, or InvalidValue naming the first problem."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE[kind]:
            raise InvalidValue(_("cannot change {key!r} of a {kind}").format(key=key, kind=kind))
        out[key] = _checked(kind, key, value)
    merged = {key: out.get(key, getattr(item, key)) for key in EDITABLE[kind]}
    if kind in ("task", "appointment") and not merged["title"]:
        raise InvalidValue(_("a task needs a title") if kind == "task" else _("an appointment needs a title"))
    if kind == "note" and not merged["body"]:
        raise InvalidValue(_("a note cannot be empty"))
    if kind == "message" and not (
        merged["body"] or merged["subject"] or merged["outcome"] or merged["duration_s"] is not None
    ):
        raise InvalidValue(_("a message needs a subject or a body"))
    if kind == "appointment" and merged["ends_at"] is not None and merged["ends_at"] < merged["starts_at"]:
        raise InvalidValue(_("an appointment cannot end before it starts"))
    return out


def snoozed_due(due: datetime | None, days: int, now: datetime) -> datetime:
    """`due` moved by `days`, counted from today (local) when it is overdue or unset; its local time of day
    kept (23:59 when there is none, as the task form sets)."""
    local_now = now.astimezone()
    if due is None:
        start, at = local_now.date(), time(23, 59)
    else:
        local_due = due.astimezone()
        at = local_due.time().replace(tzinfo=None)
        start = local_due.date() if due >= now else local_now.date()
    day = start + timedelta(days=days)
    return datetime.combine(day, at).astimezone()


def refresh_last_activity(s: Session, contact_id: int) -> None:
    """Recompute a contact's last activity from what is still there (after a delete, a restore or a moved
    message): the newest live note, task (written or done), appointment written, message, or deal event."""
    s.flush()

    def newest(column: Any, model: Any) -> Any:
        return select(func.max(column)).where(model.contact_id == contact_id, col(model.deleted_at).is_(None))

    candidates = [
        newest(col(Note.created_at), Note),
        newest(col(Task.created_at), Task),
        newest(col(Task.done_at), Task),
        newest(col(Appointment.created_at), Appointment),
        newest(col(Message.at), Message),
        select(func.max(col(HistoryEntry.at))).where(col(HistoryEntry.contact_id) == contact_id),
    ]
    values = [s.execute(stmt).scalar() for stmt in candidates]
    found = [v for v in values if v is not None]
    contact = s.get(Contact, contact_id)
    if contact is not None:
        contact.last_activity_at = max(found) if found else None


def due_from_text(text: str, locale: str | None, *, keep: datetime | None = None) -> datetime:
    """A task's due time from what the user typed, through the app's date parser: a date with a time is due
    then; a date alone keeps `keep`'s local time of day (a snoozed task), else 23:59 (local)."""
    from .dates import parse_date, parse_datetime

    if re.search(r"\d[:.]\d{2}$", text.strip()):
        return parse_datetime(text, locale=locale)
    day = parse_date(text, locale=locale)
    at = keep.astimezone().time().replace(tzinfo=None) if keep is not None else time(23, 59)
    return datetime.combine(day, at).astimezone()
