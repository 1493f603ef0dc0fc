"""Rules in words: triggers, filters and actions as a coach reads them ("Add tag «Cliente attivo» to the
contact"), for the rules list, its detail line and the rule editor. Labels are marked with `N_` and translated
where shown, so a language switch applies without re-importing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import N_, _, ngettext
from ..store.rules import describe_action

TRIGGER_LABELS = {
    "opportunity.status_changed": N_("Opportunity status changed"),
    "opportunity.stage_changed": N_("Opportunity stage changed"),
    "opportunity.created": N_("Opportunity created"),
    "contact.created": N_("Contact created"),
    "tag.added": N_("Tag added"),
    "tag.removed": N_("Tag removed"),
    "contact.merged": N_("Contacts merged"),
}
TARGET_LABELS = {"contact": N_("the contact"), "opportunity": N_("the deal")}
STATUS_LABELS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost"), "abandoned": N_("abandoned")}
#: What each filter means, as the editor's labels.
FILTER_LABELS = {
    "from_status": N_("From status"),
    "to_status": N_("To status"),
    "status": N_("Status"),
    "from_stage": N_("From stage"),
    "to_stage": N_("Into stage"),
    "stage": N_("Stage"),
    "pipeline": N_("Pipeline"),
    "owner": N_("Owner"),
    "source": N_("Source"),
    "has_tag": N_("Has the tag"),
    "tag": N_("Tag"),
    "on": N_("Tagged"),
    "value_gte": N_("Value at least"),
    "value_lte": N_("Value at most"),
}
#: One filter as words in a rule's summary.
_FILTER_WORDS = {
    "from_status": N_("from {value}"),
    "to_status": N_("becomes {value}"),
    "status": N_("status {value}"),
    "from_stage": N_("from «{value}»"),
    "to_stage": N_("into «{value}»"),
    "stage": N_("in «{value}»"),
    "pipeline": N_("pipeline «{value}»"),
    "owner": N_("owner «{value}»"),
    "source": N_("source «{value}»"),
    "has_tag": N_("tagged «{value}»"),
    "tag": N_("tag «{value}»"),
    "on": N_("on {value}"),
    "value_gte": N_("value ≥ {value}"),
    "value_lte": N_("value ≤ {value}"),
}
#: What to do, as the editor's action picker.
ACTION_LABELS = {
    "add_tag": N_("Add a tag"),
    "remove_tag": N_("Remove a tag"),
    "create_task": N_("Create a task"),
    "add_note": N_("Add a note"),
    "move_opportunity": N_("Move the deal"),
    "set_owner": N_("Set the owner"),
    "set_field": N_("Set a field"),
    "enroll_sequence": N_("Enroll in a sequence"),
    "leave_sequence": N_("Take out of a sequence"),
}
PARAM_LABELS = {
    "tag": N_("Tag"),
    "target": N_("On"),
    "title": N_("Task"),
    "due_in_days": N_("Due in (days, optional)"),
    "notes": N_("Notes (optional)"),
    "body": N_("Note"),
    "stage": N_("Stage"),
    "pipeline": N_("Of pipeline (optional: the deal's own)"),
    "owner": N_("Owner"),
    "key": N_("Field"),
    "value": N_("Value"),
    "sequence": N_("Sequence"),
}
#: Actions on the contact or the deal, one sentence each (languages contract the article: "al contatto").
_TARGET_WORDS = {
    ("add_tag", "contact"): N_("Add tag «{tag}» to the contact"),
    ("add_tag", "opportunity"): N_("Add tag «{tag}» to the deal"),
    ("remove_tag", "contact"): N_("Remove tag «{tag}» from the contact"),
    ("remove_tag", "opportunity"): N_("Remove tag «{tag}» from the deal"),
    ("set_owner", "contact"): N_("Set the owner of the contact to «{owner}»"),
    ("set_owner", "opportunity"): N_("Set the owner of the deal to «{owner}»"),
    ("set_field", "contact"): N_("Set {key} of the contact to «{value}»"),
    ("set_field", "opportunity"): N_("Set {key} of the deal to «{value}»"),
}
_ACTION_WORDS = {
    "add_tag": N_("Add tag «{tag}» to {target}"),
    "remove_tag": N_("Remove tag «{tag}» from {target}"),
    "create_task": N_("Create a task «{title}»"),
    "add_note": N_("Add the note «{body}»"),
    "move_opportunity": N_("Move the deal to «{stage}»"),
    "set_owner": N_("Set the owner of {target} to «{owner}»"),
    "set_field": N_("Set {key} of {target} to «{value}»"),
    "enroll_sequence": N_("Enroll the contact in the sequence «{sequence}»"),
    "leave_sequence": N_("Take the contact out of the sequence «{sequence}»"),
}


def trigger_in_words(trigger: str) -> str:
    return _(TRIGGER_LABELS[trigger]) if trigger in TRIGGER_LABELS else trigger


def action_in_words(action: Mapping[str, Any]) -> str:
    """An action as a sentence ("Add tag «Cliente attivo» to the contact"); an unknown or incomplete action
    falls back to its raw form so that nothing is hidden."""
    kind = str(action.get("type", ""))
    template = _TARGET_WORDS.get((kind, str(action.get("target", "contact"))), _ACTION_WORDS.get(kind))
    if template is None:
        return describe_action(action)
    values = {k: str(v) for k, v in action.items()}
    target = values.get("target", "contact")
    values["target"] = _(TARGET_LABELS[target]) if target in TARGET_LABELS else target
    try:
        text = _(template).format(**values)
    except KeyError:
        return describe_action(action)
    if action.get("type") == "create_task" and action.get("due_in_days") is not None:
        days = int(action["due_in_days"])
        text += " " + ngettext("due in {n} day", "due in {n} days", days).format(n=days)
    if action.get("type") == "move_opportunity" and action.get("pipeline"):
        text += " " + _("of «{pipeline}»").format(pipeline=action["pipeline"])
    if action.get("type") == "leave_sequence" and action.get("sequence") == "*":
        text = _("Take the contact out of every sequence")
    return text


def _value_words(key: str, value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    if key.endswith("status"):
        values = [_(STATUS_LABELS[v]) if v in STATUS_LABELS else v for v in values]
    elif key == "on":
        values = [_(TARGET_LABELS[v]) if v in TARGET_LABELS else v for v in values]
    return _(" or ").join(str(v) for v in values)


def filters_in_words(filters: Mapping[str, Any]) -> str:
    """A rule's filters as words: `becomes won · pipeline «Vendite Coaching»`; empty for none."""
    parts = []
    for key, value in sorted(filters.items(), key=lambda kv: kv[0] != "pipeline"):
        template = _FILTER_WORDS.get(key)
        shown = _value_words(key, value)
        parts.append(_(template).format(value=shown) if template else f"{key}={shown}")
    return " · ".join(parts)
