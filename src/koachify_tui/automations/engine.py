"""The rules engine: subscribed to the store's events, it runs matching rules and Python hooks.

Guarantees (see tests/test_automations_engine.py):
- it runs after the triggering change committed, so a failing rule or hook never rolls that change back;
- one rule run is one transaction: all its actions and its log entry commit together, or none does;
- every run, ok or failed, goes in the run log, on the rule (run count, last run, last error) and on the
  contact's timeline;
- a chain of rules deeper than `max_depth` event dispatches is cut with a logged warning.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..i18n import _
from ..store import Store
from ..store.changes import Cause
from ..store.events import DomainEvent, ImportCompleted, TagAdded
from ..store.models import AutomationRule, utcnow
from . import actions, sequences
from .hooks import Hook, HookLoader, load_hooks
from .matching import Facts, is_import, matches, trigger_of

log = logging.getLogger(__name__)

#: Events this many dispatches deep run no rule: A ⇒ B ⇒ A… stops after a few rounds.
MAX_DEPTH = 5
#: Triggers whose rules see import events only with `fire_on_import`.
IMPORT_GATED = frozenset({"contact.created", "tag.added"})
#: Seconds a cached rule list is trusted when rules may have been changed by another process.
RULES_TTL = 2.0

Clock = Callable[[], datetime]


class Engine:
    """Runs automation rules and hooks on one store. Create it with `install(store)`."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utcnow,
        hook_loader: HookLoader = load_hooks,
        max_depth: int = MAX_DEPTH,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_depth = max_depth
        self._hook_loader = hook_loader
        self.hooks: list[Hook] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._rules: dict[str, list[AutomationRule]] = {}
        self._rules_loaded_at: float | None = None
        self._rules_version = -1

    def start(self) -> None:
        if self._unsubscribe is not None:
            return
        self.hooks = self._hook_loader()
        self._unsubscribe = self.store.subscribe(self.handle)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @property
    def running(self) -> bool:
        return self._unsubscribe is not None

    # --- dispatch ---------------------------------------------------------------------------------------

    def handle(self, event: DomainEvent) -> None:
        """Run the rules whose trigger and filters match `event`, then the hooks. Never raises."""
        trigger = trigger_of(event)
        if event.depth >= self.max_depth:
            self._cut(event, trigger)
            return
        if trigger is not None:
            try:
                rules = self._enabled_rules(trigger)
            except Exception:  # noqa: BLE001 - e.g. the database went away; the change itself is committed
                log.exception("cannot load automation rules for %s", event.name)
                rules = []
            facts = Facts(self.store, event)
            for rule in rules:
                try:
                    if self._fires(rule, event, facts):
                        self.run_rule(rule, event)
                except Exception:  # noqa: BLE001 - one broken rule must not stop the others
                    log.exception("automation rule %s failed outside its run", rule.id)
        for hook in self.hooks:
            if hook.handler is not None:
                self._run_hook(hook, event)
        if isinstance(event, ImportCompleted) and event.batch_id:
            self._expand_import(event)

    def _expand_import(self, event: ImportCompleted) -> None:
        """An import publishes one ContactCreated per contact but one ImportCompleted for all its tags (a
        TagAdded per row would cost more than the import): here it becomes the TagAdded events a hand edit
        emits, so `tag.added` rules (with fire_on_import) and hooks see the same facts either way."""
        try:
            wanted = any(r.fire_on_import for r in self._enabled_rules("tag.added")) or any(
                h.handler is not None for h in self.hooks
            )
            links = self.store.import_tag_links(event.batch_id) if wanted else []
        except Exception:  # noqa: BLE001 - the import is committed; a broken rule list must not undo that
            log.exception("cannot expand the tags of import batch %s", event.batch_id)
            return
        for contact_id, tag in links:
            self.handle(
                TagAdded(
                    origin=event.origin,
                    depth=event.depth,
                    contact_id=contact_id,
                    tag=tag,
                    import_batch_id=event.batch_id,
                )
            )

    def _enabled_rules(self, trigger: str) -> list[AutomationRule]:
        """Enabled rules for a trigger, from a cache: an import publishes one event per contact, and a query
        per event cost more than the import itself. The cache reloads after any rule change made through this
        store and, for changes made by another process (the CLI beside the TUI), after RULES_TTL seconds."""
        now = time.monotonic()
        stale = self._rules_loaded_at is None or now - self._rules_loaded_at > RULES_TTL
        if stale or self._rules_version != self.store.rules_version:
            rules: dict[str, list[AutomationRule]] = {}
            for rule in self.store.list_rules(enabled_only=True):
                rules.setdefault(rule.trigger, []).append(rule)
            self._rules, self._rules_loaded_at, self._rules_version = rules, now, self.store.rules_version
        return self._rules.get(trigger, [])

    def _fires(self, rule: AutomationRule, event: DomainEvent, facts: Facts) -> bool:
        # Rules on per-row facts of an import (a contact created, a tag put on it) run only when asked to.
        if rule.trigger in IMPORT_GATED and not rule.fire_on_import and is_import(event):
            return False
        return matches(json.loads(rule.filters_json or "{}"), facts)

    def _cut(self, event: DomainEvent, trigger: str | None) -> None:
        log.warning(
            "automation loop cut: %s at depth %d (origin %s) runs no rule or hook",
            event.name,
            event.depth,
            event.origin,
        )
        if trigger is None:
            return
        # Make the cut visible where the coach looks: on the rules that would have run and on the timeline.
        facts = Facts(self.store, event)
        for rule in self._enabled_rules(trigger):
            try:
                if self._fires(rule, event, facts):
                    error = _("loop stopped: more than {n} automations in a chain").format(n=self.max_depth)
                    self._record(rule, event, ok=False, done=[], error=error)
            except Exception:  # noqa: BLE001
                log.exception("cannot record the loop cut of rule %s", rule.id)

    # --- running --------------------------------------------------------------------------------------

    def run_rule(self, rule: AutomationRule, event: DomainEvent) -> bool:
        """Run one rule's actions for an event, atomically, and log the run. Returns whether it succeeded."""
        contact_id = getattr(event, "contact_id", None)
        opportunity_id = getattr(event, "opportunity_id", None)
        origin = f"automation:{rule.id}"
        enrolled = False
        try:
            if contact_id is None:
                raise actions.ActionError(_("this event has no contact"))
            ctx = actions.ActionContext(self.store, contact_id, opportunity_id, self.clock(), origin, rule.name)
            # A run for an import's event belongs to that batch: its undo reverts what the run did.
            cause = Cause("rule", rule.id, getattr(event, "import_batch_id", None))

            def work() -> list[str]:
                done = [actions.apply(ctx, action) for action in rule_actions]
                self._record(rule, event, ok=True, done=done)
                return done

            rule_actions = json.loads(rule.actions_json or "[]")
            enrolled = any(a.get("type") == "enroll_sequence" for a in rule_actions)
            self.store.run_as_one(work, origin=origin, cause=cause)
        except Exception as exc:  # noqa: BLE001 - recorded on the rule, the run log and the timeline
            log.warning("automation rule %s (%s) failed on %s: %s", rule.id, rule.name, event.name, exc)
            try:
                self._record(rule, event, ok=False, done=[], error=f"{exc}" or type(exc).__name__)
            except Exception:  # noqa: BLE001
                log.exception("cannot record the failure of automation rule %s", rule.id)
            return False
        if enrolled and contact_id is not None:
            self.run_due(contact_id=contact_id)  # a first step due now runs now, not at the next cron
        return True

    def _record(self, rule: AutomationRule, event: DomainEvent, *, ok: bool, done: list[str], error: str = "") -> None:
        if ok:
            text = _("Automation “{name}”: {actions}").format(
                name=rule.name, actions="; ".join(done) if done else _("no action")
            )
        else:
            text = _("Automation “{name}” failed: {error}").format(name=rule.name, error=error)
        self.store.record_run(
            rule_id=rule.id,
            event=event.payload(),
            contact_id=getattr(event, "contact_id", None),
            opportunity_id=getattr(event, "opportunity_id", None),
            ok=ok,
            actions=done,
            error=error,
            text=text,
            origin=f"automation:{rule.id}",
        )

    def _run_hook(self, hook: Hook, event: DomainEvent) -> None:
        assert hook.handler is not None
        try:
            hook.handler(event, self.store)
        except Exception as exc:  # noqa: BLE001 - third-party code: report, never crash
            log.warning("automation hook %s failed on %s: %s", hook.name, event.name, exc, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
            try:
                self.store.record_run(
                    hook=hook.name,
                    event=event.payload(),
                    contact_id=getattr(event, "contact_id", None),
                    opportunity_id=getattr(event, "opportunity_id", None),
                    ok=False,
                    error=error,
                    text=_("Hook “{name}” failed: {error}").format(name=hook.name, error=error),
                    origin=f"hook:{hook.name}",
                )
            except Exception:  # noqa: BLE001
                log.exception("cannot record the failure of hook %s", hook.name)

    def run_due(self, *, contact_id: int | None = None, now: datetime | None = None) -> list[sequences.StepRun]:
        """Run the follow-up sequence steps due now (by the engine's clock)."""
        return sequences.run_due(self.store, now=now or self.clock(), contact_id=contact_id)

    def describe(self) -> dict[str, Any]:
        return {"running": self.running, "max_depth": self.max_depth, "hooks": [h.as_dict() for h in self.hooks]}
