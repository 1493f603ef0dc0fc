"""Row lookups shared by several store areas (contacts, opportunities, pipelines, the importer's undo):
plain functions over a session, so no mixin reaches into another's private helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select
from sqlmodel import Session, col

from ..i18n import _
from .errors import InvalidValue, NotFound
from .models import Pipeline, Stage, Tag, utcnow
from .normalize import clean_text, fold


def insert_or_get(conn: Connection | Session, table: Table, values: dict[str, Any], unique: tuple[str, ...]) -> int:
    """The id of the row of `table` whose `unique` columns hold these values, inserted if there is none.

    `INSERT … ON CONFLICT DO NOTHING` then a re-select: when another transaction (a second import, another
    user) creates the same tag or field at the same moment, both end with the one row, never an
    IntegrityError (on PostgreSQL the insert waits for the other transaction and then does nothing)."""
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    from sqlalchemy.dialects import postgresql, sqlite

    make: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(table).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    row = conn.execute(stmt.returning(table.c.id)).first()
    if row is None:
        row = conn.execute(select(table.c.id).where(*(table.c[k] == values[k] for k in unique))).first()
        assert row is not None  # the conflicting row is committed (PostgreSQL waited for it) or ours
    return int(row[0])


def tag_row(s: Session, name: str, *, create: bool) -> Tag | None:
    """The tag named `name` (case-insensitively), created when asked; InvalidValue for an empty name."""
    name = clean_text(name)
    if not name:
        raise InvalidValue(_("a tag needs a name"))
    tag = s.execute(select(Tag).where(col(Tag.name_key) == fold(name))).scalars().first()
    if tag is None and create:
        table: Table = Tag.__table__  # type: ignore[attr-defined]
        tag_id = insert_or_get(s, table, {"name": name, "name_key": fold(name), "created_at": utcnow()}, ("name_key",))
        tag = s.get(Tag, tag_id)
    return tag


def pipeline_row(s: Session, ref: int | str) -> Pipeline:
    if isinstance(ref, int):
        row = s.get(Pipeline, ref)
    else:
        row = s.execute(select(Pipeline).where(col(Pipeline.name_key) == fold(ref))).scalars().first()
    if row is None:
        raise NotFound(_("no pipeline {ref!r}").format(ref=ref))
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
        raise NotFound(_("no stage {ref!r} in this pipeline").format(ref=ref))
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
        raise InvalidValue(_("this pipeline has no stages"))
    return row
