"""Import rules: duplicates, merge/update/skip, idempotence, undo, dry run, rejects, verbatim text, events."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from koachify_tui.store import Store
from koachify_tui.store.events import ContactCreated, DomainEvent, ImportCompleted
from koachify_tui.store.importer import ImportOptions, list_batches, run_import, undo_batch

HEADER = "First Name,Last Name,Email,Phone,Tags,Company,Notes\n"


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


@pytest.fixture
def write(tmp_path: Path):  # noqa: ANN201
    def _write(body: str, name: str = "in.csv") -> Path:
        path = tmp_path / name
        path.write_text(HEADER + body, encoding="utf-8")
        return path

    return _write


def test_duplicates_inside_the_file_by_email_case_and_phone_format(store: Store, write) -> None:  # noqa: ANN001
    path = write(
        "Mario,Rossi,mario@x.it,,A,,\n"
        ",,MARIO@X.IT,333 1234567,B,,\n"  # same email, other case: merged, adds the phone
        "Mario,,,+39 333 123 4567,,Acme,\n"  # same phone, other format: merged, fills the company
    )
    result = run_import(store, path)
    assert (result.counts.created, result.counts.merged) == (1, 2)
    [cid] = store.find_contacts_by_email("mario@x.it")
    row = store.contact_row(cid)
    assert (row.first_name, row.last_name, row.company, row.phone_e164) == ("Mario", "Rossi", "Acme", "+393331234567")
    assert row.tags == ("A", "B")


def test_duplicates_against_the_database(store: Store, write) -> None:  # noqa: ANN001
    existing = store.create_contact(first_name="Anna", email="anna@x.it", phone="347 000 1111", tags=["Old"])
    result = run_import(store, write(",Bianchi,Anna@X.it,,New,,\nAnn,,,+393470001111,,Studio,\n"))
    assert result.counts.merged == 2 and result.counts.created == 0
    row = store.contact_row(existing.id or 0)
    assert (row.first_name, row.last_name, row.company) == ("Anna", "Bianchi", "Studio")  # blanks filled only
    assert row.tags == ("New", "Old")


def test_update_overwrites_but_never_with_empty(store: Store, write) -> None:  # noqa: ANN001
    c = store.create_contact(first_name="Anna", last_name="Old", company="Keep", email="anna@x.it", source="Website")
    result = run_import(store, write("Annalisa,New,anna@x.it,,,,\n"), ImportOptions(on_duplicate="update"))
    assert result.counts.updated == 1
    row = store.contact_row(c.id or 0)
    assert (row.first_name, row.last_name, row.company) == ("Annalisa", "New", "Keep")
    assert row.source == "Website"  # the default source only fills a blank one


def test_skip_leaves_existing_contacts_alone(store: Store, write) -> None:  # noqa: ANN001
    c = store.create_contact(first_name="Anna", email="anna@x.it")
    result = run_import(store, write("Anna,Bianchi,anna@x.it,,T,,\n"), ImportOptions(on_duplicate="skip"))
    assert result.counts.skipped == 1
    assert store.contact_row(c.id or 0).last_name == ""


def test_never_merged_on_name_alone(store: Store, write) -> None:  # noqa: ANN001
    store.create_contact(first_name="Mario", last_name="Rossi", email="one@x.it")
    run_import(store, write("Mario,Rossi,two@x.it,,,,\nMario,Rossi,,,,,\n"))
    assert store.count_contacts() == 3


def test_email_match_wins_over_a_phone_of_another_contact(store: Store, write) -> None:  # noqa: ANN001
    """Matching v2: the row merges into the email's contact, with a warning; nothing rejected, nothing glued."""
    a = store.create_contact(first_name="A", email="a@x.it")
    b = store.create_contact(first_name="B", phone="333 1234567")
    result = run_import(store, write("A,,a@x.it,333 1234567,,,\n"))
    assert result.counts.rejected == 0 and result.counts.merged == 1
    assert any(f"#{b.id}" in message for _line, message in result.warnings)
    assert store.contact_row(a.id or 0).phone == "333 1234567" and store.count_contacts() == 2
    assert store.contact_row(b.id or 0).email == ""


def test_reimport_is_idempotent(store: Store, write) -> None:  # noqa: ANN001
    path = write('Mario,Rossi,mario@x.it,333 1234567,"A, B",Acme,"note\nline"\nSolo,Nome,,,,,\nX,,x@x.it,,,,\n')
    first = run_import(store, path)
    assert first.counts.created == 3
    for policy in ("merge", "update"):
        again = run_import(store, path, ImportOptions(on_duplicate=policy))
        assert (again.counts.created, again.counts.merged, again.counts.updated) == (0, 0, 0)
        assert again.counts.unchanged == 3
    assert store.count_contacts() == 3


