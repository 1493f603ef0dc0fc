"""Merging duplicate contacts and undoing a merge (store/merge.py): every kind of item moves, the merged contact
is hidden everywhere, the undo gives both contacts back exactly, later work is kept and reported."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import needs_postgres
from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.errors import Conflict, InvalidValue, NotFound
from koachify_tui.store.events import ContactsMerged, ContactsUnmerged, DomainEvent
from koachify_tui.store.exporter import export_contacts
from koachify_tui.store.importer import run_import
from koachify_tui.store.report_period import Period
from koachify_tui.store.vcard_export import export_vcard

HEADER = "First Name,Last Name,Email,Phone,Tags,Company,Notes\n"
WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


def plant_pair(store: Store, tmp_path: Path | None = None) -> tuple[int, int]:
    """Mario Rossi twice: A by hand, B from an import, each with every kind of item B can have."""
    store.define_field("contact", "Livello", key="livello")
    store.define_field("contact", "Compleanno", key="compleanno", type="date")
    store.create_sequence("Benvenuto", [{"delay_days": 2, "action": "task", "title": "Chiamare"}])
    a = store.create_contact(
        first_name="Mario", last_name="Rossi", email="mario@rossi.example", tags=["VIP"],
        custom={"livello": "alto"}, emails=["mario.rossi@work.example"], source="Manual",
    ).id or 0  # fmt: skip
    store.add_note("nota di A", contact_id=a, at=WHEN)
    store.create_opportunity(a, "Percorso A", "Vendite Coaching", value_minor=50000)
    if tmp_path is not None:
        csv = tmp_path / "lead.csv"
        csv.write_text(HEADER + "Mario,Rossi,m.rossi@gmail.example,+39 347 555 1234,Lead;vip,Acme,\n", "utf-8")
        run_import(store, csv)
        b = store.find_contacts_by_email("m.rossi@gmail.example")[0]
    else:
        b = store.create_contact(first_name="Mario", last_name="Rossi", email="m.rossi@gmail.example",
                                 phone="+39 347 555 1234", company="Acme", tags=["Lead", "vip"]).id or 0  # fmt: skip
    store.update_contact(b, custom={"compleanno": "1980-05-02", "livello": "basso"})
    store.add_contact_channel(b, "phone", "+39 02 1234 5678")
    deal = store.create_opportunity(b, "Percorso B", "Vendite Coaching", value_minor=150000).id or 0
    store.move_opportunity(deal, "Proposta inviata")
    store.add_note("nota di B", contact_id=b, at=WHEN + timedelta(hours=1))
    store.add_note("nota sulla trattativa", opportunity_id=deal, at=WHEN + timedelta(hours=2))
    store.add_task("Richiamare", contact_id=b, due_at=WHEN + timedelta(days=3), at=WHEN)
    store.add_appointment("Prima sessione", WHEN + timedelta(days=5), contact_id=b)
    store.log_message("Ciao!", contact_id=b, channel="whatsapp", at=WHEN + timedelta(hours=3))
    store.enroll(b, "Benvenuto", now=WHEN)
    return a, b


def shown(store: Store, cid: int) -> dict[str, Any]:
    """What `koachify contacts show --json` prints (as commands/contacts.py builds it), version aside."""
    data: dict[str, Any] = store.contact_row(cid).as_dict()
    data["custom_fields"] = store.field_values("contact", cid)
    data["extra"] = [{"kind": c.kind, "value": c.value} for c in store.contact_channels(cid)]
    data["opportunities"] = [o.as_dict() for o in store.list_opportunities(contact_id=cid)]
    data["timeline"] = [i.as_dict() for i in store.timeline(cid, limit=None)]
    data["enrollments"] = [e.as_dict() for e in store.enrollments(contact_id=cid, status=None)]
    return data


def owners(store: Store, b: int) -> dict[str, list[int]]:
    """The contact of each item B started with (by kind)."""
    from sqlmodel import select

    from koachify_tui.store.merge import MOVED

    out: dict[str, list[int]] = {}
    with store.read() as s:
        for kind, model in MOVED.items():
            out[kind] = sorted(r.contact_id for r in s.exec(select(model)).all())  # type: ignore[call-overload]
    return out


# --- merging ----------------------------------------------------------------------------------------------------


def test_merge_moves_every_kind_of_item(store: Store, tmp_path: Path) -> None:
    a, b = plant_pair(store, tmp_path)
    result = store.merge_contacts(a, [b])
    assert result.survivor_id == a and result.merged_ids == (b,)
    assert dict(result.moved) == {
        "opportunity": 1,
        "note": 2,
        "task": 1,
        "appointment": 1,
        "message": 1,
        "enrollment": 1,
        "import_item": 1,
        "tag": 1,
        "custom": 1,
        "email": 1,
        "phone": 1,
    }  # fmt: skip (B's phone became the primary: A had none)
    row = store.contact_row(a)
    assert (row.email, row.phone_e164, row.company, row.source) == (
        "mario@rossi.example",
        "+393475551234",
        "Acme",
        "Manual",
    )  # the survivor's values, the other's where the survivor had none
    assert row.tags == ("Lead", "VIP")  # union, case-insensitively
    assert store.field_values("contact", a) == {"livello": "alto", "compleanno": "1980-05-02"}
    assert sorted(c.value for c in store.contact_channels(a)) == [
        "+39 02 1234 5678", "m.rossi@gmail.example", "mario.rossi@work.example",
    ]  # fmt: skip
    assert result.fields["company"] == b and result.fields["email"] == a and result.fields["custom.compleanno"] == b
    assert {t.title for t in store.list_opportunities(contact_id=a)} == {"Percorso A", "Percorso B"}
    assert [e.contact_id for e in store.enrollments(contact_id=a)] == [a]
    texts = [i.text for i in store.timeline(a, limit=None)]
    assert f"Merged with Mario Rossi (#{b})" in texts
    assert {"nota di B", "nota sulla trattativa", "Richiamare", "Prima sessione", "Ciao!"} <= set(texts)
    assert "Nuovo contatto → Proposta inviata" in texts  # the deal's history went with it
    assert all(ids == [a] * len(ids) for ids in owners(store, b).values())
    merged = store.get_contact(b, include_deleted=True)
    assert merged.merged_into_id == a and merged.deleted_at is not None
    assert store.find_contacts_by_email("m.rossi@gmail.example") == [a]
    assert store.find_contacts_by_phone("+39 347 555 1234") == [a]
    assert store.get_merge(result.merge_id).survivor_id == a
    assert [m.id for m in store.merges_of(a)] == [m.id for m in store.merges_of(b)] == [result.merge_id]


def test_merged_contact_is_hidden_everywhere(store: Store) -> None:
    a, b = plant_pair(store)
    other = store.create_contact(first_name="Trashed").id or 0
    store.delete_contact(other)
    store.merge_contacts(a, [b])
    assert [r.id for r in store.list_contacts()] == [a]
    assert store.count_contacts() == 1
    assert [r.id for r in store.list_contacts(ContactQuery(search="rossi"))] == [a]
    assert [r.id for r in store.list_contacts(ContactQuery(deleted=True))] == [other]  # the Trash: not B
    assert store.count_contacts(ContactQuery(deleted=True)) == 1
    assert ("Lead", 1) in store.list_tags()
    csv, vcf = io.StringIO(), io.StringIO()
    assert export_contacts(store, csv) == 1 and export_vcard(store, vcf) == 1
    assert csv.getvalue().count("Rossi") == 1 and vcf.getvalue().count("BEGIN:VCARD") == 1
    with pytest.raises(Conflict, match=r"merged into contact \d+: undo the merge instead .*duplicates undo 1"):
        store.restore_contact(b)
    with pytest.raises(NotFound):
        store.update_contact(b, company="X")
    assert all(o.contact_id == a for o in store.list_opportunities())
    today = datetime.now(UTC).date()
    sources = store.report("sources", Period(today - timedelta(days=1), today + timedelta(days=1)))
    assert sources.summary["new_contacts"] == 1  # the survivor; the merged one and the trashed one not


def test_prefer_picks_the_surviving_values(store: Store) -> None:
    a, b = plant_pair(store)
    before_a, before_b = shown(store, a), shown(store, b)
    result = store.merge_contacts(a, [b], prefer={"email": b, "custom.livello": b, "source": b})
    row = store.contact_row(a)
    assert row.email == "m.rossi@gmail.example" and row.source == ""
    assert store.field_values("contact", a)["livello"] == "basso"
    extra = [c.value for c in store.contact_channels(a)]
    assert "mario@rossi.example" in extra and "m.rossi@gmail.example" not in extra  # the old primary is kept
    assert result.fields["email"] == b
    undone = store.undo_merge(result.merge_id)
    assert undone.complete, undone.kept
    assert shown(store, a) == before_a and shown(store, b) == before_b


@pytest.mark.parametrize(
    ("survivor", "others", "error", "message"),
    [
        ("a", ["a"], InvalidValue, "cannot be merged into itself"),
        ("a", [], InvalidValue, "at least two contacts"),
        ("a", [999], NotFound, "no contact with id 999"),
        ("a", ["trashed"], NotFound, "no contact with id"),
        ("a", ["merged"], Conflict, "already merged into contact"),
        ("merged", ["a"], Conflict, "already merged into contact"),
    ],
)
def test_merge_refusals_write_nothing(
    store: Store, survivor: str, others: list[Any], error: type, message: str
) -> None:
    ids = {
        "a": store.create_contact(first_name="A").id,
        "merged": store.create_contact(first_name="M").id,
        "trashed": store.create_contact(first_name="T").id,
    }
    store.merge_contacts(store.create_contact(first_name="S").id or 0, [ids["merged"] or 0])
    store.delete_contact(ids["trashed"] or 0)
    log = len(store.changes(limit=None))
    with pytest.raises(error, match=message):
        store.merge_contacts(ids.get(survivor, survivor), [ids.get(o, o) for o in others])  # type: ignore[arg-type]
    assert len(store.changes(limit=None)) == log


def test_bad_prefer_is_refused(store: Store) -> None:
    a, b = plant_pair(store)
    with pytest.raises(InvalidValue, match="unknown contact field 'nickname'"):
        store.merge_contacts(a, [b], prefer={"nickname": b})
    with pytest.raises(InvalidValue, match="is not one of the contacts merged"):
        store.merge_contacts(a, [b], prefer={"email": 12345})
    with pytest.raises(NotFound, match="custom field 'nope'"):
        store.merge_contacts(a, [b], prefer={"custom.nope": b})
    assert store.get_contact(b).merged_into_id is None


def test_one_event_after_commit_and_an_automation_reacts(store: Store) -> None:
    from koachify_tui.automations import install

    a, b = plant_pair(store)
    store.create_rule("Unione", "contact.merged", filters={"has_tag": "Lead"},
                      actions=[{"type": "add_tag", "tag": "Unito"}])  # fmt: skip
    install(store)
    seen: list[DomainEvent] = []
    committed: list[bool] = []

    def on_merge(event: ContactsMerged) -> None:
        committed.append(store.get_contact(event.merged_ids[0], include_deleted=True).merged_into_id == a)

    store.subscribe(seen.append)
    store.subscribe(on_merge, ContactsMerged)
    result = store.merge_contacts(a, [b])
    merges = [e for e in seen if isinstance(e, ContactsMerged)]
    assert len(merges) == 1 and committed == [True]
    assert (merges[0].survivor_id, merges[0].merged_ids, merges[0].merge_id) == (a, (b,), result.merge_id)
    assert merges[0].contact_id == a
    assert [e for e in seen if e.depth == 0] == merges  # the merge publishes one event (the rule's run its own)
    assert "Unito" in store.contact_tags(a)  # the rule ran on the survivor
    seen.clear()
    store.undo_merge(result.merge_id)
    unmerged = [e for e in seen if isinstance(e, ContactsUnmerged)]
    assert len(unmerged) == 1 and unmerged[0].restored_ids == (b,)


# --- undo -------------------------------------------------------------------------------------------------------


def test_undo_gives_both_contacts_back_exactly(store: Store, tmp_path: Path) -> None:
    a, b = plant_pair(store, tmp_path)
    before = shown(store, a), shown(store, b), owners(store, b)
    result = store.merge_contacts(a, [b])
    undone = store.undo_merge(result.merge_id)
    assert undone.complete and undone.restored_ids == (b,) and undone.survivor_id == a
    assert (shown(store, a), shown(store, b), owners(store, b)) == before
    assert store.get_contact(b).merged_into_id is None
    assert store.get_merge(result.merge_id).undone_at is not None
    with pytest.raises(Conflict, match="already undone"):
        store.undo_merge(result.merge_id)
    assert store.merges_of(a)[0].undone_at is not None
    assert [r.id for r in store.list_contacts(ContactQuery(search="rossi"))] == sorted([a, b])


def test_undo_keeps_later_unrelated_work_on_the_survivor(store: Store) -> None:
    a, b = plant_pair(store)
    before_b = shown(store, b)
    result = store.merge_contacts(a, [b])
    deal_b = next(o.id for o in store.list_opportunities(contact_id=a) if o.title == "Percorso B")
    store.update_contact(a, owner="Giulia", add_tags=["Nuovo"])
    later = store.add_note("dopo l'unione", contact_id=a).id
    on_deal = store.add_task("sulla trattativa di B", opportunity_id=deal_b).id
    undone = store.undo_merge(result.merge_id)
    assert undone.complete, undone.kept
    row = store.contact_row(a)
    assert row.owner == "Giulia" and "Nuovo" in row.tags and "Lead" not in row.tags
    assert later in [i.ref_id for i in store.timeline(a) if i.kind == "note"]
    # An item written on B's deal since goes back with the deal (it belongs to the deal's contact).
    assert store.get_activity("task", on_deal or 0).contact_id == b
    after_b = shown(store, b)
    after_b["timeline"] = [i for i in after_b["timeline"] if i["text"] != "sulla trattativa di B"]
    assert after_b == before_b


def test_a_later_edit_of_a_merged_field_is_kept_and_reported(store: Store) -> None:
    a, b = plant_pair(store)
    before_b = shown(store, b)
    result = store.merge_contacts(a, [b])
    store.update_contact(a, company="Beta", custom={"compleanno": "1981-01-01"})
    undone = store.undo_merge(result.merge_id)
    assert not undone.complete
    kept = {(k.contact_id, k.field): k.reason for k in undone.kept}
    assert kept == {
        (a, "company"): "changed since (now “Beta”)",
        (a, "custom.compleanno"): "changed since (now “1981-01-01”)",
    }
    assert store.contact_row(a).company == "Beta"
    assert shown(store, b) == before_b  # the merged contact comes back whole anyway
    assert undone.as_dict()["kept_changes"][0]["reason"].startswith("changed since")


def test_enrolled_twice_runs_once_and_the_undo_gives_it_back(store: Store) -> None:
    a, b = plant_pair(store)
    store.enroll(a, "Benvenuto", now=WHEN)
    before = shown(store, a), shown(store, b)
    result = store.merge_contacts(a, [b])
    assert [e.status for e in store.enrollments(contact_id=a, status=None)].count("active") == 1
    assert store.undo_merge(result.merge_id).complete
    assert (shown(store, a), shown(store, b)) == before


def test_one_action_undo_refuses_a_merge(store: Store) -> None:
    a, b = plant_pair(store)
    result = store.merge_contacts(a, [b])
    with pytest.raises(Conflict, match="is a merge"):
        store.undo_changes(result.txn)
    assert store.last_txn() == result.txn
    store.undo_merge(result.merge_id)
    with pytest.raises(Conflict, match="undid a merge"):
        store.undo_changes(store.last_txn() or "")


def test_undo_of_a_chain_of_merges_goes_newest_first(store: Store) -> None:
    a, b = plant_pair(store)
    c = store.create_contact(first_name="Mario", last_name="Rossi", company="Gamma").id or 0
    before = shown(store, a), shown(store, b), shown(store, c)
    first = store.merge_contacts(a, [b])
    second = store.merge_contacts(c, [a])
    with pytest.raises(Conflict, match=f"undo that merge \\({second.merge_id}\\) first"):
        store.undo_merge(first.merge_id)
    store.undo_merge(second.merge_id)
    store.undo_merge(first.merge_id)
    assert (shown(store, a), shown(store, b), shown(store, c)) == before


def test_merge_of_three(store: Store) -> None:
    a, b = plant_pair(store)
    c = store.create_contact(first_name="Mario", last_name="Rossi", phone="+39 347 555 1234", owner="Luca").id or 0
    before = [shown(store, i) for i in (a, b, c)]
    result = store.merge_contacts(a, [b, c])
    assert store.contact_row(a).owner == "Luca" and result.merged_ids == (b, c)
    assert [i.text for i in store.timeline(a) if i.kind == "merged"] == [
        f"Merged with Mario Rossi (#{c})", f"Merged with Mario Rossi (#{b})",
    ]  # fmt: skip
    assert store.undo_merge(result.merge_id).restored_ids == (b, c)
    assert [shown(store, i) for i in (a, b, c)] == before


@needs_postgres
def test_merge_and_undo_on_postgres(pg_store: Store, tmp_path: Path) -> None:
    a, b = plant_pair(pg_store, tmp_path)
    before = shown(pg_store, a), shown(pg_store, b), owners(pg_store, b)
    result = pg_store.merge_contacts(a, [b], prefer={"company": a})
    assert [r.id for r in pg_store.list_contacts(ContactQuery(search="rossi"))] == [a]
    assert pg_store.list_contacts(ContactQuery(deleted=True)) == []
    assert [m.id for m in pg_store.merges_of(b)] == [result.merge_id]
    assert pg_store.undo_merge(result.merge_id).complete
    assert (shown(pg_store, a), shown(pg_store, b), owners(pg_store, b)) == before


def test_timeline_line_is_translated(store: Store) -> None:
    from koachify_tui import i18n
    from koachify_tui.history_text import history_text, kind_word

    a, b = plant_pair(store)
    store.merge_contacts(a, [b])
    line = next(i for i in store.timeline(a) if i.kind == "merged")
    i18n.set_language("it")
    try:
        assert history_text(line.kind, line.text) == f"Unito con Mario Rossi (#{b})"
        assert kind_word("merged") == "unione"
    finally:
        i18n.set_language("en")
    assert json.dumps(line.as_dict())


def test_undo_of_an_added_extra_email_removes_it(store: Store) -> None:
    """An extra email is logged as field "email" with no old value: the undo removes the channel, it does not
    take it for the primary email (which it kept, "changed since")."""
    cid = store.create_contact(first_name="Eva", email="eva@x.example").id or 0
    store.add_contact_channel(cid, "email", "eva@work.example")
    outcome = store.undo_changes(store.last_txn() or "")
    assert outcome.kept == [] and store.contact_channels(cid) == []
    assert store.get_contact(cid).email == "eva@x.example"


def test_undo_with_the_survivor_in_the_trash_asks_to_restore_it_first(store: Store) -> None:
    a, b = plant_pair(store)
    before = shown(store, a), shown(store, b)
    result = store.merge_contacts(a, [b])
    store.delete_contact(a)
    with pytest.raises(Conflict, match="is in the Trash: restore it first"):
        store.undo_merge(result.merge_id)
    store.restore_contact(a)
    assert store.undo_merge(result.merge_id).complete
    after_a = shown(store, a)
    after_a["timeline"] = [i for i in after_a["timeline"] if i["kind"] not in ("deleted", "restored")]
    assert (after_a, shown(store, b)) == before
