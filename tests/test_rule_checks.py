"""Rules are checked against the real data when saved from anywhere (store, rule files, CLI): unknown
pipelines, stages, statuses, fields and sequences are refused with "did you mean", nothing written; a rule
whose references were renamed or deleted later is reported broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.store import InvalidValue, Store

WON = "opportunity.status_changed"
MOVED = "opportunity.stage_changed"


def refused(store: Store, match: str, trigger: str = WON, **rule: Any) -> None:
    before = [r.id for r in store.list_rules()]
    with pytest.raises(InvalidValue, match=match):
        store.create_rule("R", trigger, **rule)
    assert [r.id for r in store.list_rules()] == before  # nothing written


def test_the_issue_reproducer_is_refused_with_the_real_pipeline_suggested(store: Store) -> None:
    # the old editor's free text saved `pipeline = Vendite Coachinto_status = won` and the rule never fired
    refused(
        store,
        "pipeline «Vendite Coachinto_status = won» does not exist: did you mean «Vendite Coaching»?",
        filters={"pipeline": "Vendite Coachinto_status = won"},
    )
    seed = store.list_rules()[0]
    with pytest.raises(InvalidValue, match="did you mean «Vendite Coaching»"):
        store.update_rule(seed.id or 0, filters={"pipeline": "Vendite Coachinto_status = won"})
    assert json.loads(store.get_rule(seed.id or 0).filters_json) == json.loads(seed.filters_json)


def test_a_valid_seed_style_rule_is_accepted(store: Store) -> None:
    rule = store.create_rule(
        "Won ⇒ tag",
        WON,
        filters={"to_status": "won", "pipeline": "vendite coaching"},  # any case
        actions=[{"type": "add_tag", "target": "contact", "tag": "Cliente attivo"}],
    )
    assert store.rule_problems() == {}
    assert json.loads(rule.filters_json)["pipeline"] == "vendite coaching"


@pytest.mark.parametrize(
    ("trigger", "filters", "match"),
    [
        (WON, {"to_status": "wonn"}, "unknown status «wonn».*did you mean «won»"),
        (
            MOVED,
            {"to_stage": "Proposta inviat"},
            "no pipeline has a stage «Proposta inviat»: did you mean «Proposta inviata»",
        ),
        (
            MOVED,
            {"pipeline": "Vendite Coaching", "to_stage": "Chiusa"},
            "stage «Chiusa» is not in pipeline «Vendite Coaching»",
        ),
        (WON, {"pipeline": 99999}, "pipeline «99999» does not exist"),
        (WON, {"pipeline": ["Vendite Coaching", "Nope"]}, "pipeline «Nope» does not exist"),
        (WON, {"bogus": "x"}, "has no filter 'bogus'"),
    ],
)
def test_each_bad_filter_is_refused(store: Store, trigger: str, filters: dict[str, Any], match: str) -> None:
    refused(store, match, trigger, filters=filters)


@pytest.mark.parametrize(
    ("actions", "match"),
    [
        ([{"type": "move_opportunity", "stage": "Proposta"}], "action 1: no pipeline has a stage «Proposta»"),
        (
            [{"type": "move_opportunity", "stage": "Primo contatto", "pipeline": "Vendit"}],
            "action 1: pipeline «Vendit» does not exist",
        ),
        ([{"type": "set_field", "key": "punteggi", "value": 3}], "contacts have no field «punteggi».*«punteggio»"),
        ([{"type": "set_field", "key": "punteggio", "value": "tanto"}], "not a number"),
        ([{"type": "set_field", "key": "punteggio", "value": 3, "target": "opportunity"}], "deals have no field"),
        ([{"type": "enroll_sequence", "sequence": "Onboardin"}], "sequence «Onboardin» does not exist"),
        ([{"type": "explode"}], "unknown type 'explode'"),
        ([{"type": "add_tag"}], "needs tag"),
    ],
)
def test_each_bad_action_is_refused(store: Store, actions: list[dict[str, Any]], match: str) -> None:
    store.define_field("contact", "Punteggio", key="punteggio", type="number")
    refused(store, match, actions=actions)


def test_tags_and_free_text_are_not_checked(store: Store) -> None:
    # a filter on a tag nobody has yet waits for its first contact; add_tag creates its tag
    store.create_rule("VIP", "tag.added", filters={"tag": "VIP futuro"}, actions=[{"type": "set_owner", "owner": "X"}])
    store.create_rule("Leave all", "contact.created", actions=[{"type": "leave_sequence", "sequence": "*"}])


def test_a_rule_file_with_a_bad_reference_adds_no_rule(store: Store) -> None:
    specs = [
        {"name": "ok", "trigger": WON, "filters": {"to_status": "won"}},
        {"name": "bad", "trigger": WON, "filters": {"pipeline": "Vendite Coachng"}},
    ]
    with pytest.raises(InvalidValue, match="did you mean «Vendite Coaching»"):
        store.create_rules(specs)
    assert [r.name for r in store.list_rules()] == ["Won ⇒ tag Cliente attivo"]


def test_cli_refuses_a_rule_file_naming_a_missing_stage(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    Store.open(db).close()
    rule = {"name": "x", "trigger": MOVED, "filters": {"to_stage": "Proposta inviatta"}}
    (tmp_path / "rule.json").write_text(json.dumps(rule), encoding="utf-8")
    result = CliRunner().invoke(app, ["automations", "add", "--file", str(tmp_path / "rule.json"), "--db", str(db)])
    assert result.exit_code == 1
    assert "did you mean «Proposta inviata»" in result.stderr and "Traceback" not in result.output
    store = Store.open(db)
    assert len(store.list_rules()) == 1
    store.close()


def test_a_rule_whose_stage_is_renamed_later_shows_as_broken(store: Store) -> None:
    rule = store.create_rule(
        "Proposal ⇒ task",
        MOVED,
        filters={"pipeline": "Vendite Coaching", "to_stage": "Proposta inviata"},
        actions=[{"type": "create_task", "title": "Richiamare", "due_in_days": 2}],
    )
    assert store.rule_problems() == {}
    (pipeline,) = [p for p in store.list_pipelines() if p.name == "Vendite Coaching"]
    stage = next(s for s in pipeline.stages if s.name == "Proposta inviata")
    store.rename_stage(stage.id, "Offerta inviata")
    problems = store.rule_problems()
    assert list(problems) == [rule.id]
    assert (
        "stage «Proposta inviata» is not in pipeline «Vendite Coaching»: did you mean «Offerta inviata»?"
        in (problems[rule.id or 0][0])
    )
    # a broken rule can still be switched off or renamed; fixing it clears the problem
    store.set_rule_enabled(rule.id or 0, False)
    store.update_rule(rule.id or 0, name="Offer ⇒ task")
    store.update_rule(rule.id or 0, filters={"pipeline": "Vendite Coaching", "to_stage": "Offerta inviata"})
    assert store.rule_problems() == {}


def test_cli_list_marks_a_broken_rule(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    store = Store.open(db)
    store.create_rule("Seq", "contact.created", actions=[{"type": "leave_sequence", "sequence": "*"}])
    store.rename_pipeline("Vendite Coaching", "Coaching")
    store.update_rule(store.list_rules()[0].id or 0, filters={"to_status": "won", "pipeline": "Coaching"})
    store.rename_pipeline("Coaching", "Coaching 2027")
    store.close()
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["automations", "list", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "broken: pipeline «Coaching» does not exist" in result.stdout
