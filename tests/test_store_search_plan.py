"""The page planner (store/search_plan.py) against the definition of a search: on a seeded database, for many
terms, every sort order and every plan (walk, candidates, fallback), the pages read one after another are
exactly the matches of `search.search_clause` (the pre-planner query), in the documented order."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from conftest import needs_postgres, new_pg_database
from koachify_tui.store import ContactQuery, Store, search_plan
from koachify_tui.store import search as search_mod
from koachify_tui.store.models import Contact, Opportunity

FIRST = ["Mario", "Maria", "Marco", "Anna", "Niccolò", "Søren", "Zoë", "Luca", "", "Qqbert", "Ilaria"]
LAST = ["Rossi", "Marino", "Bianchi", "Amaro", "D'Amico", "", "Ferrari", "Esposito"]
COMPANIES = ["", "", "Acme srl", "Yoga Città", "Studio Mario", "Foo_bar"]
TAGS = ["vip", "lead", "zq", "qq", "x"]

TERMS = [
    *"maqzøx%_'",
    *["ma", "ri", "qq", "zq", "zo", "ss", "co", "q", "x", "9", "12"],
    *["mar", "mario", "maria", "marino", "niccolò", "rossi", "example", "amaro", "acme", "studio mario"],
    *["mario rossi", "rossi mario", "ma ro", "zq vip", "333", "+39 333", "333 12", "@example", "zzz", "città"],
    # last names (the rest of the name): one rest, several ("ma": marino, maria…), with other terms
    *["ross", "bianchi", "d'a", "esp", "fer", "ferrari mario", "rossi ma", "marino rossi", "amico", "b", "r"],
]
SORTS = [(s, d) for s in ("name", "created", "last_activity") for d in (False, True)]


def seed(store: Store, n: int = 160) -> None:
    rng = random.Random(7)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with store.write():
        for i in range(n):
            first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
            if not (first or last or company):
                company = "Solo"
            email = f"{(first or 'x').lower()}.{i}@example.it".replace("ò", "o").replace("ø", "o").replace("ë", "e")
            store.create_contact(
                first_name=first,
                last_name=last,
                company=company,
                email=email if rng.random() < 0.7 else "",
                phone=f"+39 333 {rng.randrange(10**6, 10**7)}" if rng.random() < 0.5 else "",
                tags=rng.sample(TAGS, rng.randrange(0, 3)),
                created_at=base + timedelta(hours=rng.randrange(0, 50)),  # ties: the id decides
            )
    with store.write() as tx:
        ids = list(tx.session.execute(select(col(Contact.id))).scalars())
        for cid in ids:
            if rng.random() < 0.5:
                at = base + timedelta(days=rng.randrange(0, 20))
                tx.session.execute(update(Contact).where(col(Contact.id) == cid).values(last_activity_at=at))
    for cid in rng.sample(ids, 15):
        store.delete_contact(cid)


def matches(store: Store, q: ContactQuery) -> list[tuple[Any, ...]]:
    """The contacts the old query matched, with what the order needs."""
    with store.read() as s:
        where = store._query_clause(s, q)  # search.search_clause: the pre-planner definition
        stmt = select(
            col(Contact.id), col(Contact.name_key), col(Contact.created_at), col(Contact.last_activity_at)
        ).where(*where)
        return [tuple(r) for r in s.execute(stmt)]


def expected(store: Store, q: ContactQuery, postgres: bool) -> list[int]:
    rows = matches(store, q)
    terms = search_mod.query_terms(q.search)
    index = {"name": 1, "created": 2, "last_activity": 3}[q.sort]
    # NULLs sort first ascending on SQLite, last on PostgreSQL (and the other way round descending).
    nulls_low = not postgres

    def key(r: tuple[Any, ...]) -> tuple[Any, ...]:
        v = r[index]
        null = (0 if nulls_low else 1) if v is None else (1 if nulls_low else 0)
        return (null, v if v is not None else 0, r[0])

    ordered = sorted(rows, key=key, reverse=q.descending)
    if q.sort == "name" and terms:  # name prefixes of the first term first, then rest prefixes, either direction
        t = terms[0]
        ordered.sort(key=lambda r: 0 if r[1].startswith(t) else 1 if r[1][r[1].find(" ") + 1 :].startswith(t) else 2)
    return [r[0] for r in ordered]


def paged(store: Store, q: ContactQuery, size: int) -> list[int]:
    out: list[int] = []
    while True:
        page = store.list_contacts(q, limit=size, offset=len(out))
        out += [r.id for r in page]
        if len(page) < size:
            return out


PLANS: dict[str, dict[str, int]] = {
    "default": {},
    # SCAN 0: the search index is not read in name order (`_ranked_page`), so the walks below answer
    "walk-only": {"WALK": 10_000, "MAX_WALK": 10_000, "ASK_FIRST": 10**9, "PROBE": -1, "SCAN": 0},
    "ask-first": {"WALK": 2, "ASK_FIRST": 2, "PROBE": -1, "SCAN": 0},  # a walk never grows before the index is asked
    "candidates": {"WALK": 1, "MAX_WALK": 1, "PROBE": -1, "SCAN": 0},
    "fallback": {"WALK": 1, "MAX_WALK": 1, "CANDIDATES": -1, "PROBE": -1, "SCAN": 0},
    "ranked": {"PROBE": -1},  # every term of 3+ characters read from the index in name order
    "ranked-short": {"PROBE": -1, "SCAN": 3},  # a few candidates read, the page not full: the walks go on
    "deep": {"DEEP": 20},  # from the third page on: one query with OFFSET
    "few-rests": {"MAX_RESTS": 1},  # a term starting more rests than that: the rest part is walked
    # every term rare at once: asked of the index before any walk, short ones too (no rowid probe)
    "probe": {"PROBE": 10_000, "search.PROBE_ROWS": 0},
    "probe-short": {"search.PROBE_ROWS": 0},  # short terms with at most PROBE candidates: no walk
}


def record_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL the planner runs from now on, statement by statement."""
    statements: list[str] = []
    run = search_plan._Page.run

    def recorded(self: Any, sql: str, **extra: Any) -> list[Any]:
        statements.append(sql)
        return run(self, sql, **extra)

    monkeypatch.setattr(search_plan._Page, "run", recorded)
    return statements


