"""Pipelines and their ordered stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from ..i18n import N_, _
from . import lookups
from .base import StoreBase
from .errors import Conflict, InvalidValue, NotFound, StoreError
from .models import Opportunity, Pipeline, Stage
from .normalize import clean_text, fold
from .opportunities import move_deal

DEFAULT_PIPELINE = "Vendite Coaching"
DEFAULT_STAGES = ("Nuovo contatto", "Proposta inviata", "Contratto vinto")


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    position: int
    won_on_entry: bool = False  # moving a deal into this stage also marks it won


@dataclass(frozen=True)
class PipelineInfo:
    """A pipeline with its stages in order."""

    id: int
    name: str
    position: int
    stages: tuple[StageInfo, ...]

    def stage(self, ref: int | str) -> StageInfo:
        for st in self.stages:
            if st.id == ref or (isinstance(ref, str) and fold(st.name) == fold(ref)):
                return st
        raise NotFound(_("no stage {ref!r} in pipeline {name!r}").format(ref=ref, name=self.name))

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "stages": [
                {"id": s.id, "name": s.name, "position": s.position, "won_on_entry": s.won_on_entry}
                for s in self.stages
            ],
        }


class PipelinesAPI(StoreBase):
    """Create, rename, reorder and delete pipelines and stages; nothing is ever orphaned."""

    def list_pipelines(self) -> list[PipelineInfo]:
        with self.read() as s:
            pipelines = list(s.execute(select(Pipeline).order_by(col(Pipeline.position), col(Pipeline.id))).scalars())
            stages = list(
                s.execute(select(Stage).order_by(col(Stage.pipeline_id), col(Stage.position), col(Stage.id))).scalars()
            )
        by_pipeline: dict[int, list[StageInfo]] = {}
        for st in stages:
            by_pipeline.setdefault(st.pipeline_id, []).append(
                StageInfo(st.id or 0, st.name, st.position, bool(st.won_on_entry))
            )
        return [PipelineInfo(p.id or 0, p.name, p.position, tuple(by_pipeline.get(p.id or 0, ()))) for p in pipelines]

    def get_pipeline(self, ref: int | str) -> PipelineInfo:
        """A pipeline by id or (case-insensitive) name."""
        for p in self.list_pipelines():
            if p.id == ref or (isinstance(ref, str) and fold(p.name) == fold(ref)):
                return p
        raise NotFound(_("no pipeline {ref!r}").format(ref=ref))

    def _pipeline_row(self, s: Session, ref: int | str) -> Pipeline:
        return lookups.pipeline_row(s, ref)

    def _stage_row(self, s: Session, pipeline_id: int, ref: int | str) -> Stage:
        return lookups.stage_row(s, pipeline_id, ref)

    def _first_stage(self, s: Session, pipeline_id: int) -> Stage:
        return lookups.first_stage(s, pipeline_id)

    @staticmethod
    def _clean_name(name: str, what: str) -> str:
        name = clean_text(name)
        if not name:
            raise InvalidValue(_("a {what} needs a name").format(what=_(what)))
        return name

    def create_pipeline(self, name: str, stages: Sequence[str] = ()) -> PipelineInfo:
        name = self._clean_name(name, N_("pipeline"))
        stage_names = [self._clean_name(st, "stage") for st in stages]
        if len({fold(n) for n in stage_names}) != len(stage_names):
            raise Conflict(_("stage names must be unique within a pipeline"))
        with self.write() as tx:
            s = tx.session
            if s.execute(select(Pipeline).where(col(Pipeline.name_key) == fold(name))).first():
                raise Conflict(_("a pipeline named {name!r} already exists").format(name=name))
            if not stage_names:
                raise InvalidValue(_("a pipeline needs at least one stage"))
            position = int(s.execute(select(func.coalesce(func.max(col(Pipeline.position)), -1))).one()[0]) + 1
            pipeline = Pipeline(name=name, name_key=fold(name), position=position)
            s.add(pipeline)
            s.flush()
            assert pipeline.id is not None
            for i, st in enumerate(stage_names):
                s.add(Stage(pipeline_id=pipeline.id, name=st, name_key=fold(st), position=i))
            pipeline_id = pipeline.id
        return self.get_pipeline(pipeline_id)

    def rename_pipeline(self, ref: int | str, new_name: str) -> PipelineInfo:
        new_name = self._clean_name(new_name, N_("pipeline"))
        with self.write() as tx:
            pipeline = self._pipeline_row(tx.session, ref)
            clash = (
                tx.session.execute(select(Pipeline).where(col(Pipeline.name_key) == fold(new_name))).scalars().first()
            )
            if clash is not None and clash.id != pipeline.id:
                raise Conflict(_("a pipeline named {new_name!r} already exists").format(new_name=new_name))
            pipeline.name, pipeline.name_key = new_name, fold(new_name)
            pipeline_id = pipeline.id or 0
        return self.get_pipeline(pipeline_id)

    def delete_pipeline(self, ref: int | str, *, move_to_stage: int | None = None) -> None:
        """Delete a pipeline. Its opportunities (deleted ones included) must be moved to `move_to_stage`
        of another pipeline; without it, a pipeline holding opportunities is refused."""
        with self.write() as tx:
            s = tx.session
            pipeline = self._pipeline_row(s, ref)
            count = int(
                s.execute(
                    select(func.count()).select_from(Opportunity).where(col(Opportunity.pipeline_id) == pipeline.id)
                ).one()[0]
            )
            if count:
                if move_to_stage is None:
                    raise Conflict(
                        _("pipeline {name!r} holds {count} opportunities: say where to move them").format(
                            name=pipeline.name, count=count
                        )
                    )
                target = s.get(Stage, move_to_stage)
                if target is None or target.pipeline_id == pipeline.id:
                    raise InvalidValue(_("move the opportunities to a stage of another pipeline"))
                for opp in list(
                    s.execute(
                        select(Opportunity).where(
                            col(Opportunity.pipeline_id) == pipeline.id, col(Opportunity.deleted_at).is_(None)
                        )
                    ).scalars()
                ):
                    move_deal(tx, opp, target.id or 0, target.pipeline_id, auto_win=False)
                s.execute(
                    update(Opportunity)
                    .where(col(Opportunity.pipeline_id) == pipeline.id)
                    .values(pipeline_id=target.pipeline_id, stage_id=target.id)
                )
            s.delete(pipeline)

    def add_stage(
        self, pipeline: int | str, name: str, *, position: int | None = None, won_on_entry: bool = False
    ) -> StageInfo:
        """Add a stage at `position` (0-based; default: last); `won_on_entry`: see `update_stage`."""
        name = self._clean_name(name, "stage")
        with self.write() as tx:
            s = tx.session
            p = self._pipeline_row(s, pipeline)
            stages = list(
                s.execute(
                    select(Stage).where(col(Stage.pipeline_id) == p.id).order_by(col(Stage.position), col(Stage.id))
                ).scalars()
            )
            if any(st.name_key == fold(name) for st in stages):
                raise Conflict(
                    _("pipeline {name!r} already has a stage named {name2!r}").format(name=p.name, name2=name)
                )
            new = Stage(pipeline_id=p.id or 0, name=name, name_key=fold(name), won_on_entry=won_on_entry)
            stages.insert(len(stages) if position is None else max(0, min(position, len(stages))), new)
            for i, st in enumerate(stages):
                st.position = i
                s.add(st)
            s.flush()
            return StageInfo(new.id or 0, new.name, new.position, won_on_entry)

    def rename_stage(self, stage_id: int, new_name: str) -> None:
        self.update_stage(stage_id, name=new_name)

    def update_stage(self, stage_id: int, *, name: str | None = None, won_on_entry: bool | None = None) -> StageInfo:
        """Rename a stage and/or set whether entering it wins the deal (a move into a won-on-entry stage also
        marks the deal won, in the same transaction: history, event and automations as for `w`)."""
        with self.write() as tx:
            st = tx.session.get(Stage, stage_id)
            if st is None:
                raise NotFound(_("no stage with id {stage_id}").format(stage_id=stage_id))
            if name is not None:
                self._rename(tx.session, st, name)
            if won_on_entry is not None:
                st.won_on_entry = won_on_entry
            return StageInfo(st.id or 0, st.name, st.position, bool(st.won_on_entry))

    def _rename(self, s: Session, st: Stage, new_name: str) -> None:
        new_name = self._clean_name(new_name, "stage")
        same = (col(Stage.pipeline_id) == st.pipeline_id, col(Stage.name_key) == fold(new_name))
        clash = s.execute(select(Stage).where(*same)).scalars().first()
        if clash is not None and clash.id != st.id:
            raise Conflict(_("this pipeline already has a stage named {new_name!r}").format(new_name=new_name))
        st.name, st.name_key = new_name, fold(new_name)

    def reorder_stages(self, pipeline: int | str, stage_ids: Sequence[int]) -> None:
        """Put the pipeline's stages in the order given (every stage exactly once)."""
        with self.write() as tx:
            p = self._pipeline_row(tx.session, pipeline)
            stages = {
                st.id: st for st in tx.session.execute(select(Stage).where(col(Stage.pipeline_id) == p.id)).scalars()
            }
            if sorted(stage_ids) != sorted(stages):
                raise InvalidValue(_("give every stage of the pipeline exactly once"))
            for i, sid in enumerate(stage_ids):
                stages[sid].position = i

    def delete_stage(self, stage_id: int, *, move_to: int | None = None) -> None:
        """Delete a stage; opportunities at it move to `move_to` (any pipeline), recorded as stage moves."""
        with self.write() as tx:
            s = tx.session
            st = s.get(Stage, stage_id)
            if st is None:
                raise NotFound(_("no stage with id {stage_id}").format(stage_id=stage_id))
            siblings = s.execute(select(func.count()).where(col(Stage.pipeline_id) == st.pipeline_id)).scalar_one()
            if siblings <= 1:  # every pipeline keeps a stage: new deals need somewhere to start
                # Not a Conflict: that one means "say where its deals go", and no answer would help here.
                raise StoreError(
                    _("stage {name!r} is the last of its pipeline: a pipeline keeps at least one stage").format(
                        name=st.name
                    )
                )
            live = list(
                s.execute(
                    select(col(Opportunity.id)).where(
                        col(Opportunity.stage_id) == stage_id, col(Opportunity.deleted_at).is_(None)
                    )
                ).scalars()
            )
            total = int(
                s.execute(
                    select(func.count()).select_from(Opportunity).where(col(Opportunity.stage_id) == stage_id)
                ).one()[0]
            )
            if total:
                if move_to is None or move_to == stage_id:
                    raise Conflict(
                        _("stage {name!r} holds {total} opportunities: say where to move them").format(
                            name=st.name, total=total
                        )
                    )
                target = s.get(Stage, move_to)
                if target is None:
                    raise NotFound(_("no stage with id {move_to}").format(move_to=move_to))
                for opp_id in live:
                    opp = s.get(Opportunity, opp_id)
                    if opp is not None:
                        move_deal(tx, opp, move_to, target.pipeline_id, auto_win=False)
                s.execute(
                    update(Opportunity)
                    .where(col(Opportunity.stage_id) == stage_id)
                    .values(pipeline_id=target.pipeline_id, stage_id=move_to)
                )
            s.flush()
            s.delete(st)
            s.flush()
            rest = list(
                s.execute(
                    select(Stage)
                    .where(col(Stage.pipeline_id) == st.pipeline_id)
                    .order_by(col(Stage.position), col(Stage.id))
                ).scalars()
            )
            for i, other in enumerate(rest):
                other.position = i

    def ensure_default_pipeline(self) -> None:
        """First run: the default pipeline "Vendite Coaching" with its three stages."""
        with self.read() as s:
            if s.execute(select(func.count()).select_from(Pipeline)).one()[0]:
                return
        self.create_pipeline(DEFAULT_PIPELINE, DEFAULT_STAGES)
