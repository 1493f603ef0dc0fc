"""Automation rules as data (trigger, filters, actions). The engine that runs them is koachify_tui.automations.

Rule JSON (what `koachify automations add --file` reads, what the rules screen edits)::

    {
      "name": "Won ⇒ tag Cliente attivo",
      "trigger": "opportunity.status_changed",
      "filters": {"to_status": "won", "pipeline": "Vendite Coaching", "value_gte": 500},
      "actions": [{"type": "add_tag", "target": "contact", "tag": "Cliente attivo"}],
      "enabled": true,
      "fire_on_import": false
    }

A filter value may be a list (any of them matches). Text compares case-insensitively; `pipeline` and `stage`
take a name or an id; `value_gte` / `value_lte` are in the deal's currency units (500 = € 500,00); `has_tag`
matches a tag on the contact or on the opportunity. See FILTERS and ACTIONS for what each trigger and action takes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from ..i18n import _
from .base import StoreBase
from .errors import InvalidValue, NotFound
from .models import AutomationRule, AutomationRun, Contact, HistoryEntry, HistoryKind, utcnow
from .normalize import MAX_MINOR, clean_text
from .rule_checks import check_references, load_known, rule_problems

TRIGGERS = (
    "opportunity.status_changed",
    "opportunity.stage_changed",
    "opportunity.created",
    "contact.created",
    "tag.added",
    "tag.removed",
    "contact.merged",
)

_OPPORTUNITY = ("pipeline", "stage", "owner", "has_tag", "value_gte", "value_lte")
#: The filters each trigger accepts.
FILTERS: dict[str, tuple[str, ...]] = {
    "opportunity.status_changed": ("from_status", "to_status", *_OPPORTUNITY),
    "opportunity.stage_changed": ("from_stage", "to_stage", "status", *_OPPORTUNITY),
    "opportunity.created": ("status", "source", *_OPPORTUNITY),
    "contact.created": ("source", "owner", "has_tag"),
    "tag.added": ("tag", "on"),
    "tag.removed": ("tag", "on"),
    "contact.merged": ("source", "owner", "has_tag"),  # of the survivor, after the merge
}
#: The keys of a rule's JSON/TOML form.
RULE_KEYS = ("name", "trigger", "filters", "actions", "enabled", "fire_on_import")
#: Keys `rule_as_dict` adds that a rule file may carry (an exported rule) and that are ignored on import.
READ_ONLY_KEYS = frozenset({"id", "run_count", "last_run_at", "last_error", "position"})
NUMERIC_FILTERS = frozenset({"value_gte", "value_lte"})
MAX_DAYS = 36_500  # a task due in at most a hundred years
STATUSES = ("open", "won", "lost", "abandoned")
TARGETS = ("contact", "opportunity")


@dataclass(frozen=True)
class ActionSpec:
    """An action type: its required and optional parameters (all text unless listed in `ints`)."""

    type: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    ints: tuple[str, ...] = ()
    needs_opportunity: bool = False  # always acts on the event's opportunity


ACTIONS: dict[str, ActionSpec] = {
    spec.type: spec
    for spec in (
        ActionSpec("add_tag", ("tag",), ("target",)),
        ActionSpec("remove_tag", ("tag",), ("target",)),
        ActionSpec("create_task", ("title",), ("due_in_days", "notes"), ints=("due_in_days",)),
        ActionSpec("add_note", ("body",)),
        ActionSpec("move_opportunity", ("stage",), ("pipeline",), needs_opportunity=True),
        ActionSpec("set_owner", ("owner",), ("target",)),
        ActionSpec("set_field", ("key", "value"), ("target",)),
        ActionSpec("enroll_sequence", ("sequence",)),
        ActionSpec("leave_sequence", ("sequence",)),  # "*" leaves every sequence
    )
}

#: The seed rule created with the default pipeline (editable and disableable), for new databases only: it
#: tags the clients won in "Vendite Coaching" (the default pipeline), not the deals of every pipeline. Databases
#: seeded before it was scoped keep their rule as it is (the user may have edited it since).
SEED_RULE: dict[str, Any] = {
    "name": "Won ⇒ tag Cliente attivo",
    "trigger": "opportunity.status_changed",
    "filters": {"to_status": "won", "pipeline": "Vendite Coaching"},
    "actions": [{"type": "add_tag", "target": "contact", "tag": "Cliente attivo"}],
}


def trigger_has_opportunity(trigger: str) -> bool:
    """Whether every event of this trigger carries an opportunity (tag events only sometimes do)."""
    return trigger.startswith("opportunity.")


def validate_filters(trigger: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Check filters against the trigger; returns a cleaned copy (empty values dropped)."""
    if trigger not in TRIGGERS:
        raise InvalidValue(
            _("unknown trigger {trigger!r}: {choices}").format(trigger=trigger, choices=", ".join(TRIGGERS))
        )
    if not isinstance(filters, Mapping):
        raise InvalidValue(_("filters must be an object of name: value"))
    allowed = FILTERS[trigger]
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if key not in allowed:
            raise InvalidValue(
                _("trigger {trigger} has no filter {key!r} (use: {choices})").format(
                    trigger=trigger, key=key, choices=", ".join(allowed)
                )
            )
        if value is None or value == "" or value == []:
            continue
        values = value if isinstance(value, list) else [value]
        if key in NUMERIC_FILTERS:
            if isinstance(value, list | bool) or not isinstance(value, int | float):
                raise InvalidValue(_("filter {key} needs a number").format(key=key))
            if not math.isfinite(value) or abs(value) * 100 > MAX_MINOR:
                raise InvalidValue(
                    _("filter {key}: amount out of range (at most {max})").format(key=key, max=f"{MAX_MINOR // 100:,}")
                )
        elif not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
            raise InvalidValue(_("filter {key} needs text or a list of texts").format(key=key))
        elif key in {"from_status", "to_status", "status"}:
            bad = [v for v in values if str(v).lower() not in STATUSES]
            if bad:
                from .rule_checks import did_you_mean

                raise InvalidValue(
                    _("unknown status «{value}» ({choices}){hint}").format(
                        value=bad[0], choices=", ".join(STATUSES), hint=did_you_mean(str(bad[0]), STATUSES)
                    )
                )
        elif key == "on" and any(v not in TARGETS for v in values):
            raise InvalidValue(_("filter on must be contact or opportunity"))
        cleaned = [clean_text(v) if isinstance(v, str) else v for v in values]
        out[key] = cleaned if isinstance(value, list) else cleaned[0]
    return out


