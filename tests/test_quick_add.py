"""The quick-add grammar (koachify_tui/quick_add.py): real Italian lines, read without a database."""

from __future__ import annotations

import pytest

from koachify_tui.quick_add import QuickContact, parse_quick_add, preview_parts
from koachify_tui.store import Store


def test_the_example_line() -> None:
    q = parse_quick_add("Giulia Verdi giulia@x.it 333 1234567 #lead @Form")
    assert (q.first_name, q.last_name, q.email, q.phone, q.phone_e164) == (
        "Giulia",
        "Verdi",
        "giulia@x.it",
        "333 1234567",
        "+393331234567",
    )
    assert q.tags == ("lead",) and q.source == "Form" and q.ok
    assert preview_parts(q) == [
        ("First name", "Giulia"),
        ("Last name", "Verdi"),
        ("Email", "giulia@x.it"),
        ("Phone", "+39 333 123 4567"),
        ("Tags", "lead"),
        ("Source", "Form"),
    ]


@pytest.mark.parametrize(
    ("line", "first", "last"),
    [
        ("Niccolò D'Amico", "Niccolò", "D'Amico"),
        ("Maria De Luca", "Maria", "De Luca"),
        ("Anna Maria Di Stefano", "Anna Maria", "Di Stefano"),
        ("Gian Luca dalla Valle", "Gian Luca", "dalla Valle"),
        ("Maria Grazia Rossi", "Maria Grazia", "Rossi"),
        ("Rossi, Maria Grazia", "Maria Grazia", "Rossi"),
        ("De Luca, Maria", "Maria", "De Luca"),
        ('"Maria Grazia" "Lo Russo"', "Maria Grazia", "Lo Russo"),
        ("Sofia Maria dell'Acqua", "Sofia Maria", "dell'Acqua"),
        ("De Luca", "De", "Luca"),  # two words: first and last, whatever they are
        ("Zoë", "Zoë", ""),
        ("Ángel Núñez", "Ángel", "Núñez"),
    ],
)
def test_names(line: str, first: str, last: str) -> None:
    q = parse_quick_add(line)
    assert (q.first_name, q.last_name) == (first, last) and q.ok


@pytest.mark.parametrize(
    ("line", "e164"),
    [
        ("333 1234567", "+393331234567"),
        ("3331234567", "+393331234567"),
        ("333-123-4567", "+393331234567"),
        ("333.123.4567", "+393331234567"),
        ("+39 333 123 4567", "+393331234567"),
        ("+393331234567", "+393331234567"),
        ("0039 333 1234567", "+393331234567"),
        ("02 1234567", "+39021234567"),  # Milan landline: the trunk 0 stays in Italy
        ("06 12345678", "+390612345678"),
        ("0039 02 1234567", "+39021234567"),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_phones(line: str, e164: str) -> None:
    q = parse_quick_add(f"Luca Bianchi {line} #lead")
    assert q.phone_e164 == e164 and q.phone == line and q.ok
    assert (q.first_name, q.last_name, q.tags) == ("Luca", "Bianchi", ("lead",))


def test_two_phones_in_a_row_are_split_where_both_are_valid() -> None:
    q = parse_quick_add("Luca 333 1234567 02 7654321")
    assert q.phone == "333 1234567" and q.phones == ("02 7654321",) and q.ok
    assert ("Phone", "+39 333 123 4567, 02 7654321") in preview_parts(q)


def test_the_region_reads_national_numbers() -> None:
    assert parse_quick_add("Amelia 020 7946 0958", region="GB").phone_e164 == "+442079460958"


def test_tags_source_company_in_any_order() -> None:
    q = parse_quick_add('#lead @"Passaparola amici" (Studio Verdi Srl) Giulia #vip,webinar Verdi #lead')
    assert q.tags == ("lead", "vip", "webinar")  # each once, in the order typed
    assert q.source == "Passaparola amici" and q.company == "Studio Verdi Srl"
    assert (q.first_name, q.last_name) == ("Giulia", "Verdi") and q.ok
    assert parse_quick_add('Anna #"Cliente attivo"').tags == ("Cliente attivo",)
    assert parse_quick_add("Anna «Cliente» @«Fiera Milano»").source == "Fiera Milano"


def test_a_company_alone_or_an_email_alone_is_a_contact() -> None:
    q = parse_quick_add("(Acme S.p.A.)")
    assert q.company == "Acme S.p.A." and q.ok and q.name == "Acme S.p.A."
    q = parse_quick_add("info@acme.it")
    assert q.email == "info@acme.it" and q.ok and not q.first_name


def test_two_emails_keep_the_second_as_an_extra_address() -> None:
    q = parse_quick_add("Paolo Neri paolo@lavoro.it paolo.neri@gmail.com")
    assert q.email == "paolo@lavoro.it" and q.emails == ("paolo.neri@gmail.com",) and q.ok
    assert ("Email", "paolo@lavoro.it, paolo.neri@gmail.com") in preview_parts(q)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("", "Type a name"),
        ("   ", "Type a name"),
        ("#lead @Form", "Type a name"),
        ("Giulia giulia@", "invalid email"),
        ("Giulia giulia@x", "invalid email"),
        ("Giulia 12", "invalid phone"),
        ("Giulia +39", "invalid phone"),
        ("Giulia @Form @Web", "One source only"),
        ("Giulia (Acme) (Beta)", "One company only"),
        ("Giulia (Acme", "( without )"),
        ('Giulia "Maria', '" without "'),
        ("Giulia # @", "# needs a tag"),
    ],
)
def test_errors_are_listed_not_raised(line: str, needle: str) -> None:
    q = parse_quick_add(line)
    assert not q.ok and any(needle in e for e in q.errors), q.errors


def test_the_parse_creates_through_the_store(store: Store) -> None:
    q = parse_quick_add("Giulia Verdi giulia@x.it 333 1234567 02 7654321 g.verdi@y.it #lead @Form (Verdi Coaching)")
    contact = store.create_contact(**q.create_args(), region="IT", origin="tui")
    row = store.contact_row(contact.id or 0)
    assert (row.display_name, row.email, row.phone_e164, row.source, row.company) == (
        "Giulia Verdi",
        "giulia@x.it",
        "+393331234567",
        "Form",
        "Verdi Coaching",
    )
    assert list(row.tags) == ["lead"]
    channels = {(c.kind, c.value) for c in store.contact_channels(contact.id or 0)}
    assert {("email", "g.verdi@y.it"), ("phone", "02 7654321")} <= channels
    assert store.find_contacts_by_phone("02 7654321") == [contact.id]


def test_form_values_prefill_the_full_form() -> None:
    q = parse_quick_add("Giulia Verdi #lead #vip @Form")
    assert q.form_values() == {
        "first_name": "Giulia",
        "last_name": "Verdi",
        "company": "",
        "email": "",
        "phone": "",
        "source": "Form",
        "tags": "lead, vip",
    }
    assert QuickContact().empty
