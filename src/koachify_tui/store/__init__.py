"""The headless core of Koachify: data model, service API, events. Never imports Textual."""

from .contacts import ContactQuery, ContactRow
from .db import DatabaseError, default_db_path, resolve_url
from .errors import Conflict, InvalidValue, NotFound, StoreError
from .events import DomainEvent, EventBus
from .models import OpportunityStatus
from .opportunities import OpportunityRow
from .pipelines import DEFAULT_PIPELINE, DEFAULT_STAGES, PipelineInfo, StageInfo
from .service import Store
from .timeline import TimelineItem

__all__ = [
    "DEFAULT_PIPELINE",
    "DEFAULT_STAGES",
    "Conflict",
    "ContactQuery",
    "ContactRow",
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
