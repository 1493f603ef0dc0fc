"""Store-level search, capped counts and paging used by the contacts screen."""

from __future__ import annotations

import pytest

from koachify_tui.store import ContactQuery, Store
from koachify_tui.store import search as search_mod


@pytest.fixture
def filled(store: Store) -> Store:
    store.create_contact(
        first_name="Mario", last_name="Rossi", phone="+39 333 123 4567", email="mario@example.it", tags=["VIP"]
    )
    store.create_contact(first_name="Anna", last_name="Bianchi", company="Yoga Città", phone="02 1234 5678")
    store.create_contact(first_name="Søren", last_name="100%_sure", email="soren@example.dk")
    store.create_contact(first_name='Quote"d', last_name="[bold]x[/]")
    store.create_contact(first_name="Lucia", last_name="D'Amico", company="Foo_bar")
    return store


def found(store: Store, text: str) -> list[str]:
    return [r.display_name for r in store.list_contacts(ContactQuery(search=text))]


@pytest.mark.parametrize("fts", ["few", "many", "like"], ids=["fts5-literal-ids", "fts5-subquery", "like-fallback"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("333 1234567", ["Mario Rossi"]),
        ("+39 333 123 4567", ["Mario Rossi"]),
        ("(333) 123-4567", ["Mario Rossi"]),
        ("0039 333 1234567", []),  # a different number, digit-wise
        ("02 1234", ["Anna Bianchi"]),
        ("yoga città", ["Anna Bianchi"]),
        ("YOGA", ["Anna Bianchi"]),
        ("vip", ["Mario Rossi"]),
        ("mario@exa", ["Mario Rossi"]),
        ("SØREN", ["Søren 100%_sure"]),
        ("søren sure", ["Søren 100%_sure"]),  # every term, in any order
        ("sure søren", ["Søren 100%_sure"]),
        ("søren lucia", []),
        ("100%", ["Søren 100%_sure"]),
        ("0%_", ["Søren 100%_sure"]),
        ("%_s", ["Søren 100%_sure"]),
        ("o_b", ["Lucia D'Amico"]),
        ("o%b", []),  # likewise "o…b" in foo_bar
        ("r_o", []),  # would match "rio" in Mario if "_" were a wildcard
        ("%", ["Søren 100%_sure"]),
        ("d'amico", ["Lucia D'Amico"]),
        ("d'amico foo_bar", ["Lucia D'Amico"]),
        ('e"d', ['Quote"d [bold]x[/]']),
        ("[bold]", ['Quote"d [bold]x[/]']),
        ("ro", ["Mario Rossi"]),
        ("zzz", []),
    ],
)
def test_search(filled: Store, monkeypatch: pytest.MonkeyPatch, fts: str, text: str, expected: list[str]) -> None:
    if fts == "like":
        monkeypatch.setattr(search_mod, "has_fts", lambda _s: False)
    elif fts == "many":  # every FTS match set counts as large: the subquery plan
        monkeypatch.setattr(search_mod, "FEW_MATCHES", 0)
    assert found(filled, text) == expected
    assert filled.count_contacts(ContactQuery(search=text)) == len(expected)


@pytest.mark.parametrize("fts", ["few", "many", "like"])
def test_trigrams_apart_do_not_match(store: Store, monkeypatch: pytest.MonkeyPatch, fts: str) -> None:
    """The index finds rows holding every trigram of a term; the term itself is checked on them."""
    if fts == "like":
        monkeypatch.setattr(search_mod, "has_fts", lambda _s: False)
    elif fts == "many":
        monkeypatch.setattr(search_mod, "FEW_MATCHES", 0)
    store.create_contact(first_name="Abc", last_name="Bcd")  # trigrams "abc" and "bcd", not "abcd"
    store.create_contact(first_name="Xabcdx")
    assert found(store, "abcd") == ["Xabcdx"]
    assert store.count_contacts(ContactQuery(search="abcd")) == 1
    assert found(store, "bcd") == ["Abc Bcd", "Xabcdx"]


