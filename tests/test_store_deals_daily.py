"""Deals in daily use (issue 15): soft delete with restore and undo, edits in the history, won-on-entry
stages, and the seed rule scoped to "Vendite Coaching"."""

from __future__ import annotations

import io
from typing import Any

import pytest

from koachify_tui.automations import install
from koachify_tui.store import InvalidValue, NotFound, Store
from koachify_tui.store.board import BoardFilter
from koachify_tui.store.events import (
    OpportunityDeleted,
    OpportunityRestored,
    OpportunityStageChanged,
    OpportunityStatusChanged,
)
from koachify_tui.store.exporter import export_opportunities
from koachify_tui.store.timeline import KIND_GROUPS


def _deal(store: Store, title: str = "Percorso", value_minor: int = 100_000) -> tuple[int, int]:
    cid = store.create_contact(first_name="Anna", last_name="Rossi").id or 0
    oid = store.create_opportunity(cid, title, "Vendite Coaching", value_minor=value_minor, owner="Anna").id or 0
    return cid, oid


def _events(store: Store) -> list[Any]:
    seen: list[Any] = []
    store.subscribe(seen.append)
    return seen


# --- delete, restore, undo -------------------------------------------------------------------------------


def test_delete_is_soft_logged_and_hidden_everywhere(store: Store) -> None:
    cid, oid = _deal(store)
    note = store.add_note("Primo incontro", opportunity_id=oid).id
    seen = _events(store)
    store.delete_opportunity(oid, origin="tui")
    assert [type(e) for e in seen] == [OpportunityDeleted]  # after the commit, once
    assert store.get_opportunity(oid, include_deleted=True).deleted_at is not None
    assert store.list_opportunities() == [] and store.list_opportunities(contact_id=cid) == []
    assert [r.id for r in store.list_opportunities(deleted=True)] == [oid]
    p = store.get_pipeline("Vendite Coaching")
    assert store.stage_totals(p.id) == {}
    assert store.board_totals(p.id, BoardFilter()) == {}
    out = io.StringIO()
    assert export_opportunities(store, out) == 0
    # Its note waits with it: not on the contact's timeline, back once it is restored.
    assert not any(i.kind == "note" for i in store.timeline(cid))
    assert any(i.kind == "deleted" for i in store.timeline(cid))
    with pytest.raises(NotFound):
        store.move_opportunity(oid, "Proposta inviata")
    with pytest.raises(NotFound):
        store.delete_opportunity(oid)
    store.restore_opportunity(oid)
    assert [r.id for r in store.list_opportunities(contact_id=cid)] == [oid]
    assert [i.ref_id for i in store.timeline(cid) if i.kind == "note"] == [note]


def test_undo_of_a_delete_restores_and_emits(store: Store) -> None:
    _cid, oid = _deal(store)
    store.delete_opportunity(oid, origin="tui")
    txn = store.last_txn()
    assert txn is not None
    seen = _events(store)
    outcome = store.undo_changes(txn, origin="tui")
    assert outcome.reverted == 1
    assert store.get_opportunity(oid).deleted_at is None
    assert any(isinstance(e, OpportunityRestored) for e in seen)
    assert store.undo_changes(txn).reverted == 0  # twice: nothing left to revert


def test_restore_needs_a_deleted_deal_of_a_live_contact(store: Store) -> None:
    cid, oid = _deal(store)
    with pytest.raises(NotFound):
        store.restore_opportunity(oid)
    store.delete_contact(cid)
    with pytest.raises(NotFound):
        store.delete_opportunity(oid)  # deleted with its contact
    store.restore_contact(cid)
    assert store.get_opportunity(oid).deleted_at is None


# --- edits in the history --------------------------------------------------------------------------------


def test_value_owner_title_edits_show_in_both_timelines(store: Store) -> None:
    cid, oid = _deal(store)
    store.update_opportunity(oid, value_minor=150_000, owner="Luca", title="Percorso 6 mesi", source="Instagram")
    kinds = KIND_GROUPS["changes"]
    for items in (store.timeline(cid, kinds=kinds), store.timeline(cid, kinds=kinds, opportunity_id=oid)):
        texts = {i.text for i in items}
        assert "Value: 1.000,00\xa0€ → 1.500,00\xa0€" in texts, texts
        assert "Owner: Anna → Luca" in texts
        assert "Title: Percorso → Percorso 6 mesi" in texts
        assert "Source: – → Instagram" in texts
    english = {i.text for i in store.timeline(cid, kinds=kinds, locale="en_GB")}
    assert "Value: €1,000.00 → €1,500.00" in english


