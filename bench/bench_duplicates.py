"""Duplicates finder benchmark: N contacts with 1 % planted duplicates and realistic noise.

    .venv/bin/python bench/bench_duplicates.py [--contacts 100000] [--runs 3] [--keep DB]
    .venv/bin/python bench/bench_duplicates.py --smoke     # CI: 2,000 contacts (checks it runs; no timing)

The data (seeded, written with sqlite3 straight into the tables: an import would merge the planted pairs):
- people with Italian names, 90 % with their own email (70 % at public providers), 60 % with a mobile, half
  at one of N/50 companies, 40 % with a tag;
- planted duplicates (1 % of N), a third each: the same email in other capitals; the same mobile typed in
  another format, without email; the same person typed by hand at the same company (accents dropped or added,
  capitals, first and last name swapped), without email;
- noise that must not be suggested: the names repeat (about N/4800 people per first+last name, with their own
  addresses), and colleagues share their company's switchboard (2-5 per number, each with an own address).

Prints `store.find_duplicates()` (median of --runs, warm), the groups found, recall and precision on the
planted pairs, and the ratio against a baseline in the same process: a plain
`SELECT email_key, count(*) FROM contact GROUP BY email_key HAVING count(*) > 1` through sqlite3; then the
same finder reading every contact (the reference the blocked one must equal: it says whether it does) and
the strong groups alone (what the Duplicates screen paints first).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from koachify_tui.store import Store  # noqa: E402
from koachify_tui.store.duplicate_types import DuplicateGroup  # noqa: E402
from koachify_tui.store.duplicates import find_groups  # noqa: E402
from koachify_tui.store.importer.runner import _gc_tuned  # noqa: E402
from koachify_tui.store.normalize import fold, name_key  # noqa: E402


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words("Mario Luca Marco Giuseppe Francesco Andrea Alessandro Giovanni Roberto Stefano Paolo Davide Simone "
         "Matteo Lorenzo Federico Riccardo Nicolò Antonio Salvatore Anna Maria Giulia Francesca Sara Laura "
         "Chiara Elena Valentina Alessia Martina Federica Silvia Paola Elisa Giorgia Serena Ilaria Noemi "
         "Beatrice Lucrezia Niccolò Mattia Gabriele Tommaso Edoardo Emanuele Daniele Michele Cristina Angela "
         "Rosa Teresa Lucia Carla Marta Irene Sofia Aurora Greta")  # fmt: skip
LAST = _words("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti De Luca "
        "Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara "
        "Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De Santis D'Angelo "
        "Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Sala De "
        "Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo Morelli Amato Silvestri Mazza "
        "Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo Montanari Guerra Palmieri "
        "Bernardi Martino Fiore Sartori Ferretti Bellini Basile Riva Donati Piras Vitali Battaglia Sorrentino "
        "Neri Costantini Milani Pagano Ruggiero Orlando Damico Bassi Giuliani Bertolini Fumagalli Galà Nicolò "
        "Cantù Pavan Zanetti Bonetti")  # fmt: skip
PUBLIC = ("gmail.com", "libero.it", "hotmail.it", "outlook.it", "yahoo.it", "icloud.com", "alice.it", "tiscali.it")
TAGS = ("Lead", "Cliente", "Webinar")
ACCENTS = str.maketrans("àèéìòùÀÈÉÌÒÙ", "aeeiouAEEIOU")


def _mobile(rng: random.Random) -> str:
    return f"+39 3{rng.choice('234679')}{rng.randint(0, 9)} {rng.randint(1000000, 9999999)}"


def _person(rng: random.Random, i: int, companies: list[str]) -> dict[str, object]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = rng.choice(companies) if rng.random() < 0.5 else ""
    email = ""
    if rng.random() < 0.9:
        domain = rng.choice(PUBLIC) if not company or rng.random() < 0.7 else _domain(company)
        email = f"{fold(first).translate(ACCENTS)}.{fold(last).replace(' ', '')}{i}@{domain}".replace("'", "")
    phone = _mobile(rng) if rng.random() < 0.6 else ""
    tag = rng.choice(TAGS) if rng.random() < 0.4 else ""
    return {"first": first, "last": last, "company": company, "email": email, "phone": phone, "tag": tag}


def _domain(company: str) -> str:
    return fold(company).replace(" ", "").replace(".", "") + ".it"


def _planted(rng: random.Random, kind: int, original: dict[str, object]) -> dict[str, object]:
    copy = dict(original, tag="")
    if kind == 0:  # the same email in other capitals
        copy["email"] = str(original["email"]).title()
        copy["phone"] = ""
    elif kind == 1:  # the same mobile in another format, no email
        digits = str(original["phone"]).replace("+39", "").replace(" ", "")
        copy["phone"] = f"{digits[:3]}-{digits[3:6]} {digits[6:]}"
        copy["email"] = ""
    else:  # typed by hand at the same company: accents, capitals, order
        first, last = str(original["first"]), str(original["last"])
        first = first.translate(ACCENTS) if first.translate(ACCENTS) != first else first.upper()
        copy["first"], copy["last"] = (last, first) if rng.random() < 0.5 else (first, last)
        copy["email"] = copy["phone"] = ""
    return copy


def generate(n: int, seed: int = 7) -> tuple[list[dict[str, object]], dict[tuple[int, int], int]]:
    """The contacts in id order (1-based) and the planted pairs with their kind (0, 1, 2)."""
    rng = random.Random(seed)
    companies = [f"{rng.choice(LAST)} {rng.choice(('Srl', 'Spa', 'Studio', 'Consulting'))} {i}" for i in range(n // 50)]
    people = [_person(rng, i, companies) for i in range(n - n // 100)]
    for c in rng.sample(companies, len(companies) // 4):  # switchboards: 2-5 colleagues, each an own address
        number = f"+39 02 {rng.randint(1000000, 9999999)}"
        for _ in range(rng.randint(2, 5)):
            person = _person(rng, len(people), companies)
            person.update(company=c, phone=number, email=f"x{len(people)}@{_domain(c)}")
            people.append(person)
    planted: dict[tuple[int, int], int] = {}
    while len(planted) < n // 100:
        kind = len(planted) % 3
        index = rng.randrange(len(people))
        original = people[index]
        if (kind == 0 and not original["email"]) or (kind == 1 and not original["phone"]):
            continue
        if kind == 2 and (not original["company"] or str(original["phone"]).startswith("+39 02")):
            continue
        people.append(_planted(rng, kind, original))
        planted[(index + 1, len(people))] = kind
    return people, planted


def write(db: Path, people: list[dict[str, object]]) -> None:
    Store.open(db).close()
    from koachify_tui.store.normalize import normalize_phone

    now = "2026-01-01 00:00:00.000000"
    rows = []
    for p in people:
        first, last, company, email, phone = (str(p[k]) for k in ("first", "last", "company", "email", "phone"))
        e164 = normalize_phone(phone) if phone else None
        key = fold(email) if email else None
        rows.append((first, last, company, email, key, phone, e164, name_key(first, last, company), now, now))
    con = sqlite3.connect(db)
    con.executemany(
        "INSERT INTO contact (first_name, last_name, company, email, email_key, phone, phone_e164, source, owner,"
        " name_key, search_text, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,'','',?,'',?,?,0)",
        rows,
    )
    tags = {t: con.execute("INSERT INTO tag (name, name_key, created_at) VALUES (?,?,?)", (t, fold(t), now)).lastrowid
            for t in TAGS}  # fmt: skip
    con.executemany(
        "INSERT INTO contact_tag (contact_id, tag_id) VALUES (?,?)",
        [(i + 1, tags[str(p["tag"])]) for i, p in enumerate(people) if p["tag"]],
    )
    con.commit()
    con.close()


def measure(db: Path, runs: int, planted: dict[tuple[int, int], int]) -> None:
    con = sqlite3.connect(db)
    baseline = []
    for _ in range(runs):
        t0 = time.perf_counter()
        con.execute("SELECT email_key, count(*) FROM contact GROUP BY email_key HAVING count(*) > 1").fetchall()
        baseline.append(time.perf_counter() - t0)
    con.close()
    store = Store.open(db)
    times, every, strong_only = [], [], []
    groups: list[DuplicateGroup] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        groups = store.find_duplicates()
        times.append(time.perf_counter() - t0)
        with _gc_tuned(), store.read() as s:  # as find_duplicates runs
            t0 = time.perf_counter()
            same = find_groups(s, exhaustive=True) == groups
            every.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.find_duplicates(strong_only=True)
        strong_only.append(time.perf_counter() - t0)
    store.close()
    found = {pair for g in groups for pair in combinations(g.contact_ids, 2)}
    hit = len(found & planted.keys())
    base, mine = statistics.median(baseline), statistics.median(times)
    print(f"find_duplicates: {mine * 1000:,.0f} ms (median of {runs}; worst {max(times) * 1000:,.0f} ms)")
    print(f"baseline GROUP BY email_key: {base * 1000:,.1f} ms   ratio ×{mine / base:,.0f}")
    print(f"reading every contact instead (find_groups(exhaustive=True)): {statistics.median(every) * 1000:,.0f} ms"
          f"   same groups: {same}")  # fmt: skip
    print(f"the strong groups alone (strong_only=True): {statistics.median(strong_only) * 1000:,.0f} ms")
    print(f"groups: {len(groups)} ({sum(g.strong for g in groups)} strong), pairs in them: {len(found)}")
    print(f"recall: {hit}/{len(planted)} = {hit / max(len(planted), 1):.1%}   "
          f"precision: {hit}/{len(found)} = {hit / max(len(found), 1):.1%}")  # fmt: skip
    by_kind = [sum(1 for pair, kind in planted.items() if pair in found and kind == k) for k in range(3)]
    strong = {pair for g in groups if g.strong for pair in combinations(g.contact_ids, 2)}
    hit_strong = len(strong & planted.keys())
    print(f"precision of the strong groups (email/phone): {hit_strong}/{len(strong)} = "
          f"{hit_strong / max(len(strong), 1):.1%}")  # fmt: skip
    print(f"planted found by kind (email case / phone format / name + company): {by_kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the database here (and keep it)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI: runs and prints, asserts nothing")
    args = parser.parse_args()
    if args.smoke:
        args.contacts, args.runs = 2_000, 1
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "dups.db"
        t0 = time.perf_counter()
        people, planted = generate(args.contacts)
        write(db, people)
        print(f"{len(people):,} contacts, {len(planted):,} planted duplicates (written in "
              f"{time.perf_counter() - t0:.1f} s)")  # fmt: skip
        measure(db, args.runs, planted)


if __name__ == "__main__":
    main()
