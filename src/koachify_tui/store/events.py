"""Typed domain events, emitted by the store after a transaction commits.

Subscribers run in-process, in order, after the change is durable. A subscriber that raises is logged and
skipped: it can never roll back or lose the change that emitted the event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. `origin` says what caused it ("tui", "cli", "import", "automation:<rule id>"…);
    `depth` counts how many event dispatches led to it (automations use it to cut loops)."""

    origin: str = ""
    depth: int = 0

    @property
    def name(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"event": self.name, **asdict(self)}


@dataclass(frozen=True, kw_only=True)
class ContactEvent(DomainEvent):
    """An event about one contact. `import_batch_id` is set when an import batch made the change (see the
    README's event contract: imports publish the same per-contact events as hand edits, after commit)."""

    contact_id: int
    import_batch_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ContactCreated(ContactEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ContactUpdated(ContactEvent):
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ContactDeleted(ContactEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ContactRestored(ContactEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ContactsMerged(ContactEvent):
    """Duplicates were merged into one contact (store/merge.py): `contact_id` is the survivor (as
    `survivor_id`), `merged_ids` the contacts merged away (hidden, kept for the undo). The only event a merge
    publishes: the fields, tags and items it moved are in the change log under the merge's transaction."""

    survivor_id: int
    merged_ids: tuple[int, ...]
    merge_id: int


@dataclass(frozen=True, kw_only=True)
class ContactsUnmerged(ContactEvent):
    """A merge was undone: `restored_ids` are live again with their own items; `contact_id` is the survivor.
    Published with the ContactUpdated / TagRemoved of the survivor's fields and tags it put back."""

    survivor_id: int
    restored_ids: tuple[int, ...]
    merge_id: int


@dataclass(frozen=True, kw_only=True)
class TagAdded(ContactEvent):
    """A tag was put on a contact, or on one of its opportunities when `opportunity_id` is set."""

    tag: str
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TagRemoved(ContactEvent):
    tag: str
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OpportunityEvent(ContactEvent):
    opportunity_id: int
    pipeline_id: int
    stage_id: int
    status: str


@dataclass(frozen=True, kw_only=True)
class OpportunityCreated(OpportunityEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class OpportunityUpdated(OpportunityEvent):
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OpportunityStageChanged(OpportunityEvent):
    from_pipeline_id: int
    from_stage_id: int
    from_stage: str
    to_stage: str


@dataclass(frozen=True, kw_only=True)
class OpportunityStatusChanged(OpportunityEvent):
    from_status: str
    to_status: str


@dataclass(frozen=True, kw_only=True)
class OpportunityDeleted(OpportunityEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class OpportunityRestored(OpportunityEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class NoteAdded(ContactEvent):
    note_id: int
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TaskAdded(ContactEvent):
    task_id: int
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(ContactEvent):
    task_id: int
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityEvent(ContactEvent):
    """A note, task, appointment or message (`kind`, `item_id`) was edited, deleted or restored."""

    kind: str
    item_id: int
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityUpdated(ActivityEvent):
    """Fields of the item changed (`changed` names them; a task reopened or snoozed is one of these)."""

    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ActivityDeleted(ActivityEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ActivityRestored(ActivityEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class AppointmentAdded(ContactEvent):
    appointment_id: int
    opportunity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class MessageLogged(ContactEvent):
    message_id: int
    channel: str
    direction: str


@dataclass(frozen=True, kw_only=True)
class SequenceEnrolled(ContactEvent):
    sequence_id: int
    enrollment_id: int


@dataclass(frozen=True, kw_only=True)
class SequenceLeft(ContactEvent):
    """An enrolment was cancelled (the contact left, or a step failed for good)."""

    sequence_id: int
    enrollment_id: int


@dataclass(frozen=True, kw_only=True)
class SequenceStepRun(ContactEvent):
    sequence_id: int
    enrollment_id: int
    step: int  # 1-based


@dataclass(frozen=True, kw_only=True)
class SequenceChanged(DomainEvent):
    """A sequence definition was created, updated or deleted."""

    sequence_id: int
    change: str


@dataclass(frozen=True, kw_only=True)
class ExternalChange(DomainEvent):
    """Another process or user committed changes (store/watch.py): these contacts and deals, or anything
    (`full`). Never published on the store's bus, only handed to the app so open screens refresh."""

    contact_ids: tuple[int, ...] = ()
    opportunity_ids: tuple[int, ...] = ()
    full: bool = False


@dataclass(frozen=True, kw_only=True)
class ImportCompleted(DomainEvent):
    batch_id: int
    created: int = 0
    updated: int = 0


@dataclass(frozen=True, kw_only=True)
class DuplicateIgnored(ContactEvent):
    """Two contacts were marked "not a duplicate" (`ignored`), or the mark was taken back. `contact_id` is
    the lower id of the pair."""

    other_id: int
    ignored: bool = True


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[DomainEvent], None]


@dataclass
class EventBus:
    """In-process publish/subscribe. Handlers are called synchronously, in subscription order."""

    _handlers: list[tuple[type[DomainEvent], Handler]] = field(default_factory=list)
    errors: list[tuple[DomainEvent, BaseException]] = field(default_factory=list)
    _depth: int = 0
    # event class → its handlers, in order; cleared on (un)subscribe. An import publishes ~100k events: one
    # dict lookup per event instead of an isinstance() per handler.
    _by_type: dict[type[DomainEvent], tuple[Handler, ...]] = field(default_factory=dict, repr=False)

    def subscribe(self, handler: Callable[[E], None], event_type: type[E] | None = None) -> Callable[[], None]:
        """Call `handler` for every event of `event_type` (all events when None). Returns an unsubscribe."""
        entry = (event_type or DomainEvent, handler)
        self._handlers.append(entry)  # type: ignore[arg-type]
        self._by_type = {}

        def unsubscribe() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)
                self._by_type = {}

        return unsubscribe

    @property
    def depth(self) -> int:
        """How deep the current dispatch is: 0 outside handlers, 1 inside a handler of a top-level event…"""
        return self._depth

    def _handlers_for(self, event_type: type[DomainEvent]) -> tuple[Handler, ...]:
        by_type = self._by_type
        handlers = by_type.get(event_type)
        if handlers is None:
            handlers = by_type[event_type] = tuple(h for t, h in self._handlers if issubclass(event_type, t))
        return handlers

    def publish(self, events: list[DomainEvent]) -> None:
        """Run each event's handlers, in subscription order, one event after the other. The handlers of an
        event are those subscribed when its dispatch starts (a handler may (un)subscribe others)."""
        if not events:
            return
        self._depth += 1  # handlers of these events run one level deeper (their own events carry it)
        try:
            for event in events:
                for handler in self._handlers_for(type(event)):
                    try:
                        handler(event)
                    except Exception as exc:  # noqa: BLE001 - a subscriber must never break the emitter
                        log.exception("event subscriber %r failed on %s", handler, event.name)
                        self.errors.append((event, exc))
                        del self.errors[:-100]
        finally:
            self._depth -= 1
