"""The automations screen: rules with their trigger, filters, actions, state and run statistics; the run log.

Rules are edited in a modal form whose filters and actions are plain text, one per line::

    to_status = won                  (filters: key = value; several values: won | lost)
    add_tag tag="Cliente attivo"     (actions: type, then key=value; quote values with spaces)

Every name, tag and error is user data and is rendered as plain text, never as markup.
"""

from __future__ import annotations

import json
import shlex
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TextArea

from ..formatting import datetime_short
from ..i18n import _, ngettext
from ..messages import StoreChanged
from ..store import InvalidValue, NotFound
from ..store.models import AutomationRule, AutomationRun
from ..store.normalize import parse_money
from ..store.rules import ACTIONS, FILTERS, NUMERIC_FILTERS, TRIGGERS, describe_action, describe_filters
from ..widgets.chrome import Footer, Header
from .base import AppAccess
from .contact_forms import ConfirmDialog, FormScreen
from .writes import Deferred, ScreenWrites

TRIGGER_LABELS = {
    "opportunity.status_changed": _("Opportunity status changed"),
    "opportunity.stage_changed": _("Opportunity stage changed"),
    "opportunity.created": _("Opportunity created"),
    "contact.created": _("Contact created"),
    "tag.added": _("Tag added"),
    "tag.removed": _("Tag removed"),
    "contact.merged": _("Contacts merged"),
}
RUN_LOG_LIMIT = 200

_TARGETS = {"contact": _("the contact"), "opportunity": _("the deal")}
_ACTION_WORDS = {
    "add_tag": _("Add tag «{tag}» to {target}"),
    "remove_tag": _("Remove tag «{tag}» from {target}"),
    "create_task": _("Create the task «{title}»"),
    "add_note": _("Add the note «{body}»"),
    "move_opportunity": _("Move the deal to «{stage}»"),
    "set_owner": _("Set the owner of {target} to «{owner}»"),
    "set_field": _("Set {key} of {target} to «{value}»"),
    "enroll_sequence": _("Enroll the contact in the sequence «{sequence}»"),
    "leave_sequence": _("Take the contact out of the sequence «{sequence}»"),
}


def action_in_words(action: dict[str, Any]) -> str:
    """An action as a sentence ("Add tag «Cliente attivo» to the contact"); the rule editor keeps the
    typed syntax (`describe_action`), unknown or incomplete actions fall back to it."""
    template = _ACTION_WORDS.get(str(action.get("type", "")))
    if template is None:
        return describe_action(action)
    values = {k: str(v) for k, v in action.items()}
    values["target"] = _TARGETS.get(values.get("target", "contact"), values.get("target", ""))
    try:
        text = template.format(**values)
    except KeyError:
        return describe_action(action)
    if action.get("type") == "create_task" and action.get("due_in_days") is not None:
        days = int(action["due_in_days"])
        text += " " + ngettext("due in {n} day", "due in {n} days", days).format(n=days)
    if action.get("type") == "leave_sequence" and action.get("sequence") == "*":
        text = _("Take the contact out of every sequence")
    return text


FILTERS_WIDTH = 22  # the rules table's "Only if" column; its rows grow to show every filter in full

# --- text forms of filters and actions ------------------------------------------------------------------


def filters_to_text(filters: dict[str, Any]) -> str:
    lines = []
    for key, value in filters.items():
        shown = " | ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        lines.append(f"{key} = {shown}")
    return "\n".join(lines)


def filters_from_text(text: str, locale: str = "en_GB") -> dict[str, Any]:
    """`key = value` per line; `a | b` means any of them; value_gte/value_lte take amounts (1.500,00)."""
    out: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InvalidValue(_("filters, line {n}: write key = value").format(n=number))
        if key in NUMERIC_FILTERS:
            out[key] = parse_money(value, locale) / 100
        else:
            values = [v.strip() for v in value.split("|") if v.strip()]
            out[key] = values[0] if len(values) == 1 else values
    return out


def actions_to_text(actions: list[dict[str, Any]]) -> str:
    return "\n".join(describe_action(a) for a in actions)


def actions_from_text(text: str) -> list[dict[str, Any]]:
    """One action per line: `type key=value …` (shell quoting: tag="Cliente attivo")."""
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            kind, *params = shlex.split(line)
        except ValueError as exc:
            raise InvalidValue(_("actions, line {n}: {error}").format(n=number, error=exc)) from None
        action: dict[str, Any] = {"type": kind}
        spec = ACTIONS.get(kind)
        for param in params:
            key, sep, value = param.partition("=")
            if not sep:
                raise InvalidValue(_("actions, line {n}: write key=value, not {param!r}").format(n=number, param=param))
            if spec is not None and key in spec.ints and value.lstrip("-").isdigit():
                action[key] = int(value)
            elif key == "value":
                try:
                    action[key] = json.loads(value)
                except json.JSONDecodeError:
                    action[key] = value
            else:
                action[key] = value
        out.append(action)
    return out


