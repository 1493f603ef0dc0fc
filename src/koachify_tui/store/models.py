"""SQLModel tables: the whole CRM data model.

Conventions:
- Timestamps are timezone-aware UTC in Python, stored as naive UTC (portable across SQLite and PostgreSQL).
- Money is integer minor units plus an ISO currency code.
- Soft-deleted rows carry `deleted_at`; every list query filters them out.
- `*_key` columns are normalised match keys computed in Python (SQLite's lower() folds ASCII only).
- JSON payloads are stored as text so the schema is identical on both databases.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, TypeDecorator, UniqueConstraint, false
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: comparisons never mix naive and aware values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def ts(nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    """A UTC timestamp column."""
    kwargs: dict[str, Any] = {}
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kwargs)


class OpportunityStatus(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    ABANDONED = "abandoned"


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    CALL = "call"
    CHAT = "chat"
    OTHER = "other"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class FieldEntity(enum.StrEnum):
    CONTACT = "contact"
    OPPORTUNITY = "opportunity"


class FieldType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    BOOLEAN = "boolean"


class HistoryKind(enum.StrEnum):
    """Kinds of `HistoryEntry` rows (changes and system events on the merged timeline)."""

    CREATED = "created"
    STAGE_CHANGE = "stage_change"
    STATUS_CHANGE = "status_change"
    IMPORT = "import"
    AUTOMATION = "automation"
    DELETED = "deleted"
    RESTORED = "restored"
    MERGED = "merged"  # "Merged with Mario Rossi (#42)" on the survivor of a merge


# --- contacts -------------------------------------------------------------------------------------------


class Contact(SQLModel, table=True):
    """A person or company: lead, prospect or client."""

    __table_args__ = (Index("ix_contact_live_name", "deleted_at", "name_key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    email: str = ""  # primary email as typed (trimmed)
    email_key: str | None = Field(default=None, index=True)  # casefolded, for matching
    phone: str = ""  # primary phone as typed
    phone_e164: str | None = Field(default=None, index=True)
    source: str = ""
    owner: str = ""
    name_key: str = Field(default="", index=True)  # casefolded display name, for sorting
    search_text: str = ""  # casefolded haystack for the search seam (see store/search.py)
    created_at: datetime = ts(nullable=False, index=True, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)
    last_activity_at: datetime | None = ts(index=True)
    deleted_at: datetime | None = ts(index=True)
    #: Bumped by every committed change (store/versions.py): an edit based on an older version is merged.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Set when merged away into another contact (also soft-deleted; kept so the merge can be undone).
    merged_into_id: int | None = Field(default=None, index=True)

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or self.phone or f"#{self.id}"


class ContactChannelKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class ContactChannel(SQLModel, table=True):
    """An additional email or phone of a contact (the primary ones live on `Contact`)."""

    __tablename__ = "contact_channel"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    kind: str  # ContactChannelKind
    value: str  # as typed
    key: str | None = Field(default=None, index=True)  # casefolded email or E.164 phone
    label: str = ""


class Tag(SQLModel, table=True):
    """A tag; names are unique case-insensitively (`name_key`)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True)
    created_at: datetime = ts(nullable=False, default_now=True)


class ContactTag(SQLModel, table=True):
    __tablename__ = "contact_tag"
    __table_args__ = (Index("ix_contact_tag_tag", "tag_id", "contact_id"),)

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


