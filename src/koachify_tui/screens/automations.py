"""The automations screen: rules with their trigger, filters, actions, state and run statistics; the run log.

Rules are shown and edited in words (screens/rule_words.py, screens/rule_editor.py); a rule that names a
pipeline, stage, field or sequence that no longer exists is marked ⚠ with what is wrong. Every name, tag and
error is user data and is rendered as plain text, never as markup.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..formatting import datetime_short
from ..i18n import _
from ..messages import StoreChanged
from ..store import NotFound
from ..store.models import AutomationRule, AutomationRun
from ..widgets.chrome import Footer, Header
from .base import AppAccess
from .contact_forms import ConfirmDialog
from .rule_editor import RuleForm
from .rule_words import action_in_words, filters_in_words, trigger_in_words
from .writes import ScreenWrites

__all__ = ["AutomationsScreen", "RuleForm", "action_in_words"]

RUN_LOG_LIMIT = 200
WORDS_WIDTH = 24  # the rules table's "Only if" and "Then" columns


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
        self.problems: dict[int, list[str]] = {}
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
        # filters and actions are sentences: fixed widths, rows grow to show them in full (no sideways scroll)
        rules.add_column(_("Only if"), width=WORDS_WIDTH)
        rules.add_column(_("Then"), width=WORDS_WIDTH)
        rules.add_columns(_("Runs"), _("Last run"), _("Last error"))
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
        problems = self.store.rule_problems(rules)
        self.app.call_from_thread(self._show_rules, rules, problems)

    def _show_rules(self, rules: list[AutomationRule], problems: dict[int, list[str]] | None = None) -> None:
        table = self.query_one("#rules-table", DataTable)
        current = self._select_id if self._select_id is not None else (self.current.id if self.current else None)
        self._select_id = None
        self.rules = rules
        self.problems = problems or {}
        table.clear()
        for rule in rules:
            actions = json.loads(rule.actions_json or "[]")
            broken = self.problems.get(rule.id or 0)
            if broken:  # it names something renamed or deleted: it would never fire, or fail
                state = Text("⚠", style="bold red")
            else:
                state = Text("●" if rule.enabled else "○", style="green" if rule.enabled else "dim")
            table.add_row(
                state,
                Text(rule.name),
                Text(trigger_in_words(rule.trigger)),
                Text(filters_in_words(json.loads(rule.filters_json or "{}"))),
                Text("; ".join(action_in_words(a) for a in actions)),
                Text(str(rule.run_count)),
                Text(datetime_short(rule.last_run_at, self.locale)),
                Text(broken[0] if broken else rule.last_error, style="red"),
                key=str(rule.id),
                height=None,
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
            filters = filters_in_words(json.loads(rule.filters_json or "{}"))
            lines = [
                trigger_in_words(rule.trigger) + (f" · {filters}" if filters else ""),
                *(f"→ {action_in_words(a)}" for a in json.loads(rule.actions_json)),
                *(_("⚠ Broken: {problem} (e edits it)").format(problem=p) for p in self.problems.get(rule.id or 0, [])),
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