def trigger_hint(trigger: str) -> str:
    filters = ", ".join(FILTERS.get(trigger, ()))
    actions = ", ".join(ACTIONS)
    return _("Filters: {filters}\nActions: {actions}").format(filters=filters, actions=actions)


# --- the form ---------------------------------------------------------------------------------------------


class RuleForm(FormScreen):
    """Create or edit a rule; dismisses with the rule id, or None when cancelled.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel |
    """

    def __init__(self, rule: AutomationRule | None) -> None:
        super().__init__()
        self.rule = rule
        self.form_title = _("Edit rule") if rule else _("New rule")

    def fields(self) -> ComposeResult:
        rule = self.rule
        trigger = rule.trigger if rule else TRIGGERS[0]
        yield from self.field(_("Name"), Input(rule.name if rule else "", id="rule-name"), "name")
        options = [(_(TRIGGER_LABELS.get(t, t)), t) for t in TRIGGERS]
        yield from self.field(
            _("When"), Select(options, value=trigger, allow_blank=False, id="rule-trigger"), "trigger"
        )
        filters = filters_to_text(json.loads(rule.filters_json)) if rule else ""
        yield from self.field(_("Only if (key = value, one per line)"), TextArea(filters, id="rule-filters"), "filters")
        actions = actions_to_text(json.loads(rule.actions_json)) if rule else ""
        yield from self.field(_("Then (one action per line)"), TextArea(actions, id="rule-actions"), "actions")
        yield Static(trigger_hint(trigger), id="form-hint", markup=False)
        yield Checkbox(_("Enabled"), rule.enabled if rule else True, id="rule-enabled")
        yield Checkbox(_("Also for contacts from imports"), rule.fire_on_import if rule else False, id="rule-import")

    @on(Select.Changed, "#rule-trigger")
    def _trigger_changed(self, event: Select.Changed) -> None:
        self.query_one("#form-hint", Static).update(Content(trigger_hint(str(event.value))))

    def save(self) -> Deferred | None:
        name = self.query_one("#rule-name", Input).value
        trigger = str(self.query_one("#rule-trigger", Select).value)
        try:
            filters = filters_from_text(self.query_one("#rule-filters", TextArea).text, _app_locale(self))
        except InvalidValue as exc:
            self.set_error("filters", str(exc))
            return None
        try:
            actions = actions_from_text(self.query_one("#rule-actions", TextArea).text)
        except InvalidValue as exc:
            self.set_error("actions", str(exc))
            return None
        enabled = self.query_one("#rule-enabled", Checkbox).value
        on_import = self.query_one("#rule-import", Checkbox).value
        rule_id = self.rule.id or 0 if self.rule is not None else None

        def write() -> int | None:
            if rule_id is None:
                rule = self.store.create_rule(
                    name, trigger, filters=filters, actions=actions, enabled=enabled, fire_on_import=on_import
                )
            else:
                rule = self.store.update_rule(
                    rule_id,
                    name=name,
                    trigger=trigger,
                    filters=filters,
                    actions=actions,
                    enabled=enabled,
                    fire_on_import=on_import,
                )
            return rule.id

        return Deferred(write)


# --- the screen -------------------------------------------------------------------------------------------


