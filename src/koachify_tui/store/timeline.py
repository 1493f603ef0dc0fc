"""The merged timeline of a contact: its own items and those of all its opportunities, newest first."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase
from .changes import decode
from .models import (
    Appointment,
    ChangeLog,
    Contact,
    HistoryEntry,
    HistoryKind,
    ImportBatch,
    ImportBatchItem,
    Message,
    Note,
    Opportunity,
    Task,
    utcnow,
)

ACTIVITY_KINDS = ("note", "task", "appointment", "message")
#: Filter groups a screen offers; "changes" covers every history entry kind.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "notes": ("note",),
    "tasks": ("task",),
    "appointments": ("appointment",),
    "messages": ("message",),
    "changes": (
        "change",
        "created",
        "stage_change",
        "status_change",
        "import",
        "automation",
        "deleted",
        "restored",
        "merged",
    ),
}
#: Fields a "change" line names (stage, status and deletes have their own history lines).
LABELLED = (
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "source",
    "owner",
    "title",
    "value_minor",
    "currency",
)
SET_FIELDS = ("tag", "email", "phone")


@dataclass(frozen=True)
class TimelineItem:
    """One line of a merged timeline. `ref_id` is the id in the item's own table (history_entry for changes),
    except for the "Imported from" line of a contact an import created: it comes from the batch's undo record
    and has that import_batch_item's id negated, so it never collides with a history entry's id."""

    kind: str
    at: datetime
    text: str
    ref_id: int
    opportunity_id: int | None = None
    opportunity_title: str = ""
    done: bool = False
    overdue: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "text": self.text,
            "id": self.ref_id,
            "opportunity_id": self.opportunity_id,
            "opportunity": self.opportunity_title,
            **({"done": self.done, "due_at": _iso(self.detail.get("due_at"))} if self.kind == "task" else {}),
            **(
                {key: self.detail.get(key) for key in ("channel", "direction", "duration_s", "outcome")}
                if self.kind == "message"
                else {}
            ),
        }


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _edit_text(name: str, old: Any, new: Any, money_of: Callable[[Any], str] = str) -> str | None:
    """The timeline line of one logged change, or None for those shown otherwise (stage moves, status, items).
    `money_of` formats a deal's value (minor units) in the user's locale and the deal's currency."""
    if name in SET_FIELDS and (old is None or new is None):
        added = {"tag": _("Tag added: {v}"), "email": _("Email added: {v}"), "phone": _("Phone added: {v}")}
        removed = {"tag": _("Tag removed: {v}"), "email": _("Email removed: {v}"), "phone": _("Phone removed: {v}")}
        return (added if new is not None else removed)[name].format(v=new if new is not None else old)
    if name.startswith("custom."):
        label = name.removeprefix("custom.")
    elif name in LABELLED:
        labels = {
            "first_name": _("First name"), "last_name": _("Last name"), "company": _("Company"), "email": _("Email"),
            "phone": _("Phone"), "source": _("Source"), "owner": _("Owner"), "title": _("Title"),
            "value_minor": _("Value"), "currency": _("Currency"),
        }  # fmt: skip
        label = labels[name]
    else:
        return None
    if name == "value_minor":
        old, new = (money_of(v) if isinstance(v, int) else v for v in (old, new))
    return _("{field}: {old} → {new}").format(field=label, old=_plain(old) or "–", new=_plain(new) or "–")


def _deal_money(currencies: dict[int, str], locale: str, opportunity_id: int, minor: Any) -> str:
    from ..formatting import money

    return money(int(minor), currencies.get(opportunity_id) or "EUR", locale)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


