"""Export: Excel-safe CSV (BOM, delimiter, formula neutralisation) that re-imports to the same contacts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from koachify_tui.store import Store
from koachify_tui.store.exporter import export_contacts, export_opportunities, join_tags, neutralise
from koachify_tui.store.importer import run_import
from koachify_tui.store.importer.rows import split_tags


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


@pytest.mark.parametrize("value", ["=1+1", "+39 333", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value


def test_plain_cells_are_untouched() -> None:
    assert neutralise("Mario") == "Mario" and neutralise(None) == "" and neutralise(3) == "3"


def _seed(store: Store) -> None:
    store.define_field("contact", "Obiettivo", key="goal")
    a = store.create_contact(
        first_name="=cmd|' /C calc'!A0",
        last_name="D'Amico [VIP]",
        email="a@x.it",
        phone="+39 333 1234567",
        emails=["a2@x.it"],
        phones=["06 1234567"],
        tags=["Clienti", "VIP"],
        source="Fiera",
        owner="Marta",
    )
    store.set_field_value("contact", a.id or 0, "goal", "-10 kg")
    store.create_contact(
        first_name="Zoë", last_name="Müller", company="Società €", tags=["Lead", "Roma, centro"], source="Web"
    )


def test_export_bom_delimiter_and_neutralisation(store: Store, tmp_path: Path) -> None:
    _seed(store)
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        assert export_contacts(store, fh, delimiter=";") == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["Koachify ID", "First Name", "Last Name", "Company", "Email", "Phone"]
    assert rows[0][-1] == "Obiettivo"
    mario = next(r for r in rows if r[4] == "a@x.it")
    assert mario[1] == "'=cmd|' /C calc'!A0" and mario[5] == "'+39 333 1234567" and mario[-1] == "'-10 kg"
    assert mario[6] == "a2@x.it" and mario[7] == "06 1234567" and mario[8] == "Clienti, VIP"


def test_export_filters_by_tag(store: Store) -> None:
    _seed(store)
    out = io.StringIO()
    assert export_contacts(store, out, tags=["Lead"]) == 1
    assert "Zoë" in out.getvalue()


def test_export_reimports_to_the_same_contacts(store: Store, tmp_path: Path) -> None:
    _seed(store)
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        export_contacts(store, fh)
    before = sorted((r.as_dict() for r in store.list_contacts()), key=lambda d: str(d["email"]))
    again = run_import(store, path)  # into the same database: nothing changes
    assert again.counts.unchanged == 2 and again.counts.created == 0 and again.counts.merged == 0
    fresh = Store.open(tmp_path / "fresh.db")
    try:
        fresh.define_field("contact", "Obiettivo", key="goal")
        result = run_import(fresh, path)
        assert result.counts.created == 2 and result.counts.rejected == 0
        after = sorted((r.as_dict() for r in fresh.list_contacts()), key=lambda d: str(d["email"]))
        strip = [{k: v for k, v in d.items() if k != "id"} for d in before]
        assert [{k: v for k, v in d.items() if k != "id"} for d in after] == strip
        [cid] = fresh.find_contacts_by_email("a@x.it")
        assert fresh.field_values("contact", cid) == {"goal": "-10 kg"}
        assert {c.key for c in fresh.contact_channels(cid)} == {"a2@x.it", "+39061234567"}
    finally:
        fresh.close()


def test_tags_holding_a_separator_are_quoted_and_read_back() -> None:
    tags = ["Clienti", "Roma, centro", 'detto "Gigi"', "a ::: b", "x;y"]
    assert join_tags(["Clienti", "VIP"]) == "Clienti, VIP"
    assert join_tags(tags) == 'Clienti, "Roma, centro", "detto ""Gigi""", "a ::: b", "x;y"'
    assert split_tags(join_tags(tags)) == tags
    assert split_tags('"Customer","VIP, Gold"') == ["Customer", "VIP, Gold"]  # Mailchimp's TAGS
    assert split_tags("* myContacts ::: Clienti") == ["Clienti"]
    assert split_tags("vip; VIP ::: Lead, * starred") == ["vip", "VIP", "Lead"]
    assert split_tags('Lead, "unterminated') == ["Lead", "unterminated"]


def test_export_opportunities(store: Store) -> None:
    c = store.create_contact(first_name="Anna", email="anna@x.it")
    pipeline = store.list_pipelines()[0]
    store.create_opportunity(c.id or 0, "=Pacchetto 10 sessioni", pipeline.id, value_minor=150000)
    out = io.StringIO()
    assert export_opportunities(store, out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][1] == "'=Pacchetto 10 sessioni" and rows[1][2] == "Anna"