def validate_actions(trigger: str, actions: Any) -> list[dict[str, Any]]:
    """Check a rule's action list; returns a cleaned copy. A rule with no action is allowed (it only logs)."""
    if not isinstance(actions, list):
        raise InvalidValue(_("actions must be a list"))
    out = []
    for i, action in enumerate(actions, 1):
        if not isinstance(action, Mapping) or "type" not in action:
            raise InvalidValue(_("action {i} needs a type ({choices})").format(i=i, choices=", ".join(ACTIONS)))
        spec = ACTIONS.get(str(action["type"]))
        if spec is None:
            raise InvalidValue(
                _("action {i}: unknown type {type!r} ({choices})").format(
                    i=i, type=action["type"], choices=", ".join(ACTIONS)
                )
            )
        params = {k: v for k, v in action.items() if k != "type"}
        for key in spec.required:
            if key not in params or (key != "value" and key != "owner" and not str(params[key]).strip()):
                raise InvalidValue(_("action {i} ({type}) needs {key}").format(i=i, type=spec.type, key=key))
        unknown = set(params) - set(spec.required) - set(spec.optional)
        if unknown:
            raise InvalidValue(
                _("action {i} ({type}) has no parameter {value!r}").format(
                    i=i, type=spec.type, value=sorted(unknown)[0]
                )
            )
        for key in spec.ints:
            if key in params and (isinstance(params[key], bool) or not isinstance(params[key], int)):
                raise InvalidValue(
                    _("action {i} ({type}): {key} must be a whole number").format(i=i, type=spec.type, key=key)
                )
            if key in params and not 0 <= params[key] <= MAX_DAYS:
                raise InvalidValue(
                    _("action {i} ({type}): {key} must be between 0 and {max}").format(
                        i=i, type=spec.type, key=key, max=MAX_DAYS
                    )
                )
        for key, param in params.items():  # `tag = ["a", "b"]` is not a tag named "['a', 'b']"
            if key not in spec.ints and key != "value" and param is not None and not isinstance(param, str):
                raise InvalidValue(_("action {i} ({type}): {key} must be text").format(i=i, type=spec.type, key=key))
        target = params.get("target", "contact")
        if target not in TARGETS:
            raise InvalidValue(
                _("action {i} ({type}): target must be contact or opportunity").format(i=i, type=spec.type)
            )
        wants_opportunity = spec.needs_opportunity or target == "opportunity"
        if wants_opportunity and trigger in ("contact.created", "contact.merged"):
            raise InvalidValue(
                _("action {i} ({type}) needs an opportunity, which {trigger} does not have").format(
                    i=i, type=spec.type, trigger=trigger
                )
            )
        out.append(
            {
                "type": spec.type,
                **{k: clean_text(v) if isinstance(v, str) and k != "body" else v for k, v in params.items()},
            }
        )
    return out


