"""Which rules an event fires: the trigger of each event type and the filter checks."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from ..store import NotFound, OpportunityRow, Store
from ..store.events import (
    ContactCreated,
    ContactsMerged,
    DomainEvent,
    OpportunityCreated,
    OpportunityEvent,
    OpportunityStageChanged,
    OpportunityStatusChanged,
    TagAdded,
    TagRemoved,
)
from ..store.normalize import fold
from ..store.rules import NUMERIC_FILTERS

TRIGGER_OF: dict[type[DomainEvent], str] = {
    OpportunityStatusChanged: "opportunity.status_changed",
    OpportunityStageChanged: "opportunity.stage_changed",
    OpportunityCreated: "opportunity.created",
    ContactCreated: "contact.created",
    TagAdded: "tag.added",
    TagRemoved: "tag.removed",
    ContactsMerged: "contact.merged",
}


def trigger_of(event: DomainEvent) -> str | None:
    return TRIGGER_OF.get(type(event))


def is_import(event: DomainEvent) -> bool:
    """A contact created by a bulk import (only rules with fire_on_import see those)."""
    return getattr(event, "import_batch_id", None) is not None or event.origin.startswith("import")


class Facts:
    """What filters compare against for one event, loaded lazily and shared by every rule it is matched to."""

    def __init__(self, store: Store, event: DomainEvent) -> None:
        self.store = store
        self.event = event

    @cached_property
    def opportunity(self) -> OpportunityRow | None:
        opp_id = getattr(self.event, "opportunity_id", None)
        if opp_id is None:
            return None
        try:
            return self.store.opportunity_row(opp_id)
        except NotFound:
            return None

    @cached_property
    def _names(self) -> tuple[dict[int, str], dict[int, str]]:
        pipelines, stages = {}, {}
        for p in self.store.list_pipelines():
            pipelines[p.id] = p.name
            stages.update({st.id: st.name for st in p.stages})
        return pipelines, stages

    def _stage(self, stage_id: int) -> set[str]:
        return {str(stage_id), fold(self._names[1].get(stage_id, ""))}

    def _pipeline(self, pipeline_id: int) -> set[str]:
        return {str(pipeline_id), fold(self._names[0].get(pipeline_id, ""))}

    def _contact_tags(self) -> set[str]:
        contact_id = getattr(self.event, "contact_id", None)
        return {fold(t) for t in self.store.contact_tags(contact_id)} if contact_id is not None else set()

    def text(self, key: str) -> set[str]:
        """The folded values (and ids) an event has for a text filter; empty when it has none."""
        e = self.event
        if key == "from_status" and isinstance(e, OpportunityStatusChanged):
            return {e.from_status}
        if key == "to_status" and isinstance(e, OpportunityStatusChanged):
            return {e.to_status}
        if key == "from_stage" and isinstance(e, OpportunityStageChanged):
            return {str(e.from_stage_id), fold(e.from_stage)}
        if key == "to_stage" and isinstance(e, OpportunityStageChanged):
            return {str(e.stage_id), fold(e.to_stage)}
        if isinstance(e, OpportunityEvent):
            if key == "status":
                return {e.status}
            if key == "pipeline":
                return self._pipeline(e.pipeline_id)
            if key == "stage":
                return self._stage(e.stage_id)
            opp = self.opportunity
            if key == "owner":
                return {fold(opp.owner)} if opp else set()
            if key == "source":
                return {fold(opp.source)} if opp else set()
            if key == "has_tag":
                return self._contact_tags() | ({fold(t) for t in opp.tags} if opp else set())
        if isinstance(e, ContactCreated | ContactsMerged) and key in {"source", "owner", "has_tag"}:
            if key == "has_tag":
                return self._contact_tags()
            try:
                contact = self.store.get_contact(e.contact_id)
            except NotFound:
                return set()
            return {fold(getattr(contact, key))}
        if isinstance(e, TagAdded | TagRemoved):
            if key == "tag":
                return {fold(e.tag)}
            if key == "on":
                return {"opportunity" if e.opportunity_id is not None else "contact"}
        return set()

    def value(self) -> float | None:
        opp = self.opportunity
        return opp.value_minor / 100 if opp else None


def matches(filters: Mapping[str, Any], facts: Facts) -> bool:
    """All filters must hold; a list value matches any of its items."""
    for key, wanted in filters.items():
        if key in NUMERIC_FILTERS:
            value = facts.value()
            if value is None or (key == "value_gte" and value < wanted) or (key == "value_lte" and value > wanted):
                return False
            continue
        have = facts.text(key)
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(fold(str(option)) in have for option in options):
            return False
    return True
