"""The headless core of Koachify: data model, service API, events. Never imports Textual.

Names are imported on first use (PEP 562): `import koachify_tui.store.importer.producer` must stay light,
because `koachify import` forks its parsing process before SQLAlchemy is even loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .contacts import ContactQuery, ContactRow
    from .db import DatabaseError, default_db_path, resolve_url
    from .errors import Conflict, InvalidValue, NotFound, StoreError
    from .events import DomainEvent, EventBus
    from .models import OpportunityStatus
    from .opportunities import OpportunityRow
    from .pipelines import DEFAULT_PIPELINE, DEFAULT_STAGES, PipelineInfo, StageInfo
    from .service import Store
    from .timeline import TimelineItem

_WHERE = {
    "ContactQuery": "contacts",
    "ContactRow": "contacts",
    "DatabaseError": "db",
    "default_db_path": "db",
    "resolve_url": "db",
    "Conflict": "errors",
    "InvalidValue": "errors",
    "NotFound": "errors",
    "StoreError": "errors",
    "DomainEvent": "events",
    "EventBus": "events",
    "OpportunityStatus": "models",
    "OpportunityRow": "opportunities",
    "DEFAULT_PIPELINE": "pipelines",
    "DEFAULT_STAGES": "pipelines",
    "PipelineInfo": "pipelines",
    "StageInfo": "pipelines",
    "Store": "service",
    "TimelineItem": "timeline",
}

__all__ = [
    "Conflict",
    "ContactQuery",
    "ContactRow",
    "DEFAULT_PIPELINE",
    "DEFAULT_STAGES",
    "DatabaseError",
    "DomainEvent",
    "EventBus",
    "InvalidValue",
    "NotFound",
    "OpportunityRow",
    "OpportunityStatus",
    "PipelineInfo",
    "StageInfo",
    "Store",
    "StoreError",
    "TimelineItem",
    "default_db_path",
    "resolve_url",
]


__getattr__ = lazy_attributes(__name__, _WHERE, globals())