class TimelineAPI(StoreBase):
    def timeline(
        self,
        contact_id: int,
        *,
        kinds: Collection[str] | None = None,
        opportunity_id: int | None = None,
        before: datetime | None = None,
        limit: int | None = 200,
        locale: str = "it_IT",
    ) -> list[TimelineItem]:
        """Newest-first items of a contact and all its opportunities. `kinds` filters by item kind (see
        KIND_GROUPS), `opportunity_id` to one deal; page with `before` (the `at` of the last item seen).
        The notes, tasks, appointments and messages of a deleted deal are left out (they come back with it);
        `locale` formats the amounts of "Value: … → …" lines."""
        with self.read() as s:
            deals = list(
                s.execute(
                    select(
                        *(col(c) for c in (Opportunity.id, Opportunity.title, Opportunity.currency)),
                        col(Opportunity.deleted_at),
                    ).where(col(Opportunity.contact_id) == contact_id)
                )
            )
            titles = {oid: title for oid, title, _c, _d in deals}
            hidden = {oid for oid, _t, _c, deleted in deals if deleted is not None and oid != opportunity_id}
            currencies = {oid: currency for oid, _t, currency, _d in deals}
            streams = [
                self._stream(s, kind, contact_id, opportunity_id, before, limit, titles, hidden)
                for kind in ("note", "task", "appointment", "message", "history")
                if kinds is None or kind in kinds or (kind == "history" and set(kinds) & set(KIND_GROUPS["changes"]))
            ]
            if opportunity_id is None and (kinds is None or HistoryKind.IMPORT.value in kinds):
                streams.append(self._imported(s, contact_id, before, limit))
            if kinds is not None and "change" in kinds:
                # Field edits are many (an import touches several fields per contact): they show under the
                # "changes" filter, beside the stage moves and status changes, not in the everyday view.
                money_of = partial(_deal_money, currencies, locale)
                streams.append(self._edits(s, contact_id, opportunity_id, before, limit, titles, money_of))
            merged = heapq.merge(*streams, key=lambda item: (item.at, item.ref_id), reverse=True)
            items = [i for i in merged if kinds is None or i.kind in kinds]
            return items[:limit] if limit is not None else items

    def _stream(
        self,
        s: Session,
        kind: str,
        contact_id: int,
        opportunity_id: int | None,
        before: datetime | None,
        limit: int | None,
        titles: dict[int, str],
        hidden: Collection[int] = (),  # deleted deals: their items wait in the Trash with them
    ) -> list[TimelineItem]:
        model: Any = {
            "note": Note,
            "task": Task,
            "appointment": Appointment,
            "message": Message,
            "history": HistoryEntry,
        }[kind]
        at_col = {
            "note": col(Note.created_at),
            "task": col(Task.created_at),
            "appointment": col(Appointment.starts_at),
            "message": col(Message.at),
            "history": col(HistoryEntry.at),
        }[kind]
        stmt = select(model).where(model.contact_id == contact_id)
        if kind != "history":
            stmt = stmt.where(col(model.deleted_at).is_(None))
            if hidden:
                stmt = stmt.where(or_(model.opportunity_id.is_(None), model.opportunity_id.not_in(hidden)))
        if opportunity_id is not None:
            stmt = stmt.where(model.opportunity_id == opportunity_id)
        if before is not None:
            stmt = stmt.where(col(at_col) < before)
        stmt = stmt.order_by(col(at_col).desc(), col(model.id).desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        now = utcnow()
        out = []
        for row in s.execute(stmt).scalars():
            title = titles.get(row.opportunity_id, "") if row.opportunity_id else ""
            if kind == "note":
                out.append(TimelineItem("note", row.created_at, row.body, row.id, row.opportunity_id, title))
            elif kind == "task":
                overdue = row.done_at is None and row.due_at is not None and row.due_at < now
                out.append(
                    TimelineItem(
                        "task",
                        row.created_at,
                        row.title,
                        row.id,
                        row.opportunity_id,
                        title,
                        done=row.done_at is not None,
                        overdue=overdue,
                        detail={"due_at": row.due_at, "done_at": row.done_at},
                    )
                )
            elif kind == "appointment":
                out.append(
                    TimelineItem(
                        "appointment",
                        row.starts_at,
                        row.title,
                        row.id,
                        row.opportunity_id,
                        title,
                        detail={"ends_at": row.ends_at, "location": row.location},
                    )
                )
            elif kind == "message":
                text = (
                    row.subject
                    if row.subject and not row.body
                    else (f"{row.subject}: {row.body}" if row.subject else row.body)
                )
                out.append(
                    TimelineItem(
                        "message",
                        row.at,
                        text,
                        row.id,
                        row.opportunity_id,
                        title,
                        detail={
                            "channel": row.channel,
                            "direction": row.direction,
                            "read": row.read,
                            "duration_s": row.duration_s,
                            "outcome": row.outcome,
                        },
                    )
                )
            else:
                out.append(
                    TimelineItem(
                        row.kind,
                        row.at,
                        row.text,
                        row.id,
                        row.opportunity_id,
                        title,
                        detail={"from": row.from_value, "to": row.to_value, "actor": row.actor},
                    )
                )
        return out

    def _edits(
        self,
        s: Session,
        contact_id: int,
        opportunity_id: int | None,
        before: datetime | None,
        limit: int | None,
        titles: dict[int, str],
        money_of: Callable[[int, Any], str] | None = None,
    ) -> list[TimelineItem]:
        """Field edits from the change log ("Company: Acme → Beta", "Value: 1.000,00 € → 1.500,00 €"), newest
        first."""
        stmt = select(ChangeLog).where(col(ChangeLog.contact_id) == contact_id)
        if opportunity_id is not None:
            stmt = stmt.where(col(ChangeLog.entity) == "opportunity", col(ChangeLog.entity_id) == opportunity_id)
        else:
            stmt = stmt.where(col(ChangeLog.entity).in_(("contact", "opportunity")))
        if before is not None:
            stmt = stmt.where(col(ChangeLog.at) < before)
        stmt = stmt.order_by(col(ChangeLog.at).desc(), col(ChangeLog.id).desc())
        out = []
        for row in s.execute(stmt).scalars():
            fmt: Callable[[Any], str] = partial(money_of, row.entity_id) if money_of else str
            text = _edit_text(row.field, decode(row.old_value), decode(row.new_value), fmt)
            if text is None:
                continue
            oid = row.entity_id if row.entity == "opportunity" else None
            detail = {"from": row.old_value, "to": row.new_value, "actor": row.origin, "cause": row.cause}
            out.append(TimelineItem("change", row.at, text, row.id, oid, titles.get(oid or 0, ""), detail=detail))
            if limit is not None and len(out) >= limit:
                break
        return out

    def _imported(self, s: Session, contact_id: int, before: datetime | None, limit: int | None) -> list[TimelineItem]:
        """The "Imported from FILE" line of a contact an import created, at the batch's start: derived from the
        batch's undo record (import_batch_item), as the importer writes no history row per created contact."""
        stmt = (
            select(col(ImportBatchItem.id), col(ImportBatch.id), col(ImportBatch.filename), col(ImportBatch.started_at))
            .join(ImportBatch, col(ImportBatch.id) == col(ImportBatchItem.batch_id))
            .join(Contact, col(Contact.id) == col(ImportBatchItem.contact_id))
            .where(
                col(ImportBatchItem.contact_id) == contact_id,
                col(ImportBatchItem.action) == "created",
                col(ImportBatch.undone_at).is_(None),  # its contacts were removed: the id may be another's now
                # Purges remove a contact's items; one that an older version left behind must not name a contact
                # that got the id after the batch.
                or_(col(ImportBatch.finished_at).is_(None), col(Contact.created_at) <= col(ImportBatch.finished_at)),
            )
        )
        if before is not None:
            stmt = stmt.where(col(ImportBatch.started_at) < before)
        # Newest first by (at, ref_id) like the other streams: ref_id is the negated item id.
        stmt = stmt.order_by(col(ImportBatch.started_at).desc(), col(ImportBatchItem.id))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [
            TimelineItem(
                HistoryKind.IMPORT.value,
                started_at,
                _("Imported from {file}").format(file=filename),
                -item_id,
                detail={"from": "", "to": "", "actor": "import", "batch_id": batch_id},
            )
            for item_id, batch_id, filename, started_at in s.execute(stmt)
        ]

    def opportunity_history(self, opportunity_id: int) -> list[HistoryEntry]:
        """Stage moves and status changes of one deal, oldest first."""
        with self.read() as s:
            return list(
                s.execute(
                    select(HistoryEntry)
                    .where(col(HistoryEntry.opportunity_id) == opportunity_id)
                    .order_by(col(HistoryEntry.at), col(HistoryEntry.id))
                ).scalars()
            )

    def add_history(
        self,
        kind: str,
        text: str,
        *,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        data: dict[str, Any] | None = None,
        origin: str | None = None,
    ) -> HistoryEntry:
        """Record a system event (an import, an automation run…) on a contact's timeline."""
        import json

        with self.write(origin) as tx:
            if opportunity_id is not None and contact_id is None:
                opp = tx.session.get(Opportunity, opportunity_id)
                contact_id = opp.contact_id if opp else None
            entry = HistoryEntry(
                contact_id=contact_id,
                opportunity_id=opportunity_id,
                kind=kind,
                text=text,
                actor=tx.origin,
                data_json=json.dumps(data or {}, default=str),
            )
            tx.session.add(entry)
            tx.session.flush()
            return entry
