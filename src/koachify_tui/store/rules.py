"""Automation rules as data (trigger, filters, actions). The engine that runs them is koachify_tui.automations."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from .base import StoreBase
from .errors import InvalidValue, NotFound
from .models import AutomationRule, AutomationRun, utcnow
from .normalize import clean_text

TRIGGERS = (
    "opportunity.status_changed",
    "opportunity.stage_changed",
    "opportunity.created",
    "contact.created",
    "tag.added",
    "tag.removed",
)

#: The seed rule created with the default pipeline (editable and disableable).
SEED_RULE: dict[str, Any] = {
    "name": "Won ⇒ tag Cliente attivo",
    "trigger": "opportunity.status_changed",
    "filters": {"to_status": "won"},
    "actions": [{"type": "add_tag", "target": "contact", "tag": "Cliente attivo"}],
}


class RulesAPI(StoreBase):
    def list_rules(self) -> list[AutomationRule]:
        with self.read() as s:
            return list(s.exec(select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id)).scalars())

    def get_rule(self, rule_id: int) -> AutomationRule:
        with self.read() as s:
            rule = s.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(f"no automation rule with id {rule_id}")
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
            raise InvalidValue("a rule needs a name")
        if trigger not in TRIGGERS:
            raise InvalidValue(f"unknown trigger {trigger!r}: {', '.join(TRIGGERS)}")
        with self.write() as tx:
            position = int(tx.session.exec(select(func.count()).select_from(AutomationRule)).one()[0])
            rule = AutomationRule(
                name=name,
                trigger=trigger,
                filters_json=json.dumps(filters or {}),
                actions_json=json.dumps(actions or []),
                enabled=enabled,
                fire_on_import=fire_on_import,
                position=position,
            )
            tx.session.add(rule)
            tx.session.flush()
            return rule

    def update_rule(self, rule_id: int, **changes: Any) -> AutomationRule:
        with self.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(f"no automation rule with id {rule_id}")
            for key, value in changes.items():
                if key == "filters":
                    rule.filters_json = json.dumps(value)
                elif key == "actions":
                    rule.actions_json = json.dumps(value)
                elif key in {"name", "trigger", "enabled", "fire_on_import", "last_error", "position"}:
                    if key == "trigger" and value not in TRIGGERS:
                        raise InvalidValue(f"unknown trigger {value!r}")
                    setattr(rule, key, value)
                else:
                    raise InvalidValue(f"cannot change {key!r} of a rule")
            rule.updated_at = utcnow()
            return rule

    def delete_rule(self, rule_id: int) -> None:
        with self.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(f"no automation rule with id {rule_id}")
            tx.session.delete(rule)

    def list_runs(
        self, *, rule_id: int | None = None, contact_id: int | None = None, limit: int = 100
    ) -> list[AutomationRun]:
        with self.read() as s:
            stmt = select(AutomationRun)
            if rule_id is not None:
                stmt = stmt.where(AutomationRun.rule_id == rule_id)
            if contact_id is not None:
                stmt = stmt.where(AutomationRun.contact_id == contact_id)
            stmt = stmt.order_by(AutomationRun.at.desc(), AutomationRun.id.desc()).limit(limit)  # type: ignore[attr-defined]
            return list(s.exec(stmt).scalars())

    def ensure_seed_rule(self) -> None:
        with self.read() as s:
            if s.exec(select(func.count()).select_from(AutomationRule)).one()[0]:
                return
        self.create_rule(
            SEED_RULE["name"], SEED_RULE["trigger"], filters=SEED_RULE["filters"], actions=SEED_RULE["actions"]
        )