def rule_as_dict(rule: AutomationRule) -> dict[str, Any]:
    """A rule in its JSON form plus its run statistics (what `--json` prints; `create_rule_from_dict` reads it
    back, ignoring the statistics)."""
    return {
        "id": rule.id,
        "name": rule.name,
        "trigger": rule.trigger,
        "filters": json.loads(rule.filters_json or "{}"),
        "actions": json.loads(rule.actions_json or "[]"),
        "enabled": rule.enabled,
        "fire_on_import": rule.fire_on_import,
        "run_count": rule.run_count,
        "last_run_at": rule.last_run_at.isoformat() if rule.last_run_at else None,
        "last_error": rule.last_error,
    }


def run_as_dict(run: AutomationRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "at": run.at.isoformat(),
        "rule_id": run.rule_id,
        "hook": run.hook,
        "contact_id": run.contact_id,
        "opportunity_id": run.opportunity_id,
        "ok": run.ok,
        "actions": json.loads(run.actions_json or "[]"),
        "error": run.error,
        "event": json.loads(run.event_json or "{}"),
    }


def _fmt(value: Any) -> str:
    return " | ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def describe_filters(filters: Mapping[str, Any]) -> str:
    """One line for lists: `to_status=won, pipeline=Vendite Coaching`."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in filters.items())


def describe_action(action: Mapping[str, Any]) -> str:
    """One short line per action, e.g. `add_tag contact "Cliente attivo"`."""
    kind = str(action.get("type", "?"))
    params = {k: v for k, v in action.items() if k != "type"}
    text = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in params.items())
    return f"{kind} {text}".strip()


@dataclass(frozen=True)
class RuleActivity:
    """A rule that ran on the contact: how often, when last, and how that run ended."""

    rule_id: int
    name: str
    enabled: bool
    runs: int
    last_run_at: datetime
    last_ok: bool
    last_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "name": self.name,
            "enabled": self.enabled,
            "runs": self.runs,
            "last_run_at": self.last_run_at.isoformat(),
            "last_ok": self.last_ok,
            "last_error": self.last_error,
        }


class RulesAPI(StoreBase):
    """CRUD on automation rules and their run log. Rules are validated on every write."""

    def _rules_changed(self) -> None:
        self.rules_version += 1

    def list_rules(self, *, trigger: str | None = None, enabled_only: bool = False) -> list[AutomationRule]:
        with self.read() as s:
            stmt = select(AutomationRule)
            if trigger is not None:
                stmt = stmt.where(col(AutomationRule.trigger) == trigger)
            if enabled_only:
                stmt = stmt.where(col(AutomationRule.enabled) == True)  # noqa: E712 - SQL expression
            return list(s.execute(stmt.order_by(col(AutomationRule.position), col(AutomationRule.id))).scalars())

    def get_rule(self, rule_id: int) -> AutomationRule:
        with self.read() as s:
            rule = s.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(_("no automation rule with id {rule_id}").format(rule_id=rule_id))
            return rule

    def create_rule(
        self,
        name: str,
        trigger: str,
        *,
        filters: dict[str, Any] | None = None,
        actions: list[dict[str, Any]] | None = None,
        enabled: bool = True,
        fire_on_import: bool = False,
    ) -> AutomationRule:
        name = clean_text(name)
        if not name:
            raise InvalidValue(_("a rule needs a name"))
        clean_filters = validate_filters(trigger, filters or {})
        clean_actions = validate_actions(trigger, actions or [])
        with self.write() as tx:
            check_references(clean_filters, clean_actions, tx.session)
            position = int(tx.session.execute(select(func.count()).select_from(AutomationRule)).one()[0])
            rule = AutomationRule(
                name=name,
                trigger=trigger,
                filters_json=json.dumps(clean_filters, ensure_ascii=False),
                actions_json=json.dumps(clean_actions, ensure_ascii=False),
                enabled=enabled,
                fire_on_import=fire_on_import,
                position=position,
            )
            tx.session.add(rule)
            tx.session.flush()
            tx.after_commit.append(self._rules_changed)
            return rule

    def create_rules(self, specs: list[Mapping[str, Any]]) -> list[AutomationRule]:
        """Several rules from their JSON/TOML form, all or none (a file's rules)."""
        with self.write():
            return [self.create_rule_from_dict(spec) for spec in specs]

    def create_rule_from_dict(self, data: Mapping[str, Any]) -> AutomationRule:
        """Create a rule from its JSON/TOML form (see the module docstring)."""
        if not isinstance(data, Mapping):
            raise InvalidValue(_("a rule must be an object with name, trigger, filters and actions"))
        from .rule_file import check_rule

        spec = check_rule(data)
        return self.create_rule(
            spec.name,
            spec.trigger,
            filters=spec.filters,
            actions=spec.actions,
            enabled=spec.enabled,
            fire_on_import=spec.fire_on_import,
        )

    def update_rule(self, rule_id: int, **changes: Any) -> AutomationRule:
        with self.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(_("no automation rule with id {rule_id}").format(rule_id=rule_id))
            unknown = set(changes) - {*RULE_KEYS, "position", "last_error"}
            if unknown:
                raise InvalidValue(_("cannot change {value!r} of a rule").format(value=sorted(unknown)[0]))
            trigger = changes.get("trigger", rule.trigger)
            filters = changes.get("filters", json.loads(rule.filters_json))
            actions = changes.get("actions", json.loads(rule.actions_json))
            # Re-validate the whole rule: a new trigger may not accept the old filters. Its references are
            # checked when they change: a broken rule can still be renamed or switched off.
            filters_json = json.dumps(validate_filters(trigger, filters), ensure_ascii=False)
            actions_json = json.dumps(validate_actions(trigger, actions), ensure_ascii=False)
            if (filters_json, actions_json) != (rule.filters_json, rule.actions_json):
                check_references(json.loads(filters_json), json.loads(actions_json), tx.session)
            rule.filters_json, rule.actions_json = filters_json, actions_json
            rule.trigger = trigger
            if "name" in changes:
                name = clean_text(changes["name"])
                if not name:
                    raise InvalidValue(_("a rule needs a name"))
                rule.name = name
            for key in ("enabled", "fire_on_import", "position", "last_error"):
                if key in changes:
                    setattr(rule, key, changes[key])
            rule.updated_at = utcnow()
            tx.after_commit.append(self._rules_changed)
            return rule

    def rule_problems(self, rules: list[AutomationRule] | None = None) -> dict[int, list[str]]:
        """The broken rules (by id) and what each names that no longer exists (a pipeline, stage, field or
        sequence renamed or deleted since it was saved); sound rules are left out."""
        with self.read() as s:
            known = load_known(s)
            out: dict[int, list[str]] = {}
            for rule in rules if rules is not None else self.list_rules():
                problems = rule_problems(
                    json.loads(rule.filters_json or "{}"), json.loads(rule.actions_json or "[]"), known
                )
                if problems:
                    out[rule.id or 0] = problems
            return out

    def set_rule_enabled(self, rule_id: int, enabled: bool) -> AutomationRule:
        return self.update_rule(rule_id, enabled=enabled)

    def delete_rule(self, rule_id: int) -> None:
        with self.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(_("no automation rule with id {rule_id}").format(rule_id=rule_id))
            tx.session.delete(rule)
            tx.after_commit.append(self._rules_changed)

    def list_runs(
        self, *, rule_id: int | None = None, contact_id: int | None = None, limit: int = 100
    ) -> list[AutomationRun]:
        """The run log, newest first."""
        with self.read() as s:
            stmt = select(AutomationRun)
            if rule_id is not None:
                stmt = stmt.where(col(AutomationRun.rule_id) == rule_id)
            if contact_id is not None:
                stmt = stmt.where(col(AutomationRun.contact_id) == contact_id)
            stmt = stmt.order_by(col(AutomationRun.at).desc(), col(AutomationRun.id).desc()).limit(limit)
            return list(s.execute(stmt).scalars())

    def record_run(
        self,
        *,
        rule_id: int | None = None,
        hook: str = "",
        event: Mapping[str, Any] | None = None,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        ok: bool = True,
        actions: list[str] | None = None,
        error: str = "",
        text: str = "",
        origin: str | None = None,
    ) -> AutomationRun:
        """Log one rule or hook run: the run log row, the rule's counters and last error, and an "automation"
        entry on the contact's timeline (with `text`). Joins the caller's transaction when there is one, so a
        successful run is logged atomically with its actions."""
        with self.write(origin) as tx:
            s = tx.session
            now = utcnow()
            run = AutomationRun(
                rule_id=rule_id,
                hook=hook,
                event_json=json.dumps(event or {}, ensure_ascii=False, default=str),
                contact_id=contact_id,
                opportunity_id=opportunity_id,
                at=now,
                ok=ok,
                actions_json=json.dumps(actions or [], ensure_ascii=False),
                error=error,
            )
            s.add(run)
            rule = s.get(AutomationRule, rule_id) if rule_id is not None else None
            if rule is not None:
                rule.run_count += 1
                rule.last_run_at = now
                rule.last_error = "" if ok else error
            s.flush()
            # The contact may be gone for good (purged); the run log keeps the run anyway.
            if contact_id is not None and s.get(Contact, contact_id) is not None:
                s.add(
                    HistoryEntry(
                        contact_id=contact_id,
                        opportunity_id=opportunity_id,
                        kind=HistoryKind.AUTOMATION.value,
                        at=now,
                        actor=tx.origin,
                        to_value="ok" if ok else "error",
                        text=text or (rule.name if rule else hook),
                        data_json=json.dumps(
                            {"run_id": run.id, "rule_id": rule_id, "hook": hook, "ok": ok, "error": error},
                            ensure_ascii=False,
                        ),
                    )
                )
            return run

    def ensure_seed_rule(self) -> None:
        """Seed the default rule on a new database only: a coach who deleted every rule of a database in use
        must not see it come back (a database with contacts or past runs is not new)."""
        with self.read() as s:
            for model in (AutomationRule, AutomationRun, Contact):
                if s.execute(select(func.count()).select_from(model)).one()[0]:
                    return
        self.create_rule(
            SEED_RULE["name"], SEED_RULE["trigger"], filters=SEED_RULE["filters"], actions=SEED_RULE["actions"]
        )

    def rule_activity(self, contact_id: int) -> list[RuleActivity]:
        """The rules that ran on a contact: runs, last run and how it ended, most recent first."""
        with self.read() as s:
            counts = s.execute(
                select(col(AutomationRun.rule_id), func.count(), func.max(col(AutomationRun.id)))
                .where(col(AutomationRun.contact_id) == contact_id, col(AutomationRun.rule_id).is_not(None))
                .group_by(col(AutomationRun.rule_id))
            ).all()
            rules = []
            for rule_id, runs, last_run_id in counts:
                rule = s.get(AutomationRule, rule_id)
                last = s.get(AutomationRun, last_run_id)
                if rule is None or last is None:
                    continue
                rules.append(
                    RuleActivity(rule.id or 0, rule.name, rule.enabled, int(runs), last.at, last.ok, last.error)
                )
        rules.sort(key=lambda r: r.last_run_at, reverse=True)
        return rules