def test_undo_removes_created_and_restores_updated(store: Store, write) -> None:  # noqa: ANN001
    old = store.create_contact(first_name="Anna", company="Old", email="anna@x.it", tags=["Keep"])
    store.define_field("contact", "Notes", key="notes")
    store.set_field_value("contact", old.id or 0, "notes", "before")
    result = run_import(
        store,
        write("Annalisa,B,anna@x.it,333 1234567,New,Newco,after\nLuca,,luca@x.it,,,,\n"),
        ImportOptions(on_duplicate="update"),
    )
    assert store.count_contacts() == 2
    undone = undo_batch(store, result.batch_id or 0)
    assert (undone.removed, undone.restored) == (1, 1)
    row = store.contact_row(old.id or 0)
    assert (row.first_name, row.last_name, row.company, row.phone_e164, row.tags) == (
        "Anna",
        "",
        "Old",
        None,
        ("Keep",),
    )
    assert store.field_values("contact", old.id or 0) == {"notes": "before"}
    assert store.contact_channels(old.id or 0) == []
    assert store.count_contacts() == 1
    assert store.find_contacts_by_email("luca@x.it") == []
    assert list_batches(store)[0].undone_at is not None
    with pytest.raises(Exception, match="already undone"):
        undo_batch(store, result.batch_id or 0)


def test_dry_run_writes_nothing(store: Store, write) -> None:  # noqa: ANN001
    result = run_import(store, write("Mario,Rossi,mario@x.it,,T,,\nbad,,,,,,\n,,,,,,x\n"), ImportOptions(dry_run=True))
    assert result.counts.created == 2 and result.counts.rejected == 1
    assert result.batch_id is None
    assert store.count_contacts() == 0 and list_batches(store) == [] and store.list_tags() == []
    assert store.list_fields("contact") == []


