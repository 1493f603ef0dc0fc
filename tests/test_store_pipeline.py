"""Pipelines, stages and opportunities: defaults, uniqueness, moves and status changes with history."""

from __future__ import annotations

import pytest

from koachify_tui.store import Conflict, InvalidValue, NotFound, Store
from koachify_tui.store.events import OpportunityCreated, OpportunityStageChanged, OpportunityStatusChanged


def test_first_run_creates_default_pipeline(store: Store) -> None:
    [p] = store.list_pipelines()
    assert p.name == "Vendite Coaching"
    assert [s.name for s in p.stages] == ["Nuovo contatto", "Proposta inviata", "Contratto vinto"]


def test_reopening_does_not_duplicate_defaults(db_path: object) -> None:
    Store.open(db_path).close()  # type: ignore[arg-type]
    s = Store.open(db_path)  # type: ignore[arg-type]
    assert len(s.list_pipelines()) == 1
    assert len(s.list_rules()) == 1
    s.close()


def test_pipeline_and_stage_names_unique(store: Store) -> None:
    with pytest.raises(Conflict):
        store.create_pipeline("vendite coaching", ["A"])
    with pytest.raises(Conflict):
        store.create_pipeline("Other", ["A", "a"])
    p = store.create_pipeline("Other", ["A", "B"])
    with pytest.raises(Conflict):
        store.add_stage(p.id, "b")
    with pytest.raises(Conflict):
        store.rename_stage(p.stages[0].id, "B")
    with pytest.raises(Conflict):
        store.rename_pipeline(p.id, "Vendite Coaching")
    # The same stage name may exist in two pipelines.
    store.add_stage(p.id, "Nuovo contatto")


def test_stage_order_and_reorder(store: Store) -> None:
    p = store.create_pipeline("P", ["A", "B", "C"])
    store.add_stage(p.id, "Start", position=0)
    assert [s.name for s in store.get_pipeline("P").stages] == ["Start", "A", "B", "C"]
    ids = [s.id for s in store.get_pipeline("P").stages]
    store.reorder_stages("P", list(reversed(ids)))
    assert [s.name for s in store.get_pipeline("P").stages] == ["C", "B", "A", "Start"]
    with pytest.raises(InvalidValue):
        store.reorder_stages("P", ids[:2])


def test_delete_stage_moves_opportunities_never_orphans(store: Store) -> None:
    c = store.create_contact(first_name="A")
    p = store.get_pipeline("Vendite Coaching")
    opp = store.create_opportunity(c.id, "Deal", p.id, stage="Proposta inviata")
    with pytest.raises(Conflict):
        store.delete_stage(p.stage("Proposta inviata").id)
    store.delete_stage(p.stage("Proposta inviata").id, move_to=p.stage("Nuovo contatto").id)
    assert store.opportunity_row(opp.id).stage == "Nuovo contatto"
    assert [s.name for s in store.get_pipeline(p.id).stages] == ["Nuovo contatto", "Contratto vinto"]
    assert store.opportunity_history(opp.id)[-1].text == "Proposta inviata → Nuovo contatto"


def test_delete_pipeline_requires_destination(store: Store) -> None:
    c = store.create_contact(first_name="A")
    other = store.create_pipeline("Corsi", ["Iscritto", "Acquistato"])
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    with pytest.raises(Conflict):
        store.delete_pipeline("Vendite Coaching")
    store.delete_pipeline("Vendite Coaching", move_to_stage=other.stages[0].id)
    row = store.opportunity_row(opp.id)
    assert (row.pipeline, row.stage) == ("Corsi", "Iscritto")


def test_opportunity_requires_contact_and_valid_stage(store: Store) -> None:
    with pytest.raises(NotFound):
        store.create_opportunity(999, "Deal", "Vendite Coaching")
    c = store.create_contact(first_name="A")
    with pytest.raises(NotFound):
        store.create_opportunity(c.id, "Deal", "Vendite Coaching", stage="Nope")
    with pytest.raises(NotFound):
        store.create_opportunity(c.id, "Deal", "No pipeline")
    with pytest.raises(InvalidValue):
        store.create_opportunity(c.id, "  ", "Vendite Coaching")


