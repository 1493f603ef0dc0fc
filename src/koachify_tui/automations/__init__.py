"""Automations: rules on store events, follow-up sequences and Python hooks. Headless (no Textual).

Every entry point (TUI, CLI, importer, tests) wires the engine to its store with `install(store)`; a change
made anywhere then fires the same rules, in-process, right after it commits.
"""

from __future__ import annotations

import threading
import weakref

from ..store import Store
from ..store.models import utcnow
from .engine import MAX_DEPTH, Clock, Engine
from .hooks import HOOK_GROUP, Hook, HookLoader, load_hooks
from .sequences import EnrollmentInfo, SequenceInfo, StepRun, enroll, leave, run_due
from .summary import ContactAutomations, RuleActivity, contact_automations

__all__ = [
    "HOOK_GROUP",
    "MAX_DEPTH",
    "ContactAutomations",
    "Engine",
    "EnrollmentInfo",
    "Hook",
    "RuleActivity",
    "SequenceInfo",
    "StepRun",
    "contact_automations",
    "enroll",
    "engine_for",
    "install",
    "leave",
    "run_due",
]

_engines: weakref.WeakKeyDictionary[Store, Engine] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def install(store: Store, *, clock: Clock | None = None, hook_loader: HookLoader | None = None) -> Engine:
    """Start the automation engine on `store` and return it. Idempotent: a second call on the same store
    returns the running engine (its options are then ignored), so rules never run twice per event."""
    with _lock:
        engine = _engines.get(store)
        if engine is None:
            engine = Engine(store, clock=clock or utcnow, hook_loader=hook_loader or load_hooks)
            _engines[store] = engine
        engine.start()
        return engine


def engine_for(store: Store) -> Engine | None:
    """The engine installed on `store`, if any."""
    return _engines.get(store)
