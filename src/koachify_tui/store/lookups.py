"""Row lookups shared by several store areas (contacts, opportunities, pipelines, the importer's undo):
plain functions over a session, so no mixin reaches into another's private helpers."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from .errors import InvalidValue, NotFound
from .models import Pipeline, Stage, Tag
from .normalize import clean_text, fold


def tag_row(s: Session, name: str, *, create: bool) -> Tag | None:
    """The tag named `name` (case-insensitively), created when asked; InvalidValue for an empty name."""
    name = clean_text(name)
    if not name:
        raise InvalidValue("a tag needs a name")
    tag = s.execute(select(Tag).where(col(Tag.name_key) == fold(name))).scalars().first()
    if tag is None and create:
        tag = Tag(name=name, name_key=fold(name))
        s.add(tag)
        s.flush()
    return tag


def pipeline_row(s: Session, ref: int | str) -> Pipeline:
    if isinstance(ref, int):
        row = s.get(Pipeline, ref)
    else:
        row = s.execute(select(Pipeline).where(col(Pipeline.name_key) == fold(ref))).scalars().first()
    if row is None:
        raise NotFound(f"no pipeline {ref!r}")
    return row


def stage_row(s: Session, pipeline_id: int, ref: int | str) -> Stage:
    if isinstance(ref, int):
        row = s.get(Stage, ref)
        if row is not None and row.pipeline_id != pipeline_id:
            row = None
    else:
        row = (
            s.execute(select(Stage).where(col(Stage.pipeline_id) == pipeline_id, col(Stage.name_key) == fold(ref)))
            .scalars()
            .first()
        )
    if row is None:
        raise NotFound(f"no stage {ref!r} in this pipeline")
    return row


def first_stage(s: Session, pipeline_id: int) -> Stage:
    row: Stage | None = (
        s.execute(
            select(Stage).where(col(Stage.pipeline_id) == pipeline_id).order_by(col(Stage.position), col(Stage.id))
        )
        .scalars()
        .first()
    )
    if row is None:
        raise InvalidValue("this pipeline has no stages")
    return row
