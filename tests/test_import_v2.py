"""Import v2: identity rules, header detection, robust records, names and labels, vCard, dry-run decisions.

Headers are the real ones of the exports named (see /work/shared/csv-formats.md); the data is made up.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from koachify_tui.store import Store
from koachify_tui.store.importer import ImportOptions, run_import
from koachify_tui.store.importer.mapping import build_mapping, guess_field
from koachify_tui.store.matching import placeholder_email, placeholder_phone, placeholder_text

PIPEDRIVE = ["Person - ID", "Person - Name", "Person - Organization", "Person - Email - Work",
             "Person - Phone - Work", "Person - Labels"]  # fmt: skip
HUBSPOT = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
           "Primary Associated Company ID", "Associated Company", "Phone Number", "Create Date"]  # fmt: skip
GOOGLE = ["First Name", "Last Name", "Organization Name", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
          "Phone 1 - Label", "Phone 1 - Value", "Address 1 - Country"]  # fmt: skip
THUNDERBIRD = ["First Name", "Last Name", "Display Name", "Nickname", "Primary Email", "Secondary Email",
               "Screen Name", "Work Phone", "Home Phone", "Fax Number", "Pager Number", "Mobile Number",
               "Organization", "Notes"]  # fmt: skip


def write_csv(tmp_path: Path, header: list[str], rows: list[list[str]], *, preamble: str = "") -> Path:
    buffer = io.StringIO()
    buffer.write(preamble)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "in.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk_size", [5000, 3])
def test_seven_colleagues_with_one_switchboard_stay_seven(store: Store, tmp_path: Path, chunk_size: int) -> None:
    names = ["Anna Neri", "Bruno Galli", "Carla Costa", "Dario Fontana", "Elena Rizzo", "Fabio Moretti", "Gina Leone"]
    rows = [[str(i), n, "Studio Alfa srl", f"{n.split()[0].lower()}@studioalfa.it", "+39 02 4851 2311", "Cliente"]
            for i, n in enumerate(names, 1)]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, PIPEDRIVE, rows), ImportOptions(chunk_size=chunk_size))
    assert store.count_contacts() == 7 and result.counts.created == 7 and result.counts.merged == 0
    contacts = store.list_contacts()
    assert {c.email for c in contacts} == {r[3] for r in rows}
    assert all(c.phone == "+39 02 4851 2311" for c in contacts)  # kept on each
    findings = result.findings
    assert "+390248512311" in findings["shared_numbers"] or "+390248512311" in findings["shared"]


def test_one_person_with_work_and_private_address_is_merged_by_phone(store: Store, tmp_path: Path) -> None:
    rows = [["1", "Mario Rossi", "Acme", "mario@acme.it", "333 1234567", ""],
            ["2", "Mario Rossi", "", "mario.rossi@gmail.com", "+39 333 123 4567", ""]]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, PIPEDRIVE, rows))
    assert store.count_contacts() == 1 and result.counts.merged == 1
    assert result.decisions and "phone" in result.decisions[0][1]


@pytest.mark.parametrize("parallel", [False, True])
def test_fifty_rows_with_a_placeholder_email_stay_fifty(store: Store, tmp_path: Path, parallel: bool) -> None:
    rows = [[f"Nome{i}", f"Cognome{i}", "", "", "", "none@gmail.com", "", "", "Italia"] for i in range(50)]
    options = ImportOptions(parallel=parallel, chunk_size=7)
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows), options)
    assert store.count_contacts() == 50 and result.counts.merged == 0
    assert result.findings["placeholders"] == {"none@gmail.com": 50}
    assert all(c.email == "" for c in store.list_contacts())


def test_an_email_shared_by_several_people_is_no_key(store: Store, tmp_path: Path) -> None:
    """No placeholder list knows info@studio.it: the names tell it is an office's, not a person's."""
    people = ["Anna Neri", "Bruno Galli", "Carla Costa", "Anna Neri", "Dario Fontana"]
    rows = [[p.split()[0], p.split()[1], "Studio", "", "", "info@studio.it", "", "", ""] for p in people]
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows), ImportOptions(chunk_size=2))
    # Once shared the address is no key: the second Anna Neri has nothing else to match by, and names alone
    # never merge, so she is a contact of her own too.
    assert store.count_contacts() == 5
    assert "info@studio.it" in result.findings["shared"]
    assert all(c.email == "info@studio.it" for c in store.list_contacts())  # kept as a value on each
    again = run_import(store, write_csv(tmp_path, GOOGLE, [["Eva", "Bassi", "", "", "", "info@studio.it", "", "", ""]]))
    assert again.counts.created == 1  # the batch's contacts do not hold it as a key


def test_two_names_on_one_email_still_merge(store: Store, tmp_path: Path) -> None:
    """A couple's mailbox, or "Bob"/"Robert": two names are not enough to call an email shared."""
    rows = [["Robert", "Smith", "", "", "", "bob@smith.net", "", "", ""],
            ["Bob", "Smith", "", "", "", "bob@smith.net", "", "", ""]]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows))
    assert store.count_contacts() == 1 and result.counts.merged + result.counts.unchanged == 1


