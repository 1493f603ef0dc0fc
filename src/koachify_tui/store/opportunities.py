"""Opportunities: creation from a contact, stage moves and status changes with history."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..i18n import _
from . import lookups, versions
from .base import StoreBase, Tx
from .changes import record as log_change
from .errors import InvalidValue, NotFound
from .events import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityEvent,
    OpportunityRestored,
    OpportunityStageChanged,
    OpportunityStatusChanged,
    OpportunityUpdated,
    TagAdded,
    TagRemoved,
)
from .fields import values_of, write_value
from .models import (
    Contact,
    HistoryEntry,
    HistoryKind,
    Opportunity,
    OpportunityStatus,
    OpportunityTag,
    Pipeline,
    Stage,
    Tag,
    Task,
    utcnow,
)
from .normalize import check_amount, clean_text, normalize_currency

OPPORTUNITY_FIELDS = ("title", "value_minor", "currency", "owner", "source", "lost_reason")


@dataclass(frozen=True)
class OpportunityRow:
    """An opportunity with the names a list or a board card needs."""

    id: int
    title: str
    contact_id: int
    contact_name: str
    pipeline_id: int
    pipeline: str
    stage_id: int
    stage: str
    status: str
    value_minor: int
    currency: str
    owner: str
    source: str
    lost_reason: str
    created_at: datetime
    last_stage_change_at: datetime
    closed_at: datetime | None
    deleted_at: datetime | None
    tags: tuple[str, ...] = ()
    overdue_tasks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "contact_id": self.contact_id,
            "contact": self.contact_name,
            "pipeline": self.pipeline,
            "stage": self.stage,
            "status": self.status,
            "value": self.value_minor / 100,
            "value_minor": self.value_minor,
            "currency": self.currency,
            "owner": self.owner,
            "tags": list(self.tags),
        }


def _event_fields(opp: Opportunity) -> dict[str, Any]:
    return {
        "contact_id": opp.contact_id,
        "opportunity_id": opp.id,
        "pipeline_id": opp.pipeline_id,
        "stage_id": opp.stage_id,
        "status": opp.status,
    }


def _set_opportunity_fields(tx: Tx, opp: Opportunity, wanted: Mapping[str, Any]) -> list[str]:
    """Validate and set the deal's plain fields that differ, logging each; the names changed."""
    assert opp.id is not None
    changed = []
    for key, value in wanted.items():
        if isinstance(value, str):
            value = clean_text(value)
        if key == "title" and not value:
            raise InvalidValue(_("an opportunity needs a title"))
        if key == "value_minor" and (not isinstance(value, int) or value < 0):
            raise InvalidValue(_("an opportunity's value must be a non-negative amount"))
        if key == "value_minor":
            check_amount(value)
        if key == "currency":
            value = normalize_currency(str(value))
        if getattr(opp, key) != value:
            log_change(tx, "opportunity", opp.id, key, getattr(opp, key), value, contact_id=opp.contact_id)
            setattr(opp, key, value)
            changed.append(key)
    return changed


