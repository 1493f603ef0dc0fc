"""Python hooks: third-party handlers registered under the entry-point group `koachify.automations`.

A hook is any callable with the signature::

    def handler(event: koachify_tui.store.events.DomainEvent, store: koachify_tui.store.Store) -> None

registered in the plugin's pyproject.toml::

    [project.entry-points."koachify.automations"]
    notify_slack = "my_plugin.hooks:on_event"

It is called in-process for every committed store event (contact created, tag added, stage and status
changes…: see `koachify_tui.store.events`), after the rules, in the thread that made the change. It may read
and write through `store`; its writes fire rules and hooks in turn, and loops are cut like a rule's. A hook
that fails to load or raises is logged and recorded in the run log (and on the contact's timeline); it never
breaks the change that triggered it nor the app. Successful hook calls are not logged (they see every event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

log = logging.getLogger(__name__)

HOOK_GROUP = "koachify.automations"
HookHandler = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Hook:
    """One entry point: its handler, or why it could not be loaded."""

    name: str
    value: str
    handler: HookHandler | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.value, "loaded": self.handler is not None, "error": self.error}


HookLoader = Callable[[], list[Hook]]


def load_hooks() -> list[Hook]:
    """Load every handler registered in the `koachify.automations` entry-point group."""
    hooks = []
    try:
        entry_points = list(metadata.entry_points(group=HOOK_GROUP))
    except Exception as exc:  # noqa: BLE001 - a broken installed distribution must not stop the app
        log.error("cannot list %s entry points: %s", HOOK_GROUP, exc)
        return []
    for ep in entry_points:
        try:
            handler = ep.load()
        except Exception as exc:  # noqa: BLE001 - a plugin's import error is its own problem
            log.error("automation hook %s (%s) failed to load: %s", ep.name, ep.value, exc)
            hooks.append(Hook(ep.name, ep.value, error=f"{type(exc).__name__}: {exc}"))
            continue
        if not callable(handler):
            log.error("automation hook %s (%s) is not callable", ep.name, ep.value)
            hooks.append(Hook(ep.name, ep.value, error="not callable"))
            continue
        hooks.append(Hook(ep.name, ep.value, handler))
    return hooks
