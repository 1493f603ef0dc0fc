"""Python hooks from the `koachify.automations` entry-point group: loaded, called, and never fatal."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pytest

from koachify_tui.automations import HOOK_GROUP, Engine, Hook, install
from koachify_tui.automations.hooks import load_hooks
from koachify_tui.store import Store
from koachify_tui.store.events import DomainEvent, OpportunityStatusChanged

seen: list[tuple[str, int]] = []


def good_hook(event: DomainEvent, store: Store) -> None:
    if isinstance(event, OpportunityStatusChanged) and event.to_status == "won":
        seen.append((event.name, event.opportunity_id))
        store.add_note("Deal won (hook)", opportunity_id=event.opportunity_id)


def broken_hook(event: DomainEvent, store: Store) -> None:
    raise RuntimeError("webhook unreachable")


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = types.ModuleType("fake_koachify_plugin")
    module.good = good_hook  # type: ignore[attr-defined]
    module.broken = broken_hook  # type: ignore[attr-defined]
    module.not_callable = 42  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_koachify_plugin", module)
    eps = metadata.EntryPoints(
        [
            metadata.EntryPoint("good", "fake_koachify_plugin:good", HOOK_GROUP),
            metadata.EntryPoint("broken", "fake_koachify_plugin:broken", HOOK_GROUP),
            metadata.EntryPoint("missing", "no_such_module_xyz:handler", HOOK_GROUP),
            metadata.EntryPoint("not_callable", "fake_koachify_plugin:not_callable", HOOK_GROUP),
        ]
    )

    def entry_points(**params: str) -> metadata.EntryPoints:
        return eps.select(**params)

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    seen.clear()
    yield


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


def test_load_hooks_reports_broken_entry_points(plugin: None) -> None:
    hooks = {h.name: h for h in load_hooks()}
    assert hooks["good"].handler is good_hook and hooks["broken"].handler is broken_hook
    assert hooks["missing"].handler is None and "ModuleNotFoundError" in hooks["missing"].error
    assert hooks["not_callable"].error == "not callable"


def test_hooks_run_and_failures_are_recorded(plugin: None, store: Store) -> None:
    engine = install(store)
    cid = store.create_contact(first_name="Anna").id or 0
    oid = store.create_opportunity(cid, "Deal", "Vendite Coaching").id or 0
    store.set_status(oid, "won")

    assert store.get_opportunity(oid).status == "won"  # the trigger survives the broken hook
    assert seen == [("OpportunityStatusChanged", oid)]
    assert "Cliente attivo" in store.contact_tags(cid)  # rules still ran
    assert any(i.kind == "note" and i.text == "Deal won (hook)" for i in store.timeline(cid))
    failures = [r for r in store.list_runs(limit=500) if r.hook == "broken"]
    assert failures and all(not r.ok and r.error == "RuntimeError: webhook unreachable" for r in failures)
    assert any(i.kind == "automation" and "Hook “broken” failed" in i.text for i in store.timeline(cid))
    assert {h["name"]: h["loaded"] for h in engine.describe()["hooks"]} == {
        "good": True,
        "broken": True,  # it loads; it fails when called
        "missing": False,
        "not_callable": False,
    }


def test_injected_hook_loader(store: Store) -> None:
    calls: list[str] = []
    engine = Engine(store, hook_loader=lambda: [Hook("mine", "tests:mine", lambda e, s: calls.append(e.name))])
    engine.start()
    store.create_contact(first_name="Anna")
    engine.stop()
    store.create_contact(first_name="Bo")
    assert calls == ["ContactCreated"]
