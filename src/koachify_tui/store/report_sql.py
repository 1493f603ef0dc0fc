"""The few expressions SQLite and PostgreSQL spell differently, and the filters every report shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, cast, func, literal
from sqlmodel import col

from .models import Opportunity, UTCDateTime


def json_int(dialect: str, column: Any, key: str) -> ColumnElement[int]:
    """An integer member of a JSON text column (`HistoryEntry.data_json`)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB  # only on PostgreSQL: ~75 ms to import

        return cast(cast(column, JSONB)[key].astext, Integer)
    return cast(func.json_extract(column, f"$.{key}"), Integer)


def days_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """`later - earlier` in (fractional) days."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float) / 86400.0
    return cast(func.julianday(later) - func.julianday(earlier), Float)


def at(value: datetime) -> ColumnElement[datetime]:
    """A timestamp parameter stored the way the columns are (naive UTC text on SQLite)."""
    return literal(value, UTCDateTime())


def deal_scope(pipeline_id: int | None) -> list[ColumnElement[bool]]:
    """Live deals, of one pipeline or all."""
    where: list[ColumnElement[bool]] = [col(Opportunity.deleted_at).is_(None)]
    if pipeline_id is not None:
        where.append(col(Opportunity.pipeline_id) == pipeline_id)
    return where


def closed_in(status: str | tuple[str, ...], start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Deals with this status (or one of these) closed inside [start, end)."""
    statuses = (status,) if isinstance(status, str) else status
    return [
        col(Opportunity.status).in_(statuses),
        col(Opportunity.closed_at) >= start,
        col(Opportunity.closed_at) < end,
    ]