def test_a_row_with_its_own_email_is_kept_when_its_phone_matches_two_contacts(store: Store, tmp_path: Path) -> None:
    store.create_contact(first_name="A", email="a@x.it", phone="333 1234567")
    store.create_contact(first_name="B", email="b@x.it", phone="333 1234567")
    rows = [["C", "", "", "", "", "c@x.it", "", "333 1234567", ""]]
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows))
    assert result.counts.rejected == 0 and result.counts.created == 1 and store.count_contacts() == 3


def test_invalid_numbers_are_kept_as_typed_but_never_keys(store: Store, tmp_path: Path) -> None:
    rows = [["Uno", "Primo", "", "", "", "", "", "91956711", ""],
            ["Due", "Secondo", "", "", "", "", "", "91956711", ""]]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows))
    assert store.count_contacts() == 2 and result.counts.merged == 0
    assert all(c.phone == "91956711" for c in store.list_contacts())
    assert any("not a valid number" in m for _l, m in result.warnings)


def test_international_prefixes_and_a_country_column(store: Store, tmp_path: Path) -> None:
    rows = [["Uno", "A", "", "", "", "", "", "0039 333 1234567", ""],
            ["Due", "B", "", "", "", "", "", "(650) 253-0000", "United States"],
            ["Tre", "C", "", "", "", "", "", "001 650 253 0001", ""]]  # fmt: skip
    run_import(store, write_csv(tmp_path, GOOGLE, rows), ImportOptions(region="GB"))
    keys = store.list_contacts()
    assert {c.phone for c in keys} == {"0039 333 1234567", "(650) 253-0000", "001 650 253 0001"}
    found = {row.phone_e164 for row in (store.contact_row(c.id) for c in keys)}
    assert found == {"+393331234567", "+16502530000", "+16502530001"}


def test_placeholders_read_as_empty() -> None:
    assert placeholder_text("NULL") and placeholder_text(" n/a ") and placeholder_text("-")
    assert not placeholder_text("Nadia")
    assert placeholder_email("noemail@gmail.com") and placeholder_email("test@test.it")
    assert placeholder_email("no@libero.it") and not placeholder_email("test@acme.it")
    assert placeholder_phone("+393333333333") and placeholder_phone("+39123456789")
    assert not placeholder_phone("+393331234567")


def test_null_names_are_not_stored(store: Store, tmp_path: Path) -> None:
    header = ["Contact Id", "First Name", "Last Name", "Phone", "Email", "Business Name", "Tags"]
    rows = [["a1", "null", "null", "+14155550100", "ann@x.com", "None", "lead"]]
    run_import(store, write_csv(tmp_path, header, rows))
    (contact,) = store.list_contacts()
    assert (contact.first_name, contact.last_name, contact.company) == ("", "", "")


# --- headers -------------------------------------------------------------------------------------------


def test_linkedin_preamble_is_skipped_and_reported(store: Store, tmp_path: Path) -> None:
    preamble = (
        'Notes:\r\n"When exporting your connection data, you may notice that some of the email addresses '
        'are missing. You will only see email addresses for connections who have allowed it."\r\n\r\n'
    )
    header = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]
    rows = [
        ["Giulia", "Verdi", "https://www.linkedin.com/in/gv", "", "Acme", "CTO", "03 Jan 2024"],
        ["Luca", "Bassi", "https://www.linkedin.com/in/lb", "luca@bassi.it", "", "Coach", "04 Jan 2024"],
    ]
    result = run_import(store, write_csv(tmp_path, header, rows, preamble=preamble))
    assert result.counts.created == 2 and result.counts.rejected == 0
    assert result.notes and "line 4" in result.notes[0]


