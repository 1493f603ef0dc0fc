"""Real-world export formats: encodings, delimiters, header synonyms, file-level errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.importer import FileError, build_mapping, guess_field, open_csv, run_import, split_name

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


@pytest.fixture
def store(tmp_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(tmp_path / "crm.db")
    yield s
    s.close()


def contact_by_email(store: Store, email: str) -> dict[str, object]:
    [cid] = store.find_contacts_by_email(email)
    row = store.contact_row(cid)
    return {**row.as_dict(), "custom": store.field_values("contact", cid), "raw_phone": row.phone}


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("google.csv", "utf-8-sig", ","),
        ("google_legacy.csv", "utf-16", ","),
        ("outlook.csv", "cp1252", ","),
        ("outlook_it.csv", "cp1252", ","),
        ("excel_it.csv", "cp1252", ";"),
        ("excel_utf8_bom.csv", "utf-8-sig", ";"),
        ("tabs.tsv", "utf-8", "\t"),
        ("hubspot.csv", "utf-8", ","),
    ],
)
def test_encoding_and_delimiter_are_detected(name: str, encoding: str, delimiter: str) -> None:
    csv_file = open_csv(FIXTURES / name)
    assert (csv_file.encoding, csv_file.delimiter) == (encoding, delimiter)


def test_google_current_export(store: Store) -> None:
    result = run_import(store, FIXTURES / "google.csv")
    assert result.counts.created == 2 and result.counts.rejected == 0
    mario = contact_by_email(store, "mario.rossi@example.com")
    assert (mario["first_name"], mario["last_name"], mario["company"]) == ("Mario", "Rossi", "Acme srl")
    assert mario["tags"] == ["Clienti"]  # "* myContacts" and "* starred" are Google system labels
    assert mario["phone"] == "+393331234567" and mario["raw_phone"] == "+39 333 123 4567"
    assert mario["custom"]["notes"] == "Prima sessione\ngratuita"
    assert mario["custom"]["organization_title"] == "Coach"
    assert mario["custom"]["address_1_formatted"] == "Via Roma 1\n00100 Roma"
    # Multi-valued " ::: " email cell and the second email/phone columns become extra channels.
    cid = int(mario["id"])  # type: ignore[call-overload]
    channels = {(c.kind, c.key) for c in store.contact_channels(cid)}
    assert ("email", "mario@rossi.it") in channels and ("email", "m.rossi@acme.it") in channels
    assert ("phone", "+390612345678") in channels
    assert store.find_contacts_by_email("MARIO@ROSSI.IT") == [cid]
    assert store.count_contacts(ContactQuery(search="0612345678")) == 1


def test_google_legacy_utf16(store: Store) -> None:
    run_import(store, FIXTURES / "google_legacy.csv")
    luca = contact_by_email(store, "luca.verdi@example.com")
    assert (luca["first_name"], luca["last_name"], luca["company"], luca["tags"]) == (
        "Luca",
        "Verdi",
        "Verdi & Figli",
        ["Amici"],
    )
    anna = contact_by_email(store, "anna.neri@example.com")
    assert (anna["first_name"], anna["last_name"]) == ("Anna", "Neri")  # split from "Name"


def test_outlook_desktop_cp1252(store: Store) -> None:
    run_import(store, FIXTURES / "outlook.csv")
    renee = contact_by_email(store, "renee.dupre@example.com")
    assert (renee["first_name"], renee["last_name"], renee["company"]) == ("Renée", "Dupré", "Café Società")
    assert renee["tags"] == ["Clienti", "VIP"]
    assert renee["custom"]["notes"] == "Costo 100€"
    assert "birthday" not in renee["custom"]  # Outlook's 0/0/00 is an empty date
    assert "e_mail_display_name" not in renee["custom"]


def test_outlook_italian_headers(store: Store) -> None:
    run_import(store, FIXTURES / "outlook_it.csv")
    c = contact_by_email(store, "niccolo@fabbri.it")
    assert (c["first_name"], c["last_name"], c["company"], c["tags"]) == (
        "Niccolò",
        "Fabbri",
        "Studio Fabbri",
        ["Lead", "Milano"],
    )
    assert c["phone"] == "+39021234567"
    assert c["custom"]["notes"] == "Già cliente"


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        (
            "outlook_com.csv",
            "paolo.greco@example.com",
            {"first_name": "Paolo", "last_name": "Greco", "phone": "+393450001111"},
        ),
        (
            "hubspot.csv",
            "sara@colombo.it",
            {"first_name": "Sara", "owner": "Marta Coach", "company": "Colombo Spa", "phone": "+39029876543"},
        ),
        (
            "gohighlevel.csv",
            "marco@ricci.it",
            {"company": "Ricci Coaching", "tags": ["lead", "vip", "webinar"], "phone": "+393491234567"},
        ),
        ("mailchimp.csv", "chiara@example.com", {"first_name": "Chiara", "tags": ["Blog", "VIP"]}),
        (
            "pipedrive.csv",
            "davide@romano.it",
            {"first_name": "Davide", "company": "Romano Srl", "owner": "Marta", "tags": ["Hot"]},
        ),
        (
            "excel_utf8_bom.csv",
            "francesca@gallo.it",
            {"last_name": "Gallo", "tags": ["Coaching"], "phone": "+393201112233"},
        ),
        ("tabs.tsv", "anna@deluca.it", {"first_name": "Anna Maria", "last_name": "De Luca"}),
    ],
)
def test_crm_exports(store: Store, name: str, email: str, expected: dict[str, object]) -> None:
    result = run_import(store, FIXTURES / name)
    assert result.counts.rejected == 0
    contact = contact_by_email(store, email)
    for key, value in expected.items():
        assert contact[key] == value, key


def test_pipedrive_comma_separated_values(store: Store) -> None:
    run_import(store, FIXTURES / "pipedrive.csv")
    [cid] = store.find_contacts_by_email("d.romano@gmail.com")
    assert store.find_contacts_by_phone("02 5555556") == [cid]
    assert store.field_values("contact", cid)["notes"] == "Call back"
    assert "leid" not in store.field_values("contact", cid)


def test_mailchimp_system_columns(store: Store) -> None:
    run_import(store, FIXTURES / "mailchimp.csv")
    custom = contact_by_email(store, "chiara@example.com")["custom"]
    assert "euid" not in custom and "optin_ip" not in custom  # type: ignore[operator]
    assert custom["member_rating"] == "2"  # type: ignore[index]


def test_italian_excel_sheet(store: Store) -> None:
    result = run_import(store, FIXTURES / "excel_it.csv")
    assert result.counts.created == 2
    assert any("scientific notation" in w for _line, w in result.warnings)
    c = contact_by_email(store, "niccolo@damico.it")
    assert (c["first_name"], c["last_name"], c["company"], c["source"]) == (
        "Niccolò",
        "D'Amico",
        "Società €uro",
        "Passaparola",
    )
    assert c["phone"] == "+39061234567"  # the scientific-notation mobile was dropped, the landline kept
    assert c["tags"] == ["Clienti", "Milano"]
    assert c["custom"]["notes"] == "riga uno\nriga due"
    [zoe] = store.find_contacts_by_phone("333 9876543")
    assert store.contact_row(zoe).display_name == "Zoë Müller"


def test_header_only_imports_nothing(store: Store) -> None:
    result = run_import(store, FIXTURES / "header_only.csv")
    assert result.counts.rows == 0 and result.counts.created == 0
    assert store.count_contacts() == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [("empty.csv", "empty"), ("binary.csv", "binary")],
)
def test_non_csv_files_are_rejected(store: Store, name: str, message: str) -> None:
    with pytest.raises(FileError, match=message):
        run_import(store, FIXTURES / name)
    assert store.count_contacts() == 0


def test_a_vcard_named_csv_is_read_as_a_vcard(store: Store) -> None:
    result = run_import(store, FIXTURES / "contacts_vcard.csv")
    assert result.counts.created == 1
    assert [(r.first_name, r.last_name) for r in store.list_contacts()] == [("Mario", "Rossi")]


def test_zip_and_xlsx_are_explained(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 20 + b"xl/workbook.xml")
    with pytest.raises(FileError, match="Excel workbook"):
        open_csv(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 20 + b"members.csv")
    with pytest.raises(FileError, match="ZIP"):
        open_csv(tmp_path / "b.csv")


def test_no_contact_column_is_a_file_error(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Colour,Size\nred,M\n")
    with pytest.raises(FileError, match="no column"):
        run_import(store, path)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail 3 - Value", "email"),
        ("Phone 2 - Value", "phone"),
        ("Phone 1 - Label", "ignore"),
        ("Person - Email - Home", "email"),
        ("Person - Phone - Mobile", "phone"),
        ("Società", "company"),
        ("Indirizzo E-mail 2", "email"),
        ("Telefono dell'Auto", "phone"),
        ("Nome e cognome", "name"),
        ("Group Membership", "tags"),
        ("Contact owner", "owner"),
        ("Fonte", "source"),
        ("Record ID", None),
        ("Company Main Phone", None),  # a switchboard: matching on it would glue colleagues together
    ],
)
def test_header_synonyms(header: str, field: str | None) -> None:
    assert guess_field(header) == field


def test_italian_nome_alone_is_a_full_name() -> None:
    columns = build_mapping(["Nome", "Email"])
    assert columns[0].target == "name"
    assert build_mapping(["Nome", "Cognome"])[0].target == "first_name"


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Mario Rossi", "Mario", "Rossi"),
        ("Rossi, Mario", "Mario", "Rossi"),
        ("Anna Maria De Luca", "Anna Maria", "De Luca"),
        ("Giovanni di Bartolo", "Giovanni", "di Bartolo"),
        ("Cher", "Cher", ""),
        ("  Luca   Verdi ", "Luca", "Verdi"),
    ],
)
def test_split_name(full: str, first: str, last: str) -> None:
    assert split_name(full) == (first, last)


def test_encoding_and_delimiter_overrides(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Nome|Email\nNiccolò|n@x.it\n".encode("latin-1"))
    result = run_import(store, path, _options(encoding="latin-1", delimiter="|"))
    assert result.counts.created == 1
    assert contact_by_email(store, "n@x.it")["first_name"] == "Niccolò"


def _options(**kwargs: object):  # noqa: ANN202 - small helper
    from koachify_tui.store.importer import ImportOptions

    return ImportOptions(**kwargs)  # type: ignore[arg-type]