def use_plan(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    for name, value in PLANS[plan].items():
        module, _, attr = name.rpartition(".")
        monkeypatch.setattr(search_mod if module == "search" else search_plan, attr, value)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("plan") / "seeded.db")
    seed(store)
    yield store
    store.close()


@pytest.mark.parametrize("plan", PLANS)
def test_pages_are_the_old_matches_in_order(seeded: Store, monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    use_plan(monkeypatch, plan)
    for term in TERMS if plan == "default" else TERMS[::3]:
        for sort, desc in SORTS:
            q = ContactQuery(search=term, sort=sort, descending=desc)
            want = expected(seeded, q, postgres=False)
            assert paged(seeded, q, 16) == want, (plan, term, sort, desc)
    assert paged(seeded, ContactQuery(search="mario", sort="name"), 500) == expected(
        seeded, ContactQuery(search="mario"), postgres=False
    )


def test_a_sparse_term_asks_the_index_before_a_long_walk(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone tail (a few matches spread through the name order) is sorted from its candidates once a walk
    would grow past ASK_FIRST rows, instead of walking on (45 ms at 1M contacts for `4567`)."""
    with store.write():
        for i in range(400):
            phone = f"+39 347 12{i:03d}4567" if i % 40 == 0 else f"+39 333 {1_000_000 + i}"  # N000 matches
            store.create_contact(first_name=f"N{i:03d}", phone=phone)
    monkeypatch.setattr(search_plan, "WALK", 20)
    monkeypatch.setattr(search_plan, "ASK_FIRST", 80)
    monkeypatch.setattr(search_plan, "PROBE", 2)  # more candidates than the probe takes: the walk starts
    walks: list[int] = []
    walk = search_plan._walk

    def recorded(pg: Any, part: Any, order: str, n: int, need: int) -> tuple[list[int], int]:
        walks.append(n)
        return walk(pg, part, order, n, need)

    monkeypatch.setattr(search_plan, "_walk", recorded)
    q = ContactQuery(search="4567")
    page = [r.id for r in store.list_contacts(q, limit=5)]
    assert page == expected(store, q, postgres=False)[:5]
    assert walks and max(walks) <= 80  # without the ask: the walk grows to MAX_WALK


def test_short_terms_found_in_the_haystack_tail(store: Store) -> None:
    """A one- or two-letter term in a haystack's last two characters starts no trigram: the tail indexes
    find it (and a haystack shorter than a trigram)."""
    a = store.create_contact(first_name="Bob", tags=["zq"]).id  # haystack "bob | zq"
    b = store.create_contact(first_name="Qz").id  # "qz": no trigram at all
    c = store.create_contact(first_name="Ann", tags=["xq"]).id  # "q" is the last character
    with store.read() as s:
        assert search_mod.short_ids(s, "zq", 100) == [a]
        assert search_mod.short_ids(s, "qz", 100) == [b]
        assert search_mod.short_ids(s, "q", 100) == sorted([a, b, c])
    assert [r.id for r in store.list_contacts(ContactQuery(search="q"))] == [b, c, a]  # "qz" starts with it


def test_other_filters_and_trash_apply(seeded: Store) -> None:
    for q in (
        ContactQuery(search="ma", tags_any=["vip"]),
        ContactQuery(search="rossi", tags_none=["lead"], sort="created", descending=True),
        ContactQuery(search="m", deleted=True),
        ContactQuery(search="qq", deleted=True, sort="last_activity"),
        ContactQuery(search="rossi", tags_any=["vip"]),  # the rest part with a filter, and in the trash
        ContactQuery(search="ma", tags_none=["lead"], descending=True),
        ContactQuery(search="rossi", deleted=True),
    ):
        assert paged(seeded, q, 5) == expected(seeded, q, postgres=False)


FILTERED: list[dict[str, Any]] = [
    {"deleted": True},
    {"tags_any": ["vip", "zq"]},
    {"tags_none": ["lead"]},
    {"tags_all": ["vip", "lead"]},
    {"created_after": datetime(2025, 1, 2, 1, tzinfo=UTC), "tags_none": ["x"]},  # a datetime bound as stored
]
FILTER_TERMS = ["", "m", "qq", "zq", "q", "rossi", "mario", "333 12", "ma ro"]


@pytest.mark.parametrize("plan", ["default", "probe", "candidates", "fallback", "ranked"])  # one test each: run apart
def test_filters_and_trash_with_search_in_every_order(seeded: Store, plan: str) -> None:
    """The planner's SQL with the query's other conditions compiled into it, and the Trash, short rare terms
    included, in every order and plan."""
    for filters in FILTERED:
        for term in FILTER_TERMS:
            for sort, desc in SORTS:
                q = ContactQuery(search=term, sort=sort, descending=desc, **filters)
                want = expected(seeded, q, postgres=False)
                with pytest.MonkeyPatch.context() as monkeypatch:
                    use_plan(monkeypatch, plan)
                    assert paged(seeded, q, 12) == want, (plan, filters, term, sort, desc)


def test_rows_are_the_portable_paths_rows(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's one statement for rows, tags (in name order) and open deals builds the same ContactRows as the
    portable query and its two lookups."""
    pipeline = store.list_pipelines()[0].id
    created = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    a = store.create_contact(first_name="Mario", last_name="Rossi", tags=["zeta", "Alfa", "ärger", "beta"])
    b = store.create_contact(first_name="Maria", email="maria@example.it", phone="+39 333 1234567")
    c = store.create_contact(first_name="Marco", company="Acme", created_at=created, tags=["vip"])
    assert a.id and b.id and c.id
    for title in ("uno", "due", "tre"):
        store.create_opportunity(a.id, title, pipeline)
    won, gone = (store.create_opportunity(c.id, t, pipeline).id for t in ("won", "gone"))
    store.create_opportunity(c.id, "open", pipeline)
    with store.write() as tx:
        tx.session.execute(update(Opportunity).where(col(Opportunity.id) == won).values(status="won"))
    assert gone is not None
    store.delete_opportunity(gone)
    with store.write() as tx:
        at = datetime(2025, 4, 1, tzinfo=UTC)
        tx.session.execute(update(Contact).where(col(Contact.id) == b.id).values(last_activity_at=at))
    store.delete_contact(b.id)
    queries = [ContactQuery(), ContactQuery(search="mar"), ContactQuery(search="m", sort="created", descending=True)]
    queries += [ContactQuery(deleted=True), ContactQuery(search="ma", deleted=True), ContactQuery(tags_any=["vip"])]
    fast = [store.list_contacts(q) for q in queries]
    monkeypatch.setattr(search_plan, "page_rows", lambda *_args: None)
    assert fast == [store.list_contacts(q) for q in queries]
    assert [r.id for r in fast[0]] == [c.id, a.id]  # Maria is in the Trash
    assert fast[0][1].tags == ("Alfa", "beta", "zeta", "ärger") and fast[0][1].open_opportunities == 3
    assert fast[0][0].created_at == created and fast[0][0].open_opportunities == 1


@needs_postgres
def test_postgres_same_order() -> None:
    with new_pg_database() as url:
        store = Store.open(url)
        try:
            seed(store, 120)
            for term in ("m", "ma", "mario", "rossi", "qq", "333 12", "zq vip", "%"):
                for sort, desc in SORTS:
                    q = ContactQuery(search=term, sort=sort, descending=desc)
                    assert paged(store, q, 9) == expected(store, q, postgres=True), (term, sort, desc)
        finally:
            store.close()


def test_the_other_names_are_walked_without_the_rest_check_when_no_rest_starts_with_the_term(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`example` starts no name and no last name: the walk of the other names skips the per-row substr/instr of
    the rest condition (a 53k-row walk at 1M contacts: 69 → 18 ms), and the page is unchanged."""
    statements = record_statements(monkeypatch)
    use_plan(monkeypatch, "walk-only")
    for desc in (False, True):
        q = ContactQuery(search="example", descending=desc)
        assert paged(seeded, q, 12) == expected(seeded, q, postgres=False)
    walks = [s for s in statements if "AS hit" in s and "NOT (contact.name_key" in s]
    assert walks and not any("instr(" in s for s in walks)
    statements.clear()
    paged(seeded, ContactQuery(search="ma"), 12)  # "ma" starts last names (Marino): the check stays
    assert any("instr(" in s for s in statements if "AS hit" in s and "NOT (contact.name_key" in s)