def test_repeated_header_never_overwrites(store: Store, tmp_path: Path) -> None:
    rows = [["1", "Sara", "Galli", "sara@galli.it", "333 7654321", "me", "77", "Galli spa", "02 1234567", "2024-01-01"]]
    result = run_import(store, write_csv(tmp_path, HUBSPOT, rows))
    (contact,) = store.list_contacts()
    assert contact.phone == "333 7654321" and contact.company == "Galli spa"
    assert any("repeated column" in note for note in result.notes)
    assert "Phone Number (2)" in result.new_fields


def test_token_rules_on_real_headers() -> None:
    assert [c.target for c in build_mapping(THUNDERBIRD)] == [
        "first_name", "last_name", "name", "custom", "email", "email", "custom", "phone", "phone", "custom",
        "custom", "phone", "company", "notes"]  # fmt: skip
    for header, field in [("Mobile Phone Number", "phone"), ("Email Home", "email"), ("mobilephone", "phone"),
                          ("firstName", "first_name"), ("Indirizzo di posta elettronica", "email"),
                          ("Telefono Cellulare", "phone"), ("Email Opt Out", None), ("Company Phone", None),
                          ("Associated Company ID", None), ("Nome Azienda", "company"),
                          ("Country/Region", "country")]:  # fmt: skip
        assert guess_field(header) == field, header


def test_a_file_without_header_needs_columns(store: Store, tmp_path: Path) -> None:
    from koachify_tui.store.importer import FileError

    path = tmp_path / "raw.csv"
    path.write_text("Mario,Rossi,333 1234567,mario@x.it\nAnna,Neri,333 7654321,anna@x.it\n", encoding="utf-8")
    with pytest.raises(FileError, match="--no-header --columns"):
        run_import(store, path)
    options = ImportOptions(no_header=True, columns=["first_name,last_name,phone,email"])
    assert run_import(store, path, options).counts.created == 2


# --- records, names, labels ------------------------------------------------------------------------------