class AutomationsScreen(ScreenWrites, AppAccess, Screen[None]):
    """Automation rules and their run log.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓, g, G | Move |
    | space | Enable / disable the highlighted rule |
    | n / e, enter | New rule / edit the highlighted rule |
    | d | Delete the highlighted rule (after confirming) |
    | l | Run log: the highlighted rule's runs, or every run (rules and hooks) |
    | tab | Move between the rules and the run log |
    """

    TITLE = _("Automations")
    DEFAULT_CSS = """
    AutomationsScreen #rules-table { height: 1fr; border: round $panel; }
    AutomationsScreen #rules-table:focus { border: round $primary; }
    AutomationsScreen #rule-detail { height: auto; max-height: 8; padding: 0 1; color: $foreground-muted; }
    AutomationsScreen #runs-table { height: 1fr; border: round $panel; }
    AutomationsScreen #runs-table:focus { border: round $primary; }
    """
    BINDINGS = [
        Binding(
            "space", "toggle_enabled", _("On/off"), id="automations.toggle", tooltip=_("Enable or disable the rule")
        ),
        Binding("n", "new", _("New"), id="automations.new", tooltip=_("Create a rule")),
        Binding("e,enter", "edit", _("Edit"), id="automations.edit", tooltip=_("Edit the highlighted rule")),
        Binding("d", "delete", _("Delete"), id="automations.delete", tooltip=_("Delete the highlighted rule")),
        Binding("l", "log_scope", _("Log"), id="automations.log", tooltip=_("This rule's runs or every run")),
        Binding("S", "sequences", _("Sequences"), id="automations.sequences", tooltip=_("Follow-up sequences")),
        Binding("j", "cursor('down')", _("Down"), id="automations.down", tooltip=_("Next row"), show=False),
        Binding("k", "cursor('up')", _("Up"), id="automations.up", tooltip=_("Previous row"), show=False),
        Binding("g", "cursor('top')", _("First"), id="automations.top", tooltip=_("First row"), show=False),
        Binding("G", "cursor('bottom')", _("Last"), id="automations.bottom", tooltip=_("Last row"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[AutomationRule] = []
        self.all_runs = False  # run log scope: False = the highlighted rule's runs
        self._select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            rules: DataTable[Any] = DataTable(id="rules-table", cursor_type="row", zebra_stripes=True)
            rules.border_title = _("Rules")
            yield rules
            yield Static("", id="rule-detail", markup=False)
            runs: DataTable[Any] = DataTable(id="runs-table", cursor_type="row")
            yield runs
        yield Footer()

    def on_mount(self) -> None:
        rules = self.query_one("#rules-table", DataTable)
        rules.add_columns(_("On"), _("Name"), _("When"))
        rules.add_column(_("Only if"), width=FILTERS_WIDTH)  # one filter a line, wrapped: the table fits at 160
        rules.add_columns(_("Then"), _("Runs"), _("Last run"), _("Last error"))
        self.query_one("#runs-table", DataTable).add_columns(_("When"), _("Rule / hook"), _("Contact"), _("Result"))
        rules.focus()
        self.reload()

    # --- loading ------------------------------------------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        """Re-read the rules; highlight `select_id` (kept until shown: a newer reload may cancel this one)."""
        if select_id is not None:
            self._select_id = select_id
        self._load()

    @work(thread=True, exclusive=True, group="automations-load")
    def _load(self) -> None:
        rules = self.store.list_rules()
        self.app.call_from_thread(self._show_rules, rules)

    def _show_rules(self, rules: list[AutomationRule]) -> None:
        table = self.query_one("#rules-table", DataTable)
        current = self._select_id if self._select_id is not None else (self.current.id if self.current else None)
        self._select_id = None
        self.rules = rules
        table.clear()
        for rule in rules:
            actions = json.loads(rule.actions_json or "[]")
            table.add_row(
                Text("●" if rule.enabled else "○", style="green" if rule.enabled else "dim"),
                Text(rule.name),
                Text(_(TRIGGER_LABELS.get(rule.trigger, rule.trigger))),
                Text("\n".join(describe_filters({k: v}) for k, v in json.loads(rule.filters_json or "{}").items())),
                Text("; ".join(action_in_words(a) for a in actions)),
                Text(str(rule.run_count)),
                Text(datetime_short(rule.last_run_at, self.locale)),
                Text(rule.last_error, style="red"),
                key=str(rule.id),
                height=None,  # one filter per line: a scoped rule ("pipeline=Vendite Coaching") still fits
            )
        table.border_title = _("Rules ({n})").format(n=len(rules))
        index = next((i for i, r in enumerate(rules) if r.id == current), 0)
        if rules:
            table.move_cursor(row=index)
        self._show_detail()

    @property
    def current(self) -> AutomationRule | None:
        table = self.query_one("#rules-table", DataTable)
        if not self.rules or table.cursor_row < 0 or table.cursor_row >= len(self.rules):
            return None
        return self.rules[table.cursor_row]

    def _show_detail(self) -> None:
        rule = self.current
        detail = self.query_one("#rule-detail", Static)
        if rule is None:
            detail.update(Content(_("No rules yet: n creates one.")))
        else:
            lines = [
                f"{_(TRIGGER_LABELS.get(rule.trigger, rule.trigger))}"
                + (f" · {describe_filters(json.loads(rule.filters_json))}" if rule.filters_json != "{}" else ""),
                *(f"→ {action_in_words(a)}" for a in json.loads(rule.actions_json)),
            ]
            if rule.last_run_at:  # also here, in full, for terminals too narrow for the table's last columns
                lines.append(_("Last run: {when}").format(when=datetime_short(rule.last_run_at, self.locale)))
            if rule.last_error:
                lines.append(_("Last error: {error}").format(error=rule.last_error))
            detail.update(Content("\n".join(lines)))
        self._load_runs(None if self.all_runs or rule is None else rule.id, self.all_runs)

    @work(thread=True, exclusive=True, group="automations-runs")
    def _load_runs(self, rule_id: int | None, all_runs: bool) -> None:
        runs = self.store.list_runs(rule_id=rule_id, limit=RUN_LOG_LIMIT) if (all_runs or rule_id) else []
        names: dict[int, str] = {}
        for run in runs:
            if run.contact_id and run.contact_id not in names:
                try:
                    names[run.contact_id] = self.store.contact_row(run.contact_id).display_name
                except NotFound:
                    names[run.contact_id] = f"#{run.contact_id}"
        self.app.call_from_thread(self._show_runs, runs, names)

    def _show_runs(self, runs: list[AutomationRun], contacts: dict[int, str] | None = None) -> None:
        contacts = contacts or {}
        table = self.query_one("#runs-table", DataTable)
        names = {r.id: r.name for r in self.rules}
        table.clear()
        for run in runs:
            who = names.get(run.rule_id, f"#{run.rule_id}") if run.rule_id else _("hook {name}").format(name=run.hook)
            if run.ok:
                result = Text("; ".join(json.loads(run.actions_json or "[]")) or _("no action"))
            else:
                result = Text(run.error, style="red")
            table.add_row(
                Text(datetime_short(run.at, self.locale)),
                Text(who),
                Text(contacts.get(run.contact_id, f"#{run.contact_id}") if run.contact_id else ""),
                result,
                key=str(run.id),
            )
        scope = _("every run") if self.all_runs else _("this rule")
        table.border_title = _("Run log: {scope} ({n})").format(scope=scope, n=len(runs))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#rules-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.reload()  # run counts, last run and errors change as rules fire

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    # --- actions ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"toggle", "edit", "delete"}:
            return None if self.is_mounted and self.current is None else True
        return True

    def action_cursor(self, where: str) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else self.query_one("#rules-table", DataTable)
        {"down": table.action_cursor_down, "up": table.action_cursor_up}.get(where, lambda: None)()
        if where == "top":
            table.move_cursor(row=0)
        elif where == "bottom":
            table.move_cursor(row=table.row_count - 1)

    def action_toggle_enabled(self) -> None:
        rule = self.current
        if rule is None:
            return

        def toggled(updated: AutomationRule | None) -> None:
            if updated is None:  # deleted meanwhile (CLI)
                self.reload()
                return
            state = _("enabled") if updated.enabled else _("disabled")
            self.notify(_("“{name}” {state}").format(name=updated.name, state=state), timeout=2, markup=False)
            self.reload(updated.id)

        self.run_store_write(
            partial(self.store.set_rule_enabled, rule.id or 0, not rule.enabled), done=toggled, skip=(NotFound,)
        )

    def action_new(self) -> None:
        self.app.push_screen(RuleForm(None), self._saved)

    def action_edit(self) -> None:
        rule = self.current
        if rule is not None:
            self.app.push_screen(RuleForm(rule), self._saved)

    def _saved(self, rule_id: int | None) -> None:
        if rule_id:
            self.notify(_("Rule saved"), timeout=2)
            self.reload(rule_id)

    def action_delete(self) -> None:
        rule = self.current
        if rule is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:  # deleted meanwhile (CLI): nothing left to do
                self.run_store_write(
                    partial(self.store.delete_rule, rule.id or 0), done=lambda _r: self.reload(), skip=(NotFound,)
                )

        question = Content(_("Delete the rule “{name}”? Its runs stay in the log.").format(name=rule.name))
        self.app.push_screen(ConfirmDialog(question, _("Delete rule")), confirmed)

    def action_sequences(self) -> None:
        from .sequences import SequencesScreen

        self.app.push_screen(SequencesScreen())

    def action_log_scope(self) -> None:
        self.all_runs = not self.all_runs
        self._show_detail()


def _app_locale(widget: Any) -> str:
    """The user's locale for parsing amounts typed in a form (en_GB outside the Koachify app)."""
    return str(getattr(getattr(widget.app, "settings", None), "locale", "en_GB"))
