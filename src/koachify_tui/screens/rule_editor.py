"""The rule editor: filters picked from the real pipelines, stages, statuses, tags and fields; actions shown and
edited as sentences ("Add tag «Cliente attivo» to the contact"), never as syntax.

The store checks every saved rule against the data (store/rule_checks.py), so what the pickers offer and what
the store accepts are the same; a value the pickers cannot show (a list of values, a stage since renamed) is
kept in a text field with completion and refused on save with the store's "did you mean".
"""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..i18n import _
from ..store import InvalidValue
from ..store.models import AutomationRule
from ..store.normalize import parse_money
from ..store.rules import ACTIONS, FILTERS, NUMERIC_FILTERS, STATUSES, TRIGGERS, validate_actions
from .contact_forms import FormScreen
from .rule_words import (
    ACTION_LABELS,
    FILTER_LABELS,
    PARAM_LABELS,
    STATUS_LABELS,
    TARGET_LABELS,
    TRIGGER_LABELS,
    action_in_words,
)
from .writes import Deferred

STATUS_KEYS = ("from_status", "to_status", "status")
STAGE_KEYS = ("stage", "from_stage", "to_stage")
TAG_KEYS = ("has_tag", "tag")


class Choices:
    """The names the pickers offer, read once when the editor opens (a handful of small tables)."""

    def __init__(self, store: Any) -> None:
        self.pipelines: dict[str, list[str]] = {p.name: [s.name for s in p.stages] for p in store.list_pipelines()}
        self.tags = [name for name, _count in store.list_tags()]
        self.fields = {entity: [(d.key, d.label) for d in store.list_fields(entity)] for entity in TARGET_LABELS}
        self.sequences = [s.name for s in store.list_sequences()]

    def stages(self, pipeline: str | None) -> list[str]:
        if pipeline in self.pipelines:
            return self.pipelines[pipeline]
        seen: dict[str, None] = {}
        for stages in self.pipelines.values():
            seen.update(dict.fromkeys(stages))
        return list(seen)


def _select(options: list[tuple[str, str]], value: Any, wid: str, *, blank: bool = True) -> Select[str]:
    values = [v for _label, v in options]
    chosen = value if value in values else Select.NULL
    if not blank and chosen is Select.NULL and values:
        chosen = values[0]
    return Select(
        [(Content(label), v) for label, v in options], value=chosen, prompt=_("(any)"), allow_blank=blank, id=wid
    )


def _typed(value: Any, wid: str, suggestions: list[str], placeholder: str = "") -> Input:
    shown = " | ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    suggester = SuggestFromList(suggestions, case_sensitive=False) if suggestions else None
    return Input(shown, placeholder=placeholder, suggester=suggester, id=wid)


def _widget_value(widget: Widget) -> str:
    if isinstance(widget, Select):
        return "" if widget.value is Select.NULL else str(widget.value)
    return widget.value.strip() if isinstance(widget, Input) else ""


class ActionList(OptionList):
    """The rule's actions as sentences.

    | Key | Action |
    | --- | --- |
    | a, insert | Add an action |
    | enter | Edit the highlighted action |
    | d, delete | Remove the highlighted action |
    """

    BINDINGS = [
        Binding("a,insert", "screen.add_action", _("Add action"), id="rule.add_action", tooltip=_("Add an action")),
        Binding("d,delete", "screen.remove_action", _("Remove"), id="rule.remove_action", tooltip=_("Remove it")),
    ]