class OpportunitiesAPI(StoreBase):
    """Deals: create, edit, move, win/lose, list."""

    def _live_opportunity(self, s: Session, opportunity_id: int) -> Opportunity:
        opp = s.get(Opportunity, opportunity_id)
        if opp is None or opp.deleted_at is not None:
            raise NotFound(_("no opportunity with id {opportunity_id}").format(opportunity_id=opportunity_id))
        return opp

    def get_opportunity(self, opportunity_id: int, *, include_deleted: bool = False) -> Opportunity:
        with self.read() as s:
            opp = s.get(Opportunity, opportunity_id)
            if opp is None or (opp.deleted_at is not None and not include_deleted):
                raise NotFound(_("no opportunity with id {opportunity_id}").format(opportunity_id=opportunity_id))
            return opp

    def create_opportunity(
        self,
        contact_id: int,
        title: str,
        pipeline: int | str,
        *,
        stage: int | str | None = None,
        value_minor: int = 0,
        currency: str = "EUR",
        owner: str = "",
        source: str = "",
        tags: Iterable[str] = (),
        custom: dict[str, Any] | None = None,
        origin: str | None = None,
        created_at: datetime | None = None,
    ) -> Opportunity:
        """Create a deal for a contact, at `stage` (default: the pipeline's first)."""
        title = clean_text(title)
        if not title:
            raise InvalidValue(_("an opportunity needs a title"))
        if value_minor < 0:
            raise InvalidValue(_("an opportunity's value cannot be negative"))
        check_amount(value_minor)
        currency = normalize_currency(currency)
        with self.write(origin) as tx:
            s = tx.session
            contact = s.get(Contact, contact_id)
            if contact is None or contact.deleted_at is not None:
                raise NotFound(_("no contact with id {contact_id}").format(contact_id=contact_id))
            p = lookups.pipeline_row(s, pipeline)
            st = lookups.stage_row(s, p.id or 0, stage) if stage is not None else lookups.first_stage(s, p.id or 0)
            now = created_at or utcnow()
            opp = Opportunity(
                contact_id=contact_id,
                title=title,
                pipeline_id=p.id or 0,
                stage_id=st.id or 0,
                value_minor=value_minor,
                currency=currency,
                owner=clean_text(owner),
                source=clean_text(source) or contact.source,
                created_at=now,
                updated_at=now,
                last_stage_change_at=now,
            )
            s.add(opp)
            s.flush()
            assert opp.id is not None
            log_change(tx, "opportunity", opp.id, "created", None, True, contact_id=contact_id)
            _deal_line(tx, opp, HistoryKind.CREATED, f"Opportunity created in {p.name} at {st.name}", at=now,
                       to_value=st.name)  # fmt: skip
            contact.last_activity_at = now
            tag_names = [t for t in (clean_text(t) for t in tags) if t]
            for name in tag_names:
                self._link_opportunity_tag(tx, opp, name, emit=False)
            for key, value in (custom or {}).items():
                write_value(tx, "opportunity", opp.id, key, value, contact_id=contact_id)
            tx.emit(OpportunityCreated, **_event_fields(opp))
            for name in tag_names:
                tx.emit(TagAdded, contact_id=contact_id, opportunity_id=opp.id, tag=name)
            return opp

    def update_opportunity(
        self,
        opportunity_id: int,
        changes: Mapping[str, Any] | None = None,
        *,
        stage: int | str | None = None,
        pipeline: int | str | None = None,
        custom: Mapping[str, Any] | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        origin: str | None = None,
        expected_version: int | None = None,
        overwrite: Iterable[str] = (),
        **fields: Any,
    ) -> Opportunity:
        """Apply a change set to a deal in one transaction: title, value, currency, owner, source or lost
        reason (`changes` or keywords), a stage move, custom values, tags to add and remove. Only what
        differs is written, logged and announced. Status has its own call (`set_status`).
        `expected_version`: as in `update_contact` (a field others changed meanwhile → `EditConflict`)."""
        wanted = {**(changes or {}), **fields}
        for key in wanted:
            if key not in OPPORTUNITY_FIELDS:
                raise InvalidValue(_("unknown or read-only opportunity field {key!r}").format(key=key))
        with self.write(origin) as tx:
            opp = self._live_opportunity(tx.session, opportunity_id)
            if expected_version is not None:
                mine = {**wanted, **{f"custom.{k}": v for k, v in (custom or {}).items()}}
                if stage is not None and isinstance(stage, int):
                    mine["stage_id"] = stage
                for name in overwrite:  # the user saw the other value and keeps theirs
                    mine.pop(name, None)
                stored = values_of(tx.session, "opportunity", opportunity_id) if custom else {}
                versions.check(
                    tx,
                    "opportunity",
                    opportunity_id,
                    expected_version,
                    mine,
                    lambda f: stored.get(f[7:]) if f.startswith("custom.") else getattr(opp, f),
                )
            changed = _set_opportunity_fields(tx, opp, wanted)
            for key, value in (custom or {}).items():
                if write_value(tx, "opportunity", opportunity_id, key, value, contact_id=opp.contact_id):
                    changed.append(f"custom.{key}")
            if changed:
                opp.updated_at = utcnow()
                tx.emit(OpportunityUpdated, changed=tuple(changed), **_event_fields(opp))
            for name in remove_tags:
                self._unlink_opportunity_tag(tx, opp, name)
            for name in add_tags:
                self._link_opportunity_tag(tx, opp, name)
            if stage is not None:
                self.move_opportunity(opportunity_id, stage, pipeline=pipeline, origin=origin)
            return opp

    def move_opportunity(
        self, opportunity_id: int, stage: int | str, *, pipeline: int | str | None = None, origin: str | None = None
    ) -> Opportunity:
        """Move a deal to another stage (of its pipeline, or of `pipeline`). Records history; a move to the
        stage it is already at does nothing."""
        with self.write(origin) as tx:
            return move_deal(tx, self._live_opportunity(tx.session, opportunity_id), stage, pipeline)

    def set_status(
        self, opportunity_id: int, status: str | OpportunityStatus, *, reason: str = "", origin: str | None = None
    ) -> Opportunity:
        """Mark a deal open, won, lost (with a reason) or abandoned. The stage is left as it is."""
        try:
            new = OpportunityStatus(str(status).lower())
        except ValueError:
            raise InvalidValue(
                _("unknown status {status!r} (open, won, lost, abandoned)").format(status=status)
            ) from None
        with self.write(origin) as tx:
            return set_deal_status(tx, self._live_opportunity(tx.session, opportunity_id), new, reason)

    def _touch_contact(self, s: Session, contact_id: int, now: datetime) -> None:
        _touch_contact(s, contact_id, now)

    def delete_opportunity(self, opportunity_id: int, *, origin: str | None = None) -> None:
        """Soft-delete a deal: it leaves the board, reports, lists and exports; its notes, tasks and history
        stay attached and come back with `restore_opportunity` (or `undo_changes` of this write)."""
        with self.write(origin) as tx:
            opp = self._live_opportunity(tx.session, opportunity_id)
            opp.deleted_at = utcnow()
            log_change(tx, "opportunity", opportunity_id, "deleted_at", None, opp.deleted_at,
                           contact_id=opp.contact_id)  # fmt: skip
            _deal_line(tx, opp, HistoryKind.DELETED, f"Opportunity deleted: {opp.title}")
            tx.emit(OpportunityDeleted, **_event_fields(opp))

    def restore_opportunity(self, opportunity_id: int, *, origin: str | None = None) -> Opportunity:
        """Bring a deleted deal back where it was (stage, status, notes, tasks); its contact must be live."""
        with self.write(origin) as tx:
            opp = tx.session.get(Opportunity, opportunity_id)
            if opp is None or opp.deleted_at is None:
                raise NotFound(
                    _("no deleted opportunity with id {opportunity_id}").format(opportunity_id=opportunity_id)
                )
            contact = tx.session.get(Contact, opp.contact_id)
            if contact is None or contact.deleted_at is not None:
                raise InvalidValue(_("restore the opportunity's contact first"))
            log_change(tx, "opportunity", opportunity_id, "deleted_at", opp.deleted_at, None,
                           contact_id=opp.contact_id)  # fmt: skip
            opp.deleted_at = None
            _deal_line(tx, opp, HistoryKind.RESTORED, f"Opportunity restored: {opp.title}")
            tx.emit(OpportunityRestored, **_event_fields(opp))
            return opp

    # --- tags ------------------------------------------------------------------------------------------

    def _link_opportunity_tag(self, tx: Tx, opp: Opportunity, name: str, *, emit: bool = True) -> bool:
        tag = lookups.tag_row(tx.session, name, create=True)
        assert tag is not None and tag.id is not None and opp.id is not None
        if tx.session.get(OpportunityTag, (opp.id, tag.id)) is not None:
            return False
        tx.session.add(OpportunityTag(opportunity_id=opp.id, tag_id=tag.id))
        tx.session.flush()
        log_change(tx, "opportunity", opp.id, "tag", None, tag.name, contact_id=opp.contact_id)
        if emit:
            tx.emit(TagAdded, contact_id=opp.contact_id, opportunity_id=opp.id, tag=tag.name)
        return True

    def add_opportunity_tag(self, opportunity_id: int, name: str, *, origin: str | None = None) -> bool:
        with self.write(origin) as tx:
            opp = self._live_opportunity(tx.session, opportunity_id)
            return self._link_opportunity_tag(tx, opp, name)

    def _unlink_opportunity_tag(self, tx: Tx, opp: Opportunity, name: str) -> bool:
        tag = lookups.tag_row(tx.session, name, create=False)
        link = tx.session.get(OpportunityTag, (opp.id, tag.id)) if tag else None
        if tag is None or link is None or opp.id is None:
            return False
        tx.session.delete(link)
        log_change(tx, "opportunity", opp.id, "tag", tag.name, None, contact_id=opp.contact_id)
        tx.emit(TagRemoved, contact_id=opp.contact_id, opportunity_id=opp.id, tag=tag.name)
        return True

    def remove_opportunity_tag(self, opportunity_id: int, name: str, *, origin: str | None = None) -> bool:
        with self.write(origin) as tx:
            opp = self._live_opportunity(tx.session, opportunity_id)
            return self._unlink_opportunity_tag(tx, opp, name)

    def opportunity_tags(self, opportunity_id: int) -> list[str]:
        with self.read() as s:
            return [
                r[0]
                for r in s.execute(
                    select(col(Tag.name))
                    .join(OpportunityTag, col(OpportunityTag.tag_id) == col(Tag.id))
                    .where(col(OpportunityTag.opportunity_id) == opportunity_id)
                    .order_by(col(Tag.name_key))
                )
            ]

    # --- listing ---------------------------------------------------------------------------------------

    def list_opportunities(
        self,
        *,
        pipeline: int | str | None = None,
        stage_id: int | None = None,
        status: str | None = None,
        contact_id: int | None = None,
        owner: str | None = None,
        deleted: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[OpportunityRow]:
        """Opportunities with their contact, pipeline and stage names, newest stage change first within
        a stage; `status=None` means every status."""
        with self.read() as s:
            stmt = (
                select(Opportunity, Contact, col(Pipeline.name), col(Stage.name))
                .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
                .join(Pipeline, col(Pipeline.id) == col(Opportunity.pipeline_id))
                .join(Stage, col(Stage.id) == col(Opportunity.stage_id))
                .where(col(Opportunity.deleted_at).is_not(None) if deleted else col(Opportunity.deleted_at).is_(None))
            )
            if pipeline is not None:
                stmt = stmt.where(col(Opportunity.pipeline_id) == lookups.pipeline_row(s, pipeline).id)
            if stage_id is not None:
                stmt = stmt.where(col(Opportunity.stage_id) == stage_id)
            if status:
                stmt = stmt.where(col(Opportunity.status) == status)
            if contact_id is not None:
                stmt = stmt.where(col(Opportunity.contact_id) == contact_id)
            if owner:
                stmt = stmt.where(func.lower(col(Opportunity.owner)) == owner.lower())
            stmt = stmt.order_by(
                col(Pipeline.position),
                col(Stage.position),
                col(Opportunity.last_stage_change_at).desc(),
                col(Opportunity.id).desc(),
            ).offset(offset)
            if limit is not None:
                stmt = stmt.limit(limit)
            rows = list(s.execute(stmt))
            return self._opportunity_rows(s, rows)

    def opportunity_row(self, opportunity_id: int) -> OpportunityRow:
        with self.read() as s:
            rows = list(
                s.execute(
                    select(Opportunity, Contact, col(Pipeline.name), col(Stage.name))
                    .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
                    .join(Pipeline, col(Pipeline.id) == col(Opportunity.pipeline_id))
                    .join(Stage, col(Stage.id) == col(Opportunity.stage_id))
                    .where(col(Opportunity.id) == opportunity_id)
                )
            )
            if not rows:
                raise NotFound(_("no opportunity with id {opportunity_id}").format(opportunity_id=opportunity_id))
            return self._opportunity_rows(s, rows)[0]

    def _opportunity_rows(self, s: Session, rows: list[Any]) -> list[OpportunityRow]:
        return opportunity_rows(s, rows)

    def stage_totals(
        self, pipeline: int | str, *, status: str | None = OpportunityStatus.OPEN.value
    ) -> dict[int, tuple[int, int]]:
        """{stage id: (number of opportunities, sum of values in minor units)} for a pipeline."""
        with self.read() as s:
            pid = lookups.pipeline_row(s, pipeline).id
            stmt = (
                select(
                    col(Opportunity.stage_id), func.count(), func.coalesce(func.sum(col(Opportunity.value_minor)), 0)
                )
                .where(col(Opportunity.pipeline_id) == pid, col(Opportunity.deleted_at).is_(None))
                .group_by(col(Opportunity.stage_id))
            )
            if status:
                stmt = stmt.where(col(Opportunity.status) == status)
            return {sid: (int(n), int(total)) for sid, n, total in s.execute(stmt)}


__all__ = ["OpportunitiesAPI", "OpportunityEvent", "OpportunityRow"]


def opportunity_rows(s: Session, rows: list[Any]) -> list[OpportunityRow]:
    ids = [r[0].id for r in rows]
    tags: dict[int, list[str]] = {}
    overdue: dict[int, int] = {}
    now = utcnow()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for oid, name in s.execute(
            select(col(OpportunityTag.opportunity_id), col(Tag.name))
            .join(Tag, col(Tag.id) == col(OpportunityTag.tag_id))
            .where(col(OpportunityTag.opportunity_id).in_(chunk))
            .order_by(col(Tag.name_key))
        ):
            tags.setdefault(oid, []).append(name)
        for oid, count in s.execute(
            select(col(Task.opportunity_id), func.count())
            .where(
                col(Task.opportunity_id).in_(chunk),
                col(Task.done_at).is_(None),
                col(Task.deleted_at).is_(None),
                col(Task.due_at) < now,
            )
            .group_by(col(Task.opportunity_id))
        ):
            overdue[oid] = int(count)
    return [
        OpportunityRow(
            id=o.id,
            title=o.title,
            contact_id=o.contact_id,
            contact_name=c.display_name,
            pipeline_id=o.pipeline_id,
            pipeline=pname,
            stage_id=o.stage_id,
            stage=sname,
            status=o.status,
            value_minor=o.value_minor,
            currency=o.currency,
            owner=o.owner,
            source=o.source,
            lost_reason=o.lost_reason,
            created_at=o.created_at,
            last_stage_change_at=o.last_stage_change_at,
            closed_at=o.closed_at,
            deleted_at=o.deleted_at,
            tags=tuple(tags.get(o.id, ())),
            overdue_tasks=overdue.get(o.id, 0),
        )
        for o, c, pname, sname in rows
    ]


def set_deal_status(tx: Tx, opp: Opportunity, new: OpportunityStatus, reason: str = "") -> Opportunity:
    """Set a live deal's status in `tx`: change log, history, the contact's last activity, the event. The one
    implementation behind `set_status` and the win a move into a won-on-entry stage makes."""
    s = tx.session
    assert opp.id is not None
    old = opp.status
    reason = clean_text(reason)
    if old == new.value and (new is not OpportunityStatus.LOST or reason == opp.lost_reason):
        return opp
    now = utcnow()
    log_change(tx, "opportunity", opp.id, "status", old, new.value, contact_id=opp.contact_id)
    log_change(tx, "opportunity", opp.id, "lost_reason", opp.lost_reason,
               reason if new is OpportunityStatus.LOST else "", contact_id=opp.contact_id)  # fmt: skip
    opp.status = new.value
    opp.lost_reason = reason if new is OpportunityStatus.LOST else ""
    opp.last_status_change_at = opp.updated_at = now
    opp.closed_at = None if new is OpportunityStatus.OPEN else now
    text = f"{old} → {new.value}" + (f" ({reason})" if reason and new is OpportunityStatus.LOST else "")
    _deal_line(tx, opp, HistoryKind.STATUS_CHANGE, text, at=now, from_value=old, to_value=new.value)
    _touch_contact(s, opp.contact_id, now)
    if old != new.value:
        tx.emit(OpportunityStatusChanged, from_status=old, to_status=new.value, **_event_fields(opp))
    return opp


def _deal_line(tx: Tx, opp: Opportunity, kind: HistoryKind, text: str, **fields: Any) -> None:
    """A line of the deal's history (its contact's timeline shows it too), by this transaction's actor."""
    tx.session.add(
        HistoryEntry(
            contact_id=opp.contact_id, opportunity_id=opp.id, kind=kind.value, actor=tx.origin, text=text, **fields
        )
    )


def move_deal(
    tx: Tx, opp: Opportunity, stage: int | str, pipeline: int | str | None = None, *, auto_win: bool = True
) -> Opportunity:
    """Move a live deal to a stage in `tx`: history, change log, the contact's last activity, the event. The
    one implementation behind `move_opportunity` and the moves a pipeline or stage deletion makes.
    Entering a won-on-entry stage also marks an open deal won (`auto_win`; not when an undo moves it back,
    nor for the moves a stage or pipeline deletion makes)."""
    s = tx.session
    assert opp.id is not None
    opportunity_id = opp.id
    target_pipeline = lookups.pipeline_row(s, pipeline) if pipeline is not None else s.get(Pipeline, opp.pipeline_id)
    assert target_pipeline is not None and target_pipeline.id is not None
    target = lookups.stage_row(s, target_pipeline.id, stage)
    if target.id == opp.stage_id:
        return opp
    old_stage = s.get(Stage, opp.stage_id)
    old_name = old_stage.name if old_stage else ""
    old_pipeline_id, old_stage_id = opp.pipeline_id, opp.stage_id
    now = utcnow()
    contact_id = opp.contact_id
    log_change(tx, "opportunity", opportunity_id, "pipeline_id", old_pipeline_id, target_pipeline.id,
               contact_id=contact_id)  # fmt: skip
    log_change(tx, "opportunity", opportunity_id, "stage_id", old_stage_id, target.id, contact_id=contact_id)
    opp.pipeline_id, opp.stage_id = target_pipeline.id, target.id or 0
    opp.last_stage_change_at = opp.updated_at = now
    text = f"{old_name} → {target.name}"
    if old_pipeline_id != target_pipeline.id:
        old_p = s.get(Pipeline, old_pipeline_id)
        text = f"{old_p.name if old_p else '?'}: {old_name} → {target_pipeline.name}: {target.name}"
    _deal_line(
        tx,
        opp,
        HistoryKind.STAGE_CHANGE,
        text,
        at=now,
        from_value=old_name,
        to_value=target.name,
        data_json=json.dumps(
            {
                "from_stage_id": old_stage_id,
                "to_stage_id": target.id,
                "from_pipeline_id": old_pipeline_id,
                "to_pipeline_id": target_pipeline.id,
            }
        ),
    )
    _touch_contact(s, opp.contact_id, now)
    tx.emit(
        OpportunityStageChanged,
        from_pipeline_id=old_pipeline_id,
        from_stage_id=old_stage_id,
        from_stage=old_name,
        to_stage=target.name,
        **_event_fields(opp),
    )
    undoing = tx.cause.kind in ("undo", "import_undo")
    if auto_win and not undoing and target.won_on_entry and opp.status == OpportunityStatus.OPEN.value:
        set_deal_status(tx, opp, OpportunityStatus.WON)
    return opp


def _touch_contact(s: Session, contact_id: int, now: datetime) -> None:
    contact = s.get(Contact, contact_id)
    if contact is not None:
        contact.last_activity_at = now