class OpportunityTag(SQLModel, table=True):
    __tablename__ = "opportunity_tag"
    __table_args__ = (Index("ix_opportunity_tag_tag", "tag_id", "opportunity_id"),)

    opportunity_id: int = Field(foreign_key="opportunity.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


# --- pipelines and opportunities ------------------------------------------------------------------------


class Pipeline(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True)
    position: int = 0
    created_at: datetime = ts(nullable=False, default_now=True)


class Stage(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pipeline_id", "name_key", name="uq_stage_pipeline_name"),)

    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True, ondelete="CASCADE")
    name: str
    name_key: str
    position: int = 0
    won_on_entry: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # entering wins


class Opportunity(SQLModel, table=True):
    """A deal in progress, always belonging to a contact."""

    __table_args__ = (Index("ix_opportunity_board", "pipeline_id", "stage_id", "status", "deleted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    title: str
    pipeline_id: int = Field(foreign_key="pipeline.id", ondelete="RESTRICT")
    stage_id: int = Field(foreign_key="stage.id", index=True, ondelete="RESTRICT")
    value_minor: int = 0
    currency: str = "EUR"
    owner: str = ""
    status: str = Field(default=OpportunityStatus.OPEN.value, index=True)
    lost_reason: str = ""
    source: str = ""
    created_at: datetime = ts(nullable=False, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)
    last_stage_change_at: datetime = ts(nullable=False, default_now=True)
    last_status_change_at: datetime | None = ts()
    closed_at: datetime | None = ts()
    deleted_at: datetime | None = ts(index=True)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # as Contact.version


# --- activities -----------------------------------------------------------------------------------------
# Each belongs to a contact; `opportunity_id` is set when written on a deal (its contact is then the deal's).


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    body: str
    author: str = ""
    created_at: datetime = ts(nullable=False, index=True, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)
    deleted_at: datetime | None = ts()


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    title: str
    notes: str = ""
    due_at: datetime | None = ts(index=True)
    done_at: datetime | None = ts()
    owner: str = ""
    created_at: datetime = ts(nullable=False, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)
    deleted_at: datetime | None = ts()


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    title: str
    starts_at: datetime = ts(nullable=False, index=True)
    ends_at: datetime | None = ts()
    location: str = ""
    notes: str = ""
    created_at: datetime = ts(nullable=False, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)
    deleted_at: datetime | None = ts()


class Message(SQLModel, table=True):
    """A logged communication (email, SMS, WhatsApp, call, chat…) with a contact."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    channel: str = Channel.OTHER.value
    direction: str = Direction.IN.value
    subject: str = ""
    body: str = ""
    at: datetime = ts(nullable=False, index=True, default_now=True)
    read: bool = False
    created_at: datetime = ts(nullable=False, default_now=True)
    deleted_at: datetime | None = ts()
    duration_s: int | None = None  # a call's length
    outcome: str = Field(default="", sa_column_kwargs={"server_default": ""})  # a call's result, as typed


# --- custom fields --------------------------------------------------------------------------------------


class CustomFieldDef(SQLModel, table=True):
    __tablename__ = "custom_field_def"
    __table_args__ = (UniqueConstraint("entity", "key", name="uq_custom_field_entity_key"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str  # FieldEntity
    key: str
    label: str
    type: str = FieldType.TEXT.value
    options_json: str = "[]"  # choices for select / multi-select
    position: int = 0
    created_at: datetime = ts(nullable=False, default_now=True)


class CustomFieldValue(SQLModel, table=True):
    """A value of a custom field on one contact or opportunity (per the definition's entity)."""

    __tablename__ = "custom_field_value"
    __table_args__ = (
        UniqueConstraint("field_id", "entity_id", name="uq_custom_field_value"),
        Index("ix_custom_field_value_entity", "entity_id", "field_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    field_id: int = Field(foreign_key="custom_field_def.id", ondelete="CASCADE")
    entity_id: int
    value_json: str  # JSON-encoded typed value


# --- history --------------------------------------------------------------------------------------------


class HistoryEntry(SQLModel, table=True):
    """A change or system event on the merged timeline: stage moves, status changes, imports, automation runs."""

    __tablename__ = "history_entry"
    __table_args__ = (Index("ix_history_contact_at", "contact_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True, ondelete="CASCADE")
    kind: str  # HistoryKind
    at: datetime = ts(nullable=False, default_now=True)
    actor: str = ""
    from_value: str = ""
    to_value: str = ""
    text: str = ""
    data_json: str = "{}"


# --- automations ----------------------------------------------------------------------------------------


class AutomationRule(SQLModel, table=True):
    __tablename__ = "automation_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    enabled: bool = True
    trigger: str  # e.g. "opportunity.status_changed"
    filters_json: str = "{}"
    actions_json: str = "[]"
    fire_on_import: bool = False  # contact-created rules: whether bulk imports fire them
    position: int = 0
    run_count: int = 0
    last_run_at: datetime | None = ts()
    last_error: str = ""
    created_at: datetime = ts(nullable=False, default_now=True)
    updated_at: datetime = ts(nullable=False, default_now=True)


class AutomationRun(SQLModel, table=True):
    __tablename__ = "automation_run"

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int | None = Field(default=None, foreign_key="automation_rule.id", index=True, ondelete="SET NULL")
    hook: str = ""  # entry-point name for Python hooks
    event_json: str = "{}"
    contact_id: int | None = Field(default=None, index=True)
    opportunity_id: int | None = None
    at: datetime = ts(nullable=False, default_now=True)
    ok: bool = True
    actions_json: str = "[]"
    error: str = ""


class Sequence(SQLModel, table=True):
    """A follow-up sequence ("campagna"): ordered steps run N days after enrolment."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True)
    description: str = ""
    enabled: bool = True
    created_at: datetime = ts(nullable=False, default_now=True)


class SequenceStep(SQLModel, table=True):
    __tablename__ = "sequence_step"

    id: int | None = Field(default=None, primary_key=True)
    sequence_id: int = Field(foreign_key="sequence.id", index=True, ondelete="CASCADE")
    position: int = 0
    delay_days: int = 0
    action: str = "task"  # "task" | "note"
    title: str = ""
    body: str = ""


class SequenceEnrollment(SQLModel, table=True):
    __tablename__ = "sequence_enrollment"

    id: int | None = Field(default=None, primary_key=True)
    sequence_id: int = Field(foreign_key="sequence.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", ondelete="SET NULL")
    status: str = "active"  # active | completed | cancelled
    next_step: int = 0
    next_due_at: datetime | None = ts(index=True)
    enrolled_at: datetime = ts(nullable=False, default_now=True)
    ended_at: datetime | None = ts()


# --- segments and imports -------------------------------------------------------------------------------


class SmartList(SQLModel, table=True):
    """A saved contact filter, re-evaluated whenever it is opened."""

    __tablename__ = "smart_list"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True)
    filters_json: str = "{}"
    position: int = 0
    created_at: datetime = ts(nullable=False, default_now=True)


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    filename: str
    source: str = ""
    options_json: str = "{}"
    counts_json: str = "{}"
    started_at: datetime = ts(nullable=False, default_now=True)
    finished_at: datetime | None = ts()
    undone_at: datetime | None = ts()


class ChangeLog(SQLModel, table=True):
    """One committed field-level change of a contact or an opportunity (or of what hangs off a contact: its
    tags, extra emails/phones, custom values, notes, tasks…). The single source for undo and the timeline's
    "changes". Values are JSON text (None: absent). `field` is a column name, or `tag`, `email`, `phone`
    (extra channels), `custom.<key>`, `created`, `deleted`, `note`/`task`/`appointment`/`message`/
    `opportunity`/`enrollment` (an item created: new_value is its id)."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_contact", "contact_id", "id"),
        Index("ix_change_log_batch", "batch_id"),
        Index("ix_change_log_txn", "txn"),
    )

    id: int | None = Field(default=None, primary_key=True)
    txn: str = ""  # the write transaction: one user action, one rule run, one import batch
    entity: str  # contact | opportunity | task | note | …
    entity_id: int
    contact_id: int | None = None  # the contact it belongs to (no foreign key: the log outlives a purge)
    field: str
    old_value: str | None = None
    new_value: str | None = None
    at: datetime = ts(nullable=False, default_now=True)
    origin: str = ""  # tui | cli | import | automation | merge | api
    cause: str = ""  # user | import | rule | merge | undo | sequence
    cause_id: int | None = None  # the import batch, the rule, the undone change…
    batch_id: int | None = None  # the import batch whose undo reverts it (its rows and its fire_on_import runs)
    version: int | None = None  # the contact's / opportunity's version this change made (store/versions.py)


class ContactMerge(SQLModel, table=True):
    """One merge of duplicates into a survivor; the change-log transaction `txn` holds what it did."""

    __tablename__ = "contact_merge"

    id: int | None = Field(default=None, primary_key=True)
    survivor_id: int = Field(index=True)
    merged_ids_json: str  # JSON list of the contacts merged away
    txn: str
    created_at: datetime = ts(nullable=False, default_now=True)
    undone_at: datetime | None = ts()
    undo_txn: str = ""


class DuplicateIgnore(SQLModel, table=True):
    """A pair the user marked "not a duplicate" (lower id first): never suggested again."""

    __tablename__ = "duplicate_ignore"

    contact_a_id: int = Field(primary_key=True)
    contact_b_id: int = Field(primary_key=True)
    created_at: datetime = ts(nullable=False, default_now=True)


class ImportBatchItem(SQLModel, table=True):
    """What one import did to one contact, with the contact's state before (for undo)."""

    __tablename__ = "import_batch_item"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(index=True)
    action: str  # created | updated | merged
    before_json: str = "{}"