def test_canonical_flow_records_history_and_events(store: Store) -> None:
    events: list[object] = []
    store.subscribe(events.append)
    c = store.create_contact(first_name="Lead", source="Form")
    opp = store.create_opportunity(c.id, "Percorso 3 mesi", "Vendite Coaching", value_minor=150000)
    assert opp.stage_id == store.get_pipeline("Vendite Coaching").stages[0].id
    store.move_opportunity(opp.id, "Proposta inviata")
    store.move_opportunity(opp.id, "Contratto vinto")
    store.set_status(opp.id, "won")
    row = store.opportunity_row(opp.id)
    assert (row.stage, row.status) == ("Contratto vinto", "won")  # status is separate from stage
    assert row.closed_at is not None
    history = store.opportunity_history(opp.id)
    assert [(h.kind, h.from_value, h.to_value) for h in history] == [
        ("created", "", "Nuovo contatto"),
        ("stage_change", "Nuovo contatto", "Proposta inviata"),
        ("stage_change", "Proposta inviata", "Contratto vinto"),
        ("status_change", "open", "won"),
    ]
    kinds = [type(e) for e in events if not type(e).__name__.startswith("Contact")]
    assert kinds == [OpportunityCreated, OpportunityStageChanged, OpportunityStageChanged, OpportunityStatusChanged]
    timeline = [i.kind for i in store.timeline(c.id)]
    assert timeline[:4] == ["status_change", "stage_change", "stage_change", "created"]


def test_move_back_is_a_real_move_and_noop_moves_record_nothing(store: Store) -> None:
    c = store.create_contact(first_name="A")
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching", stage="Proposta inviata")
    store.move_opportunity(opp.id, "Nuovo contatto")
    store.move_opportunity(opp.id, "Nuovo contatto")
    assert [h.text for h in store.opportunity_history(opp.id)][1:] == ["Proposta inviata → Nuovo contatto"]


def test_lost_reason_and_reopen(store: Store) -> None:
    c = store.create_contact(first_name="A")
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    store.set_status(opp.id, "lost", reason="Prezzo troppo alto")
    assert store.opportunity_row(opp.id).lost_reason == "Prezzo troppo alto"
    store.set_status(opp.id, "open")
    row = store.opportunity_row(opp.id)
    assert (row.status, row.lost_reason, row.closed_at) == ("open", "", None)
    with pytest.raises(InvalidValue):
        store.set_status(opp.id, "maybe")


def test_move_to_other_pipeline(store: Store) -> None:
    c = store.create_contact(first_name="A")
    store.create_pipeline("Corsi", ["Iscritto", "Acquistato"])
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    store.move_opportunity(opp.id, "Acquistato", pipeline="Corsi")
    row = store.opportunity_row(opp.id)
    assert (row.pipeline, row.stage) == ("Corsi", "Acquistato")
    assert store.opportunity_history(opp.id)[-1].text == "Vendite Coaching: Nuovo contatto → Corsi: Acquistato"


def test_stage_totals(store: Store) -> None:
    c = store.create_contact(first_name="A")
    p = store.get_pipeline("Vendite Coaching")
    store.create_opportunity(c.id, "One", p.id, value_minor=100_00)
    two = store.create_opportunity(c.id, "Two", p.id, value_minor=250_50)
    won = store.create_opportunity(c.id, "Three", p.id, value_minor=999_00)
    store.set_status(won.id, "won")
    assert store.stage_totals(p.id) == {p.stages[0].id: (2, 350_50)}
    store.move_opportunity(two.id, "Proposta inviata")
    assert store.stage_totals(p.id) == {p.stages[0].id: (1, 100_00), p.stages[1].id: (1, 250_50)}
    assert store.stage_totals(p.id, status=None)[p.stages[0].id] == (2, 1099_00)


def test_opportunity_tags(store: Store) -> None:
    c = store.create_contact(first_name="A")
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching", tags=["Hot"])
    assert store.add_opportunity_tag(opp.id, "hot") is False
    assert store.add_opportunity_tag(opp.id, "Upsell") is True
    assert store.opportunity_tags(opp.id) == ["Hot", "Upsell"]
    assert store.contact_tags(c.id) == []  # deal tags are not contact tags