# --- won on entry ----------------------------------------------------------------------------------------


def _won_stage(store: Store) -> int:
    stage = store.get_pipeline("Vendite Coaching").stage("Contratto vinto")
    info = store.update_stage(stage.id, won_on_entry=True)
    assert info.won_on_entry and store.get_pipeline("Vendite Coaching").stage(stage.id).won_on_entry
    return stage.id


def test_moving_into_a_won_on_entry_stage_wins_and_tags(store: Store) -> None:
    install(store)
    cid, oid = _deal(store)
    stage_id = _won_stage(store)
    seen = _events(store)
    store.move_opportunity(oid, stage_id, origin="tui")
    txn = store.last_txn()
    row = store.opportunity_row(oid)
    assert (row.stage, row.status) == ("Contratto vinto", "won") and row.closed_at is not None
    assert [type(e) for e in seen if isinstance(e, OpportunityStageChanged | OpportunityStatusChanged)] == [
        OpportunityStageChanged,
        OpportunityStatusChanged,
    ]
    kinds = [h.kind for h in store.opportunity_history(oid)]
    assert kinds.index("stage_change") < kinds.index("status_change")
    assert "Cliente attivo" in store.contact_tags(cid)  # the seed automation fired
    # Undo of the move reverts both the stage and the status (the tag is the rule's own action).
    assert txn is not None
    store.undo_changes(txn, origin="tui")
    row = store.opportunity_row(oid)
    assert (row.stage, row.status) == ("Nuovo contatto", "open")


def test_won_on_entry_off_leaves_the_deal_open(store: Store) -> None:
    _cid, oid = _deal(store)
    stage_id = _won_stage(store)
    store.update_stage(stage_id, won_on_entry=False)
    store.move_opportunity(oid, stage_id)
    assert store.opportunity_row(oid).status == "open"


def test_a_lost_deal_moved_in_stays_lost_and_stage_deletion_does_not_win(store: Store) -> None:
    _cid, oid = _deal(store)
    stage_id = _won_stage(store)
    store.set_status(oid, "lost", reason="Prezzo")
    store.move_opportunity(oid, stage_id)
    assert store.opportunity_row(oid).status == "lost"
    _cid2, other = _deal(store, "Altro")
    first = store.get_pipeline("Vendite Coaching").stage("Nuovo contatto").id
    store.delete_stage(first, move_to=stage_id)  # a reorganisation, not a win
    assert store.opportunity_row(other).status == "open"


def test_add_stage_won_on_entry_and_rename_keeps_rules(store: Store) -> None:
    p = store.create_pipeline("Corsi", ["Iscritto"])
    info = store.add_stage(p.id, "Pagato", won_on_entry=True)
    assert info.won_on_entry
    store.update_stage(info.id, name="Saldato")
    assert store.get_pipeline(p.id).stage("Saldato").won_on_entry
    assert store.get_pipeline(p.id).as_dict()["stages"][1]["won_on_entry"] is True  # type: ignore[index]
    with pytest.raises(InvalidValue):
        store.update_stage(info.id, name=" ")


# --- the seed rule ---------------------------------------------------------------------------------------


def test_new_database_seed_rule_is_scoped_to_vendite_coaching(store: Store) -> None:
    import json

    (rule,) = store.list_rules()
    assert json.loads(rule.filters_json) == {"to_status": "won", "pipeline": "Vendite Coaching"}
    install(store)
    store.create_pipeline("Corsi", ["Iscritto"])
    other = store.create_contact(first_name="Bruno").id or 0
    course = store.create_opportunity(other, "Corso", "Corsi").id or 0
    store.set_status(course, "won")
    assert "Cliente attivo" not in store.contact_tags(other)
    cid, oid = _deal(store)
    store.set_status(oid, "won")
    assert "Cliente attivo" in store.contact_tags(cid)