def test_an_unterminated_quote_costs_one_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    lines = ["First Name,Last Name,Email,Phone,Company", '"Emanuele,Mancini,ema@x.it,,Acme']
    lines += [f"Nome{i},Cognome{i},n{i}@x.it,,Acme" for i in range(20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.rejected == 1 and result.rejects[0].line == 2
    assert result.counts.created == 20


def test_an_extra_value_is_shown_in_the_reason(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("First Name,Last Name,Email\nMario,Rossi,mario@x.it,Roma\n", encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.rejected == 1 and "'Roma'" in result.rejects[0].reason


def test_an_organisation_record_is_a_company(store: Store, tmp_path: Path) -> None:
    header = ["Name", "Given Name", "Family Name", "Organization 1 - Name", "E-mail 1 - Value"]
    path = write_csv(tmp_path, header, [["Acer America", "", "", "Acer America", "info@acer.example.com"]])
    run_import(store, path)
    (contact,) = store.list_contacts()
    assert (contact.first_name, contact.last_name, contact.company) == ("", "", "Acer America")


def test_only_google_system_labels_are_dropped(store: Store, tmp_path: Path) -> None:
    rows = [["Mario", "Rossi", "", "* myContacts ::: * Family ::: Clienti ::: * starred", "", "m@r.it", "", "", ""]]
    run_import(store, write_csv(tmp_path, GOOGLE, rows))
    (contact,) = store.list_contacts()
    assert sorted(contact.tags) == ["Clienti", "Family"]


# --- vCard -----------------------------------------------------------------------------------------------

VCARD_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Bianch=C3=AC;Gi=C3=B9lia;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gi=C3=B9lia Bianch=C3=AC\r\nTEL;CELL;PREF:+39 333 111 2222\r\n"
    "TEL;WORK:02 1234567\r\nEMAIL;INTERNET;HOME:giulia@example.it\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:riga uno=0D=0Ariga due\r\nPHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQ\r\n"
    " AAAQABAAD\r\n\r\nEND:VCARD\r\n"
)
VCARD_30 = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Rossi;Mario;;;\r\n"
    "FN:Mario Rossi\r\nORG:Acme S.r.l.;Vendite\r\nEMAIL;type=INTERNET;type=WORK;type=pref:mario@acme.it\r\n"
    "EMAIL;type=INTERNET;type=HOME:mario.rossi@gmail.com\r\nTEL;type=CELL;type=VOICE;type=pref:+39 333 765 4321\r\n"
    "CATEGORIES:Clienti,VIP\r\nBDAY:1980-03-04\r\nNOTE:Conosciuto al corso\\, Milano\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Acer America\r\nORG:Acer America\r\nKIND:org\r\n"
    "TEL;VALUE=uri;TYPE=work:tel:+1-650-253-0000;ext=102\r\nEMAIL:info@acer.example.com\r\nEND:VCARD\r\n"
)


def test_vcard_21_quoted_printable(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "phone.vcf"
    path.write_text(VCARD_21, encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.created == 1
    (contact,) = store.list_contacts()
    assert (contact.first_name, contact.last_name, contact.phone) == ("Giùlia", "Bianchì", "+39 333 111 2222")
    assert contact.email == "giulia@example.it"


def test_vcard_30_and_40(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "apple.vcf"
    path.write_text(VCARD_30, encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.created == 2
    mario, acer = sorted(store.list_contacts(), key=lambda c: c.company)[::-1]
    assert (mario.first_name, mario.company, sorted(mario.tags)) == ("Mario", "Acme S.r.l.", ["Clienti", "VIP"])
    assert (acer.first_name, acer.last_name, acer.company) == ("", "", "Acer America")
    assert store.contact_row(acer.id).phone_e164 == "+16502530000"


def test_vcard_export_import_round_trip(store: Store, tmp_path: Path) -> None:
    from koachify_tui.store.vcard_export import export_vcard

    path = tmp_path / "apple.vcf"
    path.write_text(VCARD_30, encoding="utf-8")
    run_import(store, path)
    out = tmp_path / "out.vcf"
    with out.open("w", encoding="utf-8", newline="") as fh:
        assert export_vcard(store, fh) == 2
    again = run_import(store, out)
    assert again.counts.created == 0 and again.counts.rejected == 0 and store.count_contacts() == 2


# --- dry run -----------------------------------------------------------------------------------------------


def test_dry_run_lists_merges_and_findings(store: Store, tmp_path: Path) -> None:
    store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it")
    rows = [["Mario", "Rossi", "", "", "", "MARIO@x.it", "", "", ""],
            ["Anna", "Neri", "", "", "", "noemail@x.it", "", "", ""]]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows), ImportOptions(dry_run=True))
    assert result.decisions and result.decisions[0][0] == 2 and "mario@x.it" in result.decisions[0][1]
    assert result.findings["placeholders"] == {"noemail@x.it": 1}
    assert store.count_contacts() == 1


def test_rows_held_for_the_end_are_decided_early_when_many(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from koachify_tui.store.importer import writer

    monkeypatch.setattr(writer, "DEFER_MAX", 1)
    rows = [[first, "Smith", "", "", "", "bob@smith.net", "", "", ""] for first in ("Robert", "Bob", "Rob", "Bobby")]
    rows += [["Anna", "Neri", "", "", "", "anna@neri.it", "", "", ""], ["Annina", "Neri", "", "", "", "anna@neri.it",
             "", "", ""]]  # fmt: skip
    result = run_import(store, write_csv(tmp_path, GOOGLE, rows), ImportOptions(chunk_size=1))
    # Bob was decided (merged into Robert) before Rob made bob@smith.net shared: Rob and Bobby stay apart,
    # and anna@neri.it (two names) merges. The bound trades that for memory; nothing is lost or rejected.
    assert store.count_contacts() == 4 and result.counts.rejected == 0


def test_a_stray_opening_quote_in_a_multiline_export_costs_its_row(store: Store, tmp_path: Path) -> None:
    """Google's formatted address spans two lines: a quote opened before it closes on the address's own quote,
    leaving the row's text in one cell and its end as a fragment; both are rejected, nothing is invented."""
    header = "First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Address 1 - Formatted,Address 1 - City"
    good = [f'Nome{i},Cognome{i},n{i}@x.it,333 12345{i:02d},"Via Roma {i}\nMilano",Milano' for i in range(8)]
    broken = '"Davide,Esposito,davide@x.it,333 7654321,"Via Po 2\nNapoli",Napoli'
    path = tmp_path / "in.csv"
    path.write_text("\n".join([header, *good[:3], broken, *good[3:]]) + "\n", encoding="utf-8")
    result = run_import(store, path)
    assert result.counts.created == 8 and result.counts.rejected == 2
    assert {r.line for r in result.rejects} == {8, 9}
