"""Queries the pipeline board needs: filtered per-column pages, totals and positions.

A board column never asks for all its cards: it pages (`board_cards`, by offset or keyset) into a window
the size of the screen, so a pipeline with thousands of open deals opens as fast as an empty one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlmodel import col

from .base import StoreBase
from .models import Contact, Opportunity, OpportunityTag, Pipeline, Stage, Tag
from .normalize import fold
from .opportunities import OpportunityRow, opportunity_rows

STATUSES = ("open", "won", "lost", "abandoned")


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows: `status` None means every status; empty strings mean no filter."""

    status: str | None = "open"
    owner: str = ""
    tag: str = ""
    text: str = ""

    @property
    def is_default(self) -> bool:
        return self == BoardFilter()


class BoardAPI(StoreBase):
    """Paged, filtered reads for the board (a column is one pipeline stage)."""

    def _board_where(self, pipeline_id: int, f: BoardFilter) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            col(Opportunity.pipeline_id) == pipeline_id,
            col(Opportunity.deleted_at).is_(None),
        ]
        if f.status:
            where.append(col(Opportunity.status) == f.status)
        if f.owner:
            where.append(func.lower(col(Opportunity.owner)) == f.owner.strip().lower())
        if f.tag:
            where.append(
                exists(
                    select(col(OpportunityTag.opportunity_id))
                    .join(Tag, col(Tag.id) == col(OpportunityTag.tag_id))
                    .where(col(OpportunityTag.opportunity_id) == col(Opportunity.id), col(Tag.name_key) == fold(f.tag))
                )
            )
        if f.text.strip():
            needle = fold(f.text.strip())
            # Contact.search_text is already casefolded in Python; SQLite's lower() folds ASCII only.
            where.append(
                or_(
                    func.lower(col(Opportunity.title)).contains(needle, autoescape=True),
                    col(Contact.search_text).contains(needle, autoescape=True),
                )
            )
        return where

    def board_cards(
        self,
        pipeline_id: int,
        stage_id: int,
        f: BoardFilter = BoardFilter(),  # noqa: B008 - frozen dataclass, safe as a default
        *,
        offset: int = 0,
        limit: int = 50,
        after: tuple[datetime, int] | None = None,
    ) -> list[OpportunityRow]:
        """One page of a column, most recent stage change first. Page by `offset`, or by keyset with
        `after=(last_stage_change_at, id)` of the last card seen (constant cost however deep)."""
        with self.read() as s:
            stmt: Any = (
                select(Opportunity, Contact, col(Pipeline.name), col(Stage.name))
                .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
                .join(Pipeline, col(Pipeline.id) == col(Opportunity.pipeline_id))
                .join(Stage, col(Stage.id) == col(Opportunity.stage_id))
                .where(col(Opportunity.stage_id) == stage_id, *self._board_where(pipeline_id, f))
            )
            if after is not None:
                at, last_id = after
                stmt = stmt.where(
                    or_(
                        col(Opportunity.last_stage_change_at) < at,
                        and_(col(Opportunity.last_stage_change_at) == at, col(Opportunity.id) < last_id),
                    )
                )
            stmt = stmt.order_by(col(Opportunity.last_stage_change_at).desc(), col(Opportunity.id).desc())
            stmt = stmt.offset(0 if after is not None else offset).limit(limit)
            rows = list(s.execute(stmt))
            return opportunity_rows(s, rows)

    def board_totals(
        self,
        pipeline_id: int,
        f: BoardFilter = BoardFilter(),  # noqa: B008
    ) -> dict[int, tuple[int, int]]:
        """{stage id: (cards, sum of values in minor units)} under the filter (one grouped query)."""
        with self.read() as s:
            stmt: Any = select(
                col(Opportunity.stage_id), func.count(), func.coalesce(func.sum(col(Opportunity.value_minor)), 0)
            ).where(*self._board_where(pipeline_id, f))
            if f.text.strip():
                stmt = stmt.join(Contact, col(Contact.id) == col(Opportunity.contact_id))
            stmt = stmt.group_by(col(Opportunity.stage_id))
            return {sid: (int(n), int(total)) for sid, n, total in s.execute(stmt)}

    def board_position(
        self,
        opportunity_id: int,
        f: BoardFilter = BoardFilter(),  # noqa: B008
    ) -> int | None:
        """Where a card sits in its column under the filter (0 = top), None when the filter hides it."""
        with self.read() as s:
            opp = s.get(Opportunity, opportunity_id)
            if opp is None:
                return None
            base: Any = (
                select(func.count())
                .select_from(Opportunity)
                .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
                .where(col(Opportunity.stage_id) == opp.stage_id, *self._board_where(opp.pipeline_id, f))
            )
            if not s.execute(base.where(col(Opportunity.id) == opportunity_id)).one()[0]:
                return None
            at = opp.last_stage_change_at
            before = base.where(
                or_(
                    col(Opportunity.last_stage_change_at) > at,
                    and_(col(Opportunity.last_stage_change_at) == at, col(Opportunity.id) > opportunity_id),
                )
            )
            return int(s.execute(before).one()[0])

    def lost_reasons(self, limit: int = 15) -> list[str]:
        """Lost reasons already used, most frequent first (the lost-reason picker offers them)."""
        with self.read() as s:
            stmt = (
                select(col(Opportunity.lost_reason), func.count())
                .where(col(Opportunity.lost_reason) != "")
                .group_by(col(Opportunity.lost_reason))
                .order_by(func.count().desc(), col(Opportunity.lost_reason))
                .limit(limit)
            )
            return [reason for reason, _n in s.execute(stmt)]

    def opportunity_owners(self) -> list[str]:
        """Distinct owners of live opportunities, for the owner filter."""
        with self.read() as s:
            stmt = (
                select(col(Opportunity.owner))
                .where(col(Opportunity.owner) != "", col(Opportunity.deleted_at).is_(None))
                .distinct()
                .order_by(col(Opportunity.owner))
            )
            return [owner for (owner,) in s.execute(stmt)]

    def opportunity_tag_names(self) -> list[str]:
        """Tags used on opportunities, for the tag filter."""
        with self.read() as s:
            stmt = (
                select(col(Tag.name))
                .join(OpportunityTag, col(OpportunityTag.tag_id) == col(Tag.id))
                .distinct()
                .order_by(col(Tag.name))
            )
            return [name for (name,) in s.execute(stmt)]


__all__ = ["STATUSES", "BoardAPI", "BoardFilter"]