def test_rejects_report_has_line_reason_and_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        'Name,Email,Phone\nOk Person,ok@x.it,\n,not-an-email,\n"Multi\nLine",,\nA,a@x.it,,extra,\n,,"3,93331E+11"\n'
    )
    out = io.StringIO()
    result = run_import(store, path, report=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["line", "reason", "Name", "Email", "Phone"]
    by_line = {int(r[0]): r for r in rows[1:]}
    assert set(by_line) == {3, 6, 7}
    assert "invalid email" in by_line[3][1] and by_line[3][3] == "not-an-email"
    assert "misaligned" in by_line[6][1]
    assert "scientific notation" in by_line[7][1]
    assert result.counts.created == 2  # "Multi\nLine" (line 4-5) has a name


def test_short_rows_are_padded_and_ghost_columns_ignored(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("Nome;Email;;\nAnna;anna@x.it\nLuca;luca@x.it;;\n", encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.created == 2 and result.counts.rejected == 0


def test_text_is_stored_verbatim_except_control_characters(store: Store, write) -> None:  # noqa: ANN001
    path = write('"=HYPERLINK(""x"")","D\'Amico [VIP]",m@x.it,,"[b]bold[/b]",@corp,"a\x1b[31m\tb\nc\x07\x9b"\n')
    run_import(store, path)
    [cid] = store.find_contacts_by_email("m@x.it")
    row = store.contact_row(cid)
    assert (row.first_name, row.last_name, row.company) == ('=HYPERLINK("x")', "D'Amico [VIP]", "@corp")
    assert row.tags == ("[b]bold[/b]",)
    assert store.field_values("contact", cid)["notes"] == "a[31m\tb\nc"


def test_tags_source_and_options(store: Store, write) -> None:  # noqa: ANN001
    path = write('A,,a@x.it,,"vip; VIP ::: Lead, * starred",,\n')
    run_import(store, path, ImportOptions(tags=["Import 2024", "lead"], source="Fiera"))
    row = store.contact_row(store.find_contacts_by_email("a@x.it")[0])
    assert row.tags == ("Import 2024", "Lead", "vip")
    assert row.source == "Fiera"


def test_map_override_and_ignore_unknown(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Chi,Dove,Colore\nMario Rossi,mario@x.it,blu\n")
    result = run_import(store, path, ImportOptions(mapping=["Chi=name", "Dove=email"], ignore_unknown=True))
    assert result.counts.created == 1
    [cid] = store.find_contacts_by_email("mario@x.it")
    assert store.contact_row(cid).last_name == "Rossi"
    assert store.field_values("contact", cid) == {}


def test_unknown_columns_match_existing_custom_fields(store: Store, tmp_path: Path) -> None:
    store.define_field("contact", "Obiettivo", key="goal")
    path = tmp_path / "c.csv"
    path.write_text("Email,Obiettivo,Città\na@x.it,Maratona,Roma\n")
    result = run_import(store, path)
    [cid] = store.find_contacts_by_email("a@x.it")
    assert store.field_values("contact", cid) == {"goal": "Maratona", "citta": "Roma"}
    assert result.new_fields == ["Città"]


def test_events_after_commit(store: Store, write) -> None:  # noqa: ANN001
    store.create_contact(first_name="Old", email="old@x.it")
    seen: list[DomainEvent] = []
    store.subscribe(seen.append)
    result = run_import(store, write("A,,a@x.it,,,,\nB,,b@x.it,,,,\nOld,Name,old@x.it,,,,\n"))
    created = [e for e in seen if isinstance(e, ContactCreated)]
    assert len(created) == 2 and {e.import_batch_id for e in created} == {result.batch_id}
    done = [e for e in seen if isinstance(e, ImportCompleted)]
    assert done and (done[0].created, done[0].updated) == (2, 1)


def test_timeline_entry_names_the_file(store: Store, write) -> None:  # noqa: ANN001
    run_import(store, write("A,,a@x.it,,,,\n", name="clienti.csv"))
    [cid] = store.find_contacts_by_email("a@x.it")
    [item] = store.timeline(cid)
    assert item.kind == "import" and "clienti.csv" in item.text


def test_search_text_matches_the_store(store: Store, write) -> None:  # noqa: ANN001
    run_import(store, write('Zoë,Müller,Z@X.it,06 1234567,"Tag Uno, Due",Acme,\n'))
    [cid] = store.find_contacts_by_email("z@x.it")
    imported = store.get_contact(cid)
    with store.write() as tx:
        contact = tx.session.get(type(imported), cid)
        store._refresh_search(tx.session, contact)
        assert contact is not None
        assert (contact.search_text, contact.name_key) == (imported.search_text, imported.name_key)


def test_chunked_import_dedupes_across_chunks_and_keeps_fts(store: Store, tmp_path: Path) -> None:
    from koachify_tui.store import ContactQuery

    store.create_contact(first_name="Pre", last_name="Existing", email="pre@x.it")
    lines = [f"P{i},L{i},p{i}@x.it,3{i:09d},T{i % 3},," for i in range(60)]
    lines += [f",,P{i}@X.IT,,,Co{i}," for i in range(60)]  # duplicates land in later chunks
    lines.append("Pre,Existing,pre@x.it,333 0000001,,NewCo,")
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    result = run_import(store, path, ImportOptions(chunk_size=25))
    assert (result.counts.created, result.counts.merged) == (60, 61)
    assert store.count_contacts() == 61
    assert store.count_contacts(ContactQuery(search="co59")) == 1
    assert store.count_contacts(ContactQuery(search="newco")) == 1
    assert store.count_contacts(ContactQuery(search="existing")) == 1
    with store._write_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts, rank) VALUES('integrity-check', 1)")


def test_undo_keeps_contacts_worked_on_since(store: Store, write) -> None:  # noqa: ANN001
    """An undo never destroys work done after the import: contacts it created that were edited, given a deal,
    a note or a task, or merged into by a later import stay (and are counted); the others go."""
    first = run_import(store, write("".join(f"P{i},Rossi,p{i}@x.it,,,,\n" for i in range(6))))
    ids = [store.find_contacts_by_email(f"p{i}@x.it")[0] for i in range(6)]
    store.update_contact(ids[0], company="Acme")
    store.add_note("richiamare", contact_id=ids[1])
    store.add_task("chiamata", contact_id=ids[2])
    store.create_opportunity(ids[3], "Percorso", "Vendite Coaching")
    run_import(store, write("P4,Rossi,p4@x.it,333 1234567,,,\n", name="later.csv"))  # merged into #4
    result = undo_batch(store, first.batch_id or 0)
    assert (result.removed, result.kept) == (1, 5)
    assert store.find_contacts_by_email("p5@x.it") == []
    assert all(store.find_contacts_by_email(f"p{i}@x.it") for i in range(5))


@pytest.mark.parametrize("parallel", [False, True])
def test_a_trashed_contacts_email_creates_a_new_contact(store: Store, write, parallel: bool) -> None:  # noqa: ANN001
    """Contacts in the trash are not matched: the row makes a new contact (restoring the old one is the
    coach's call), also when other rows of the file match live contacts."""
    old = store.create_contact(first_name="Old", email="old@x.it")
    live = store.create_contact(first_name="Live", email="live@x.it")
    store.delete_contact(old.id or 0)
    result = run_import(store, write("New,,old@x.it,,,,\nLive,Again,LIVE@x.it,,,,\n"), ImportOptions(parallel=parallel))
    assert (result.counts.created, result.counts.merged) == (1, 1)
    [new] = store.find_contacts_by_email("old@x.it")
    assert new != old.id and store.contact_row(live.id or 0).last_name == "Again"
