"""What a rule does: one function per action type. Each returns a short line saying what it did (it goes in
the run log and on the timeline) and raises to fail the whole run (the engine rolls every action back)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..i18n import _, ngettext
from ..store import Store
from . import sequences


class ActionError(Exception):
    """An action that cannot apply to this event (e.g. an opportunity action on a contact's tag)."""


@dataclass(frozen=True)
class ActionContext:
    """The event's subjects and the engine's clock, as actions see them."""

    store: Store
    contact_id: int
    opportunity_id: int | None
    now: datetime
    origin: str
    rule_name: str = ""

    def opportunity(self, kind: str) -> int:
        if self.opportunity_id is None:
            raise ActionError(_("{action}: this event has no opportunity").format(action=kind))
        return self.opportunity_id


def _target(action: Mapping[str, Any]) -> str:
    return str(action.get("target", "contact"))


def add_tag(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    tag = str(action["tag"])
    if _target(action) == "opportunity":
        added = ctx.store.add_opportunity_tag(ctx.opportunity("add_tag"), tag)
        return (_("opportunity tagged “{tag}”") if added else _("opportunity already tagged “{tag}”")).format(tag=tag)
    added = ctx.store.add_tag(ctx.contact_id, tag)
    return (_("contact tagged “{tag}”") if added else _("contact already tagged “{tag}”")).format(tag=tag)


def remove_tag(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    tag = str(action["tag"])
    if _target(action) == "opportunity":
        removed = ctx.store.remove_opportunity_tag(ctx.opportunity("remove_tag"), tag)
        return (_("tag “{tag}” removed from opportunity") if removed else _("opportunity had no tag “{tag}”")).format(
            tag=tag
        )
    removed = ctx.store.remove_tag(ctx.contact_id, tag)
    return (_("tag “{tag}” removed from contact") if removed else _("contact had no tag “{tag}”")).format(tag=tag)


def create_task(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    days = action.get("due_in_days")
    due = ctx.now + timedelta(days=int(days)) if days is not None else None
    title = str(action["title"])
    ctx.store.add_task(
        title,
        contact_id=ctx.contact_id,
        opportunity_id=ctx.opportunity_id,
        due_at=due,
        notes=str(action.get("notes", "")),
    )
    if due is None:
        return _("task “{title}” created").format(title=title)
    return _("task “{title}” created, due {date}").format(title=title, date=due.date().isoformat())


def add_note(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    ctx.store.add_note(
        str(action["body"]), contact_id=ctx.contact_id, opportunity_id=ctx.opportunity_id, author=ctx.rule_name
    )
    return _("note added")


def move_opportunity(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    opp = ctx.store.move_opportunity(
        ctx.opportunity("move_opportunity"), action["stage"], pipeline=action.get("pipeline")
    )
    return _("opportunity moved to “{stage}”").format(stage=ctx.store.opportunity_row(opp.id or 0).stage)


def set_owner(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    owner = str(action["owner"])
    if _target(action) == "opportunity":
        ctx.store.update_opportunity(ctx.opportunity("set_owner"), owner=owner)
        return _("opportunity owner set to “{owner}”").format(owner=owner)
    ctx.store.update_contact(ctx.contact_id, owner=owner)
    return _("contact owner set to “{owner}”").format(owner=owner)


def set_field(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    target = _target(action)
    entity_id = ctx.opportunity("set_field") if target == "opportunity" else ctx.contact_id
    ctx.store.set_field_value(target, entity_id, str(action["key"]), action["value"])
    return _("{target} field {key} set").format(target=target, key=action["key"])


def enroll_sequence(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    name = action["sequence"]
    added = sequences.enroll(ctx.store, ctx.contact_id, name, opportunity_id=ctx.opportunity_id, now=ctx.now)
    return (_("enrolled in sequence “{name}”") if added else _("already in sequence “{name}”")).format(name=name)


def leave_sequence(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    name = str(action["sequence"])
    count = sequences.leave(ctx.store, ctx.contact_id, name)
    if name == "*":
        return ngettext("left {n} sequence", "left {n} sequences", count).format(n=count)
    return (_("left sequence “{name}”") if count else _("was not in sequence “{name}”")).format(name=name)


ACTION_FUNCTIONS: dict[str, Callable[[ActionContext, Mapping[str, Any]], str]] = {
    "add_tag": add_tag,
    "remove_tag": remove_tag,
    "create_task": create_task,
    "add_note": add_note,
    "move_opportunity": move_opportunity,
    "set_owner": set_owner,
    "set_field": set_field,
    "enroll_sequence": enroll_sequence,
    "leave_sequence": leave_sequence,
}


def apply(ctx: ActionContext, action: Mapping[str, Any]) -> str:
    func = ACTION_FUNCTIONS.get(str(action.get("type")))
    if func is None:
        raise ActionError(_("unknown action {type!r}").format(type=action.get("type")))
    return func(ctx, action)