class RuleForm(FormScreen):
    """Create or edit a rule; dismisses with the rule id, or None when cancelled.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel |
    | a / enter / d (in the actions) | Add / edit / remove an action |
    """

    DEFAULT_CSS = (
        FormScreen.DEFAULT_CSS
        + """
    RuleForm #rule-actions { height: auto; max-height: 6; min-height: 3; }
    RuleForm #rule-filters { height: auto; }
    """
    )

    def __init__(self, rule: AutomationRule | None) -> None:
        super().__init__()
        self.rule = rule
        self.form_title = _("Edit rule") if rule else _("New rule")
        self.actions: list[dict[str, Any]] = json.loads(rule.actions_json) if rule else []
        self._filters: dict[str, Any] = json.loads(rule.filters_json) if rule else {}
        self._choices: Choices | None = None
        self._built_for = ""  # the trigger the filter fields are for

    @property
    def choices(self) -> Choices:
        if self._choices is None:
            self._choices = Choices(self.store)
        return self._choices

    def fields(self) -> ComposeResult:
        rule = self.rule
        trigger = rule.trigger if rule else TRIGGERS[0]
        yield from self.field(_("Name"), Input(rule.name if rule else "", id="rule-name"), "name")
        options = [(_(TRIGGER_LABELS[t]), t) for t in TRIGGERS]
        yield from self.field(_("When"), _select(options, trigger, "rule-trigger", blank=False), "trigger")
        self._built_for = trigger
        with Vertical(id="rule-filters"):
            yield from self.filter_fields(trigger, self._filters)
        yield Static("", id="err-filters", classes="field-error", markup=False)
        yield Label(_("Then (a adds · enter edits · d removes)"), classes="field-label")
        yield ActionList(*self._action_options(), id="rule-actions")
        yield Static("", id="err-actions", classes="field-error", markup=False)
        yield Checkbox(_("Enabled"), rule.enabled if rule else True, id="rule-enabled")
        yield Checkbox(_("Also for contacts from imports"), rule.fire_on_import if rule else False, id="rule-import")

    # --- filters ------------------------------------------------------------------------------------

    def filter_fields(self, trigger: str, filters: dict[str, Any]) -> ComposeResult:
        pipeline = filters.get("pipeline")
        for key in sorted(FILTERS.get(trigger, ()), key=lambda k: k != "pipeline"):  # the stages depend on it
            yield Label(Content(_(FILTER_LABELS.get(key, key))), classes="field-label")
            yield self._filter_widget(key, filters.get(key), pipeline if isinstance(pipeline, str) else None)

    def _filter_widget(self, key: str, value: Any, pipeline: str | None) -> Widget:
        wid = f"flt-{key}"
        choices = self.choices
        if key in STATUS_KEYS:
            options = [(_(STATUS_LABELS[s]), s) for s in STATUSES]
        elif key == "pipeline":
            options = [(name, name) for name in choices.pipelines]
        elif key in STAGE_KEYS:
            options = [(name, name) for name in choices.stages(pipeline)]
        elif key == "on":
            options = [(_(TARGET_LABELS[t]), t) for t in TARGET_LABELS]
        elif key in TAG_KEYS:
            return _typed(value, wid, choices.tags, _("any tag"))
        else:
            hint = _("an amount, e.g. 1.500") if key in NUMERIC_FILTERS else ""
            return _typed(value, wid, [], hint)
        if value is not None and (isinstance(value, list) or value not in [v for _l, v in options]):
            return _typed(value, wid, [label for label, _v in options])  # kept as typed; the store checks it
        return _select(options, value, wid)

    @on(Select.Changed, "#rule-trigger")
    async def _trigger_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self._built_for:  # the Select announcing its first value
            return
        self._built_for = str(event.value)
        box = self.query_one("#rule-filters", Vertical)
        await box.remove_children()
        await box.mount_all(list(self.filter_fields(str(event.value), self.read_filters(strict=False))))

    @on(Select.Changed, "#flt-pipeline")
    def _pipeline_changed(self, event: Select.Changed) -> None:
        pipeline = None if event.value is Select.NULL else str(event.value)
        stages = self.choices.stages(pipeline)
        for key in STAGE_KEYS:
            for widget in self.query(f"#flt-{key}"):
                if isinstance(widget, Select):
                    keep = widget.value if widget.value in stages else Select.NULL
                    widget.set_options([(Content(s), s) for s in stages])
                    widget.value = keep

    def read_filters(self, *, strict: bool = True) -> dict[str, Any]:
        """The filters chosen; amounts are parsed in the user's locale (InvalidValue when `strict`)."""
        out: dict[str, Any] = {}
        for widget in self.query("#rule-filters Select, #rule-filters Input"):
            key = str(widget.id).removeprefix("flt-")
            text = _widget_value(widget)
            if not text:
                continue
            if key in NUMERIC_FILTERS:
                try:
                    out[key] = parse_money(text, self.locale) / 100
                except InvalidValue:
                    if strict:
                        raise
                continue
            values = [v.strip() for v in text.split("|") if v.strip()] if isinstance(widget, Input) else [text]
            out[key] = values[0] if len(values) == 1 else values
        return out

    # --- actions ------------------------------------------------------------------------------------

    def _action_options(self) -> list[Option]:
        if not self.actions:
            return [Option(Content(_("No action yet: a adds one")), id="none", disabled=True)]
        return [Option(Content(action_in_words(a)), id=str(i)) for i, a in enumerate(self.actions)]

    def _show_actions(self, highlight: int | None = None) -> None:
        actions = self.query_one("#rule-actions", ActionList)
        actions.clear_options()
        actions.add_options(self._action_options())
        if self.actions:
            actions.highlighted = min(highlight or 0, len(self.actions) - 1)

    def _trigger(self) -> str:
        return str(self.query_one("#rule-trigger", Select).value)

    def action_add_action(self) -> None:
        def added(action: dict[str, Any] | None) -> None:
            if action is not None:
                self.actions.append(action)
                self._show_actions(len(self.actions) - 1)

        self.app.push_screen(ActionForm(None, self._trigger(), self.choices), added)

    @on(OptionList.OptionSelected, "#rule-actions")
    def _edit_action(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.actions:
            self.action_add_action()
            return
        index = event.option_index

        def edited(action: dict[str, Any] | None) -> None:
            if action is not None:
                self.actions[index] = action
                self._show_actions(index)

        self.app.push_screen(ActionForm(self.actions[index], self._trigger(), self.choices), edited)

    def action_remove_action(self) -> None:
        index = self.query_one("#rule-actions", ActionList).highlighted
        if self.actions and index is not None and 0 <= index < len(self.actions):
            del self.actions[index]
            self._show_actions(index)

    # --- saving -------------------------------------------------------------------------------------

    def save(self) -> Deferred | None:
        name = self.query_one("#rule-name", Input).value
        trigger = self._trigger()
        try:
            filters = self.read_filters()
        except InvalidValue as exc:
            self.set_error("filters", str(exc))
            return None
        actions = list(self.actions)
        enabled = self.query_one("#rule-enabled", Checkbox).value
        on_import = self.query_one("#rule-import", Checkbox).value
        rule_id = self.rule.id or 0 if self.rule is not None else None
        changes: dict[str, Any] = {
            "filters": filters,
            "actions": actions,
            "enabled": enabled,
            "fire_on_import": on_import,
        }

        def write() -> int | None:
            if rule_id is None:
                return self.store.create_rule(name, trigger, **changes).id
            return self.store.update_rule(rule_id, name=name, trigger=trigger, **changes).id

        return Deferred(write)


class ActionForm(FormScreen):
    """One action, in words: what to do, then its details from pickers; dismisses with the action or None.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Done |
    | escape | Cancel |
    """

    def __init__(self, action: dict[str, Any] | None, trigger: str, choices: Choices) -> None:
        super().__init__()
        self.action = dict(action or {"type": "add_tag", "target": "contact"})
        self.trigger = trigger
        self.choices = choices
        self.form_title = _("Edit action") if action else _("New action")

    def fields(self) -> ComposeResult:
        options = [(_(ACTION_LABELS[kind]), kind) for kind in ACTIONS]
        yield from self.field(_("Do"), _select(options, self.action.get("type"), "act-type", blank=False), "type")
        with Vertical(id="act-params"):
            yield from self.param_fields(str(self.action.get("type")), self.action)
        yield Static(Content(action_in_words(self.action)), id="act-preview", classes="field-label")

    def param_fields(self, kind: str, action: dict[str, Any]) -> ComposeResult:
        spec = ACTIONS[kind]
        for key in (*spec.required, *spec.optional):
            yield Label(Content(_(PARAM_LABELS.get(key, key))), classes="field-label")
            yield self._param_widget(kind, key, action.get(key))
            yield Static("", id=f"err-p-{key}", classes="field-error", markup=False)

    def _param_widget(self, kind: str, key: str, value: Any) -> Widget:
        wid = f"p-{key}"
        choices = self.choices
        if key == "target":
            options = [(_(TARGET_LABELS[t]), t) for t in TARGET_LABELS]
            return _select(options, value or "contact", wid, blank=False)
        if key == "pipeline":
            return _select([(p, p) for p in choices.pipelines], value, wid)
        if key == "stage":
            return _select([(s, s) for s in choices.stages(None)], value, wid, blank=False)
        if key == "sequence":
            options = [(s, s) for s in choices.sequences]
            if kind == "leave_sequence":
                options.insert(0, (_("every sequence"), "*"))
            return _select(options, value, wid, blank=False)
        if key == "key":
            fields = choices.fields.get(str(self.action.get("target", "contact")), [])
            return _select([(label, k) for k, label in fields], value, wid, blank=False)
        if key == "tag":
            return _typed(value, wid, choices.tags)
        if key == "due_in_days":
            return Input("" if value is None else str(value), type="integer", placeholder=_("days"), id=wid)
        return Input("" if value is None else str(value), id=wid)

    @on(Select.Changed, "#act-type")
    async def _type_changed(self, event: Select.Changed) -> None:
        kind = str(event.value)
        if kind == self.action.get("type"):
            return
        kept = {k: v for k, v in self.read().items() if k in ("target", "tag", "title")}
        self.action = {"type": kind, **kept}
        box = self.query_one("#act-params", Vertical)
        await box.remove_children()
        await box.mount_all(list(self.param_fields(kind, self.action)))
        self._preview()

    @on(Select.Changed, "#p-target")
    def _target_changed(self, event: Select.Changed) -> None:
        """A field picker offers the fields of the entity the action sets."""
        for widget in self.query("#p-key"):
            if isinstance(widget, Select):
                fields = self.choices.fields.get(str(event.value), [])
                keep = widget.value if widget.value in [k for k, _label in fields] else Select.NULL
                widget.set_options([(Content(label), k) for k, label in fields])
                if keep is not Select.NULL:
                    widget.value = keep

    @on(Input.Changed)
    @on(Select.Changed)
    def _preview(self) -> None:
        if self.is_mounted:
            self.query_one("#act-preview", Static).update(Content(action_in_words(self.read())))

    def read(self) -> dict[str, Any]:
        action: dict[str, Any] = {"type": _widget_value(self.query_one("#act-type", Select))}
        for widget in self.query("#act-params Select, #act-params Input"):
            key = str(widget.id).removeprefix("p-")
            text = _widget_value(widget)
            if not text:
                continue
            if key == "due_in_days" and text.lstrip("-").isdigit():
                action[key] = int(text)
            elif key == "value":
                try:
                    action[key] = json.loads(text)
                except json.JSONDecodeError:
                    action[key] = text
            else:
                action[key] = text
        return action

    def save(self) -> dict[str, Any] | None:
        action = self.read()
        try:
            (clean,) = validate_actions(self.trigger, [action])
        except InvalidValue as exc:
            self.form_error(str(exc))
            return None
        return clean