@pytest.mark.parametrize("terms", [["mario"], ["mario", "ross"], ["søren"], ["d'amico"], ["100%_"], ['e"d']])
def test_fts_query_uses_the_index(store: Store, terms: list[str]) -> None:
    """detail=none refuses phrase queries: every term is asked as single trigrams, answered by the index."""
    with store.read() as s:
        compiled = search_mod.fts_ids(terms).compile(s.get_bind())
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
        plan = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).all()
        assert any("VIRTUAL TABLE INDEX 0:M" in row[-1] for row in plan), plan
        s.execute(search_mod.fts_ids(terms)).all()  # no "phrase queries are not supported"


def test_capped_count(store: Store) -> None:
    for i in range(25):
        store.create_contact(first_name=f"Pino{i}")
    assert store.count_contacts_capped(ContactQuery(), cap=10) == (10, True)
    assert store.count_contacts_capped(ContactQuery(), cap=25) == (25, False)
    assert store.count_contacts_capped(ContactQuery(search="pino1"), cap=100) == (11, False)
    assert store.count_contacts(ContactQuery(search="pino1")) == 11


def test_pages_cover_the_list_once(store: Store) -> None:
    for i in range(23):
        store.create_contact(first_name=f"C{i:02d}", tags=["t"] if i % 2 else [])
    pages = [store.list_contacts(limit=10, offset=o) for o in (0, 10, 20)]
    ids = [r.id for page in pages for r in page]
    assert len(ids) == len(set(ids)) == 23
    row = pages[0][1]
    assert row == store.contact_row(row.id)  # the column fast path builds the same rows
    assert row.tags == ("t",)


def test_smart_list_roundtrip_is_a_live_filter(store: Store) -> None:
    store.create_contact(first_name="A", tags=["vip"])
    query = ContactQuery(tags_any=["vip"], tags_none=["lead"], sort="created", descending=True)
    store.save_smart_list("VIP", query)
    assert [r.first_name for r in store.list_contacts(store.smart_list_query("vip"))] == ["A"]
    store.create_contact(first_name="B", tags=["VIP"])
    store.create_contact(first_name="C", tags=["vip", "lead"])
    assert [r.first_name for r in store.list_contacts(store.smart_list_query("VIP"))] == ["B", "A"]


@pytest.mark.parametrize("few", [True, False])
def test_search_sorts_by_every_key(store: Store, monkeypatch: pytest.MonkeyPatch, few: bool) -> None:
    from datetime import UTC, datetime, timedelta

    if not few:
        monkeypatch.setattr(search_mod, "FEW_MATCHES", 0)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i, name in enumerate(["Carla Rossi", "Aldo Rossi", "Bruno Rossi"]):
        first, last = name.split()
        store.create_contact(first_name=first, last_name=last, created_at=base + timedelta(days=i))
    q = ContactQuery(search="rossi")
    assert [r.first_name for r in store.list_contacts(q)] == ["Aldo", "Bruno", "Carla"]
    q = ContactQuery(search="rossi", sort="created", descending=True)
    assert [r.first_name for r in store.list_contacts(q)] == ["Bruno", "Aldo", "Carla"]
    q = ContactQuery(search="rossi", sort="name", descending=True)
    assert [r.first_name for r in store.list_contacts(q, limit=2, offset=1)] == ["Bruno", "Aldo"]


def test_a_long_fallback_asks_the_index_for_the_rarest_trigrams_only(store: Store) -> None:
    """`fts_match` with the sampled trigram frequencies keeps the two rarest trigrams of each term (a superset of
    the matches, which the LIKE narrows); without them, every trigram."""
    from collections import Counter

    from koachify_tui.store import search

    seen = Counter({"fer": 187, "err": 187, "rra": 187, "rar": 187, "ari": 502, "ri9": 11})
    assert search.fts_match(["ferrari9"], seen) == '"ri9" AND "fer"'
    assert search.fts_match(["ferrari9"]).count(" AND ") == 5
    assert search.fts_match(["mar"], seen) == '"mar"'
    for i in range(3):
        store.create_contact(first_name=f"Mario{i}", email=f"mario{i}@example.it")
    with store.read() as s:
        counts = search.gram_counts(s)
        assert counts["mar"] == 3 and search.gram_counts(s) is counts  # read once per database
