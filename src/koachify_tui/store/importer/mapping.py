"""Header → field mapping, by name (never by position), with the exact headers of the common exports.

Sources: Google Contacts (current and legacy), Outlook desktop (English and Italian), Outlook.com, HubSpot,
GoHighLevel, Mailchimp, Pipedrive and hand-made Italian sheets (see /work/shared/csv-formats.md and
roundcube's it_IT csv2vcard map for Outlook's Italian headers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ...i18n import _

#: Contact fields a column can feed. "name" is a full name that gets split; "notes" is the `notes` custom field;
#: "country" gives the row's phones their region (and is kept as a custom field too).
FIELDS = ("first_name", "last_name", "name", "company", "email", "phone", "tags", "source", "owner", "notes", "country")
IGNORE = "ignore"
CUSTOM = "custom"
COUNTRY = "country"
#: Fields with one value per contact: when several columns feed one, the first column wins.
SINGLE = frozenset({"first_name", "last_name", "name", "company", "source", "owner", COUNTRY})


def header_key(header: str) -> str:
    """Accent-, case- and punctuation-insensitive header: "E-mail 1 - Value" → "e mail 1 value"."""
    text = unicodedata.normalize("NFKD", header.strip().strip('"').lstrip("\ufeff"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first name",
        "firstname",
        "first",
        "given name",
        "person first name",
        "nome",
        "nome proprio",
        "name first",
    ),
    "last_name": (
        "last name",
        "lastname",
        "last",
        "surname",
        "family name",
        "person last name",
        "cognome",
        "name last",
    ),
    "name": (
        "name",
        "full name",
        "fullname",
        "contact name",
        "display name",
        "person name",
        "nome e cognome",
        "cognome e nome",
        "nome completo",
        "nominativo",
        "nome visualizzato",
        "contatto",
        "cliente",
    ),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "organization name",
        "organisation name",
        "organization 1 name",
        "business name",
        "associated company",
        "person organization",
        "person organisation",
        "societa",
        "azienda",
        "organizzazione",
        "ditta",
        "ragione sociale",
        "societa di lavoro",
        "nome azienda",
    ),
    "email": (
        "email",
        "e mail",
        "mail",
        "email address",
        "e mail address",
        "email 2 address",
        "e mail 2 address",
        "email 3 address",
        "e mail 3 address",
        "emails",
        "email principale",
        "email secondaria",
        "indirizzo email",
        "indirizzo e mail",
        "indirizzo e mail 2",
        "indirizzo e mail 3",
        "posta elettronica",
        "indirizzo di posta elettronica",
        "other emails",
        "altre email",
    ),
    "phone": (
        "phone",
        "phone number",
        "phones",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "cellphone",
        "primary phone",
        "business phone",
        "business phone 2",
        "home phone",
        "home phone 2",
        "other phone",
        "car phone",
        "work phone",
        "telefono",
        "telefoni",
        "cellulare",
        "cell",
        "numero di telefono",
        "numero telefono",
        "numero cellulare",
        "telefono cellulare",
        "telefono mobile",
        "telefono principale",
        "telefono di lavoro",
        "telefono di lavoro 2",
        "telefono lavoro",
        "telefono di casa",
        "telefono di casa 2",
        "telefono dell auto",
        "phone altro",
        "altro telefono",
        "cellulare di casa",
        "cellulare di lavoro",
        "other phones",
        "altri telefoni",
        "whatsapp",
    ),
    "tags": (
        "tags",
        "tag",
        "labels",
        "label",
        "group membership",
        "groups",
        "categories",
        "category",
        "categorie",
        "categoria",
        "person labels",
        "etichette",
        "etichetta",
        "gruppi",
        "gruppo",
    ),
    "source": ("source", "lead source", "original source", "contact source", "fonte", "origine", "provenienza"),
    "owner": (
        "owner",
        "contact owner",
        "person owner",
        "lead owner",
        "assigned to",
        "proprietario",
        "assegnato a",
        "assegnatario",
    ),
    "notes": ("notes", "note", "person notes", "comments", "commenti", "commento"),
    IGNORE: (
        "koachify id",
        "e mail type",
        "e mail display name",
        "e mail 2 type",
        "e mail 2 display name",
        "e mail 3 type",
        "e mail 3 display name",
        "leid",
        "euid",
        "optin ip",
        "confirm ip",
        "gmtoff",
        "dstoff",
    ),
}
SYNONYMS: dict[str, str] = {key: field for field, keys in _SYNONYMS.items() for key in keys}

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^e ?mail \d+ value$"), "email"),  # Google: "E-mail 1 - Value"
    (re.compile(r"^e ?mail( \d+)? (label|type)$"), IGNORE),
    (re.compile(r"^phone \d+ value$"), "phone"),  # Google: "Phone 1 - Value"
    (re.compile(r"^phone( \d+)? (label|type)$"), IGNORE),
    (re.compile(r"^person email( work| home| other)?$"), "email"),  # Pipedrive
    (re.compile(r"^person phone( work| home| mobile| other)?$"), "phone"),
    (re.compile(r"^e ?mail \d+$"), "email"),
)


def guess_field(header: str) -> str | None:
    """The field a header means, IGNORE, or None for an unknown column (a custom field): the exact headers of
    the exports above first, then the token rules of `classify`."""
    key = header_key(header)
    if key in SYNONYMS:
        return SYNONYMS[key]
    for pattern, field in _PATTERNS:
        if pattern.match(key):
            return field
    return classify(header)[0]


# --- token rules -----------------------------------------------------------------------------------------
# A header is read as words: accents, case and punctuation folded, camelCase and snake_case split, glued words
# ("mobilephone", "EmailAddress") cut into known words. Then:
#   R1. A header means field F when it holds one of F's phrases and every other word is a qualifier: a
#       number ("E-mail 2"), a kind ("Work", "Home", "Mobile", "Primary", "Secondary", "Lavoro", "Casa"), a
#       form word ("Address", "Number", "Value", "Indirizzo", "Numero"), a possessor of the record itself
#       ("Person", "Contact", "Cliente"). "Primary Email", "Email Home", "Mobile Phone Number",
#       "Telefono Cellulare", "Indirizzo di posta elettronica" all qualify.
#   R2. Any other word makes it a different thing: "Email Opt Out", "Phone Type", "Middle Name", "Company
#       Domain", "Organization Title" are custom fields, never the contact's email, phone, name or company.
#   R3. A header naming another record ("Company", "Organization", "Account", "Deal", "Associated…") with a
#       field other than the organisation's name ("Company Phone", "Associated Company ID") belongs to that
#       record: a custom field, flagged (`classify` returns its reason).
#   R4. The longest phrase wins ("Company Name": company, not name; "Business Phone": phone, not company).
_PHRASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "mail", "posta elettronica", "pec", "emailaddress"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "cellphone", "cellular", "telefono", "cellulare",
              "whatsapp", "smartphone"),
    "first_name": ("first name", "first", "given name", "given", "forename", "nome", "nome proprio"),
    "last_name": ("last name", "last", "surname", "family name", "cognome"),
    "name": ("name", "full name", "display name", "nome completo", "nome e cognome", "cognome e nome",
             "nominativo", "nome visualizzato"),
    "company": ("company", "organization", "organisation", "business name", "employer", "azienda", "societa", "ditta",
                "ragione sociale", "organizzazione", "account name", "company name"),
    "tags": ("tags", "tag", "labels", "categories", "category", "groups", "etichette", "etichetta", "categorie",
             "categoria", "gruppi", "gruppo", "segments", "lists"),
    "notes": ("notes", "note", "comments", "comment", "commenti", "commento", "annotazioni", "memo"),
    "source": ("source", "lead source", "fonte", "origine", "provenienza"),
    "owner": ("owner", "assigned to", "proprietario", "assegnato a", "assegnatario"),
    COUNTRY: ("country", "nation", "nazione", "paese", "country region"),
}  # fmt: skip
_QUALIFIERS = frozenset({
    "value", "address", "addr", "number", "no", "nr", "num", "n", "primary", "secondary", "main", "other",
    "alternate", "alternative", "personal", "private", "work", "business", "office", "home",
    "mobile", "cell", "direct", "default", "preferred", "pref", "principal", "principale", "secondario",
    "secondaria", "altro", "altra", "altri", "altre", "personale", "privato", "privata", "lavoro", "ufficio", "casa",
    "aziendale", "fisso", "indirizzo", "numero", "di", "del", "della", "dell", "de", "e", "the", "of", "your",
    "person", "contact", "contatto", "cliente", "customer", "lead", "member", "subscriber", "s",
})  # fmt: skip
#: Extra qualifiers per field: "Company Name", "Associated Company", "Nome Azienda".
_FIELD_QUALIFIERS = {"company": frozenset({"name", "nome", "associated", "current"}),
                     "name": frozenset({"contact", "contatto"})}  # fmt: skip
_OTHER_RECORDS = frozenset({"company", "organization", "organisation", "org", "account", "deal", "associated",
                            "azienda", "societa", "ditta"})  # fmt: skip
_SINGLE_WORDS = {field: frozenset(p for p in phrases if " " not in p) for field, phrases in _PHRASES.items()}
_PHRASE_WORDS = sorted({w for phrases in _PHRASES.values() for p in phrases for w in p.split()} | _QUALIFIERS)
_VOCABULARY = frozenset(_PHRASE_WORDS) | {"id", "type", "label", "date", "opt", "out", "url", "job", "title"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _segment(word: str) -> list[str]:
    """A glued word cut into vocabulary words ("mobilephone" → mobile, phone), or [word] when it cannot be."""
    if word in _VOCABULARY or len(word) < 6:
        return [word]
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and len(piece) >= 2 and piece in _VOCABULARY:
                candidate = [*head, piece]
                if best[end] is None or len(candidate) < len(best[end] or ()):
                    best[end] = candidate
    return best[-1] or [word]


def header_words(header: str) -> list[str]:
    """The words of a header: "E-mail 1 - Value" → [email, 1, value]; "mobilePhoneNumber" → [mobile, phone,
    number]; "Person - Email - Work" → [person, email, work]."""
    key = header_key(_CAMEL.sub(" ", header.strip().strip('"').lstrip("\ufeff")))
    key = re.sub(r"\be mail\b", "email", key)
    words: list[str] = []
    for word in key.split():
        words += [_singular(w) for w in _segment(word)]
    return words


def _singular(word: str) -> str:
    """ "numbers" → "number", "addresses" → "address", "companies" → "company" (when that is a known word)."""
    if word in _VOCABULARY or not word.endswith("s"):
        return word
    for cut, tail in ((3, "y"), (2, ""), (1, "")):
        if word[:-cut] + tail in _VOCABULARY and (cut != 3 or word.endswith("ies")):
            return word[:-cut] + tail
    return word


def _find(words: list[str], phrase: tuple[str, ...]) -> int:
    for start in range(len(words) - len(phrase) + 1):
        if tuple(words[start : start + len(phrase)]) == phrase:
            return start
    return -1


def classify(header: str) -> tuple[str | None, str]:
    """(field or None, why it is NOT the field it names: "" or the R3 reason) by the token rules above."""
    words = header_words(header)
    if not words:
        return None, ""
    matches: list[tuple[int, str, list[str]]] = []  # (phrase length, field, words left)
    for field, phrases in _PHRASES.items():
        for text in phrases:
            phrase = tuple(text.split())
            at = _find(words, phrase)
            if at >= 0:
                matches.append((len(phrase), field, words[:at] + words[at + len(phrase) :]))
    matches.sort(key=lambda m: -m[0])
    for _size, field, rest in matches:
        # its own one-word phrases qualify it too ("Telefono Cellulare", "Mobile Phone")
        allowed = _QUALIFIERS | _FIELD_QUALIFIERS.get(field, frozenset()) | _SINGLE_WORDS[field]
        if all(w.isdigit() or w in allowed for w in rest):
            if field != "company" and any(w in _OTHER_RECORDS for w in rest):
                break
            return field, ""
    for _size, field, rest in matches:
        if field in ("email", "phone") and any(w in _OTHER_RECORDS for w in rest + words):
            return None, _("belongs to an associated record ({field} of a company or deal)").format(field=field)
    return None, ""


@dataclass(frozen=True)
class Column:
    """One column of the file and where its values go."""

    index: int
    header: str
    target: str  # a FIELDS name, IGNORE or CUSTOM
    custom_label: str = ""  # for CUSTOM: the field label (the header, or what --map said)
    note: str = ""  # why a column that names a field is not that field (shown as a warning)

    def describe(self) -> str:
        if self.target == CUSTOM:
            return _("custom field “{label}”").format(label=self.custom_label)
        if self.target == IGNORE:
            return _("(ignored)")
        return self.target


class MappingError(ValueError):
    """A --map option that cannot be applied; the message is for the user."""


def parse_overrides(specs: list[str]) -> dict[str, str]:
    """`--map "Header=field"` values → {header: target}. Target: a field, "ignore", "custom" or "custom:Label"."""
    out: dict[str, str] = {}
    for spec in specs:
        header, sep, target = spec.rpartition("=")
        if not sep or not header.strip():
            raise MappingError(_('--map expects "Column header=field", got {spec!r}').format(spec=spec))
        target = target.strip()
        name = target.split(":", 1)[0].lower()
        if name in {"-", "skip", "none"}:
            target = IGNORE
        elif name not in (*FIELDS, IGNORE, CUSTOM):
            raise MappingError(
                _("--map: unknown field {target!r} (use one of: {fields}, ignore, custom:Label)").format(
                    target=target, fields=", ".join(FIELDS)
                )
            )
        out[header.strip()] = target
    return out


def build_mapping(
    header: list[str], overrides: dict[str, str] | None = None, *, ignore_unknown: bool = False
) -> list[Column]:
    """Map every header cell; trailing empty "ghost" columns and unnamed columns are ignored."""
    overrides = dict(overrides or {})
    by_key = {header_key(h): h for h in overrides}
    columns: list[Column] = []
    used: set[str] = set()
    for index, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff")
        if not name:
            continue
        override = overrides.get(name)
        if override is None and header_key(name) in by_key:
            override = overrides[by_key[header_key(name)]]
        if override is not None:
            used.add(by_key.get(header_key(name), name))
            field, _sep, label = override.partition(":")
            field = field.lower()
            if field == CUSTOM:
                columns.append(Column(index, name, CUSTOM, label.strip() or name))
            else:
                columns.append(Column(index, name, field))
            continue
        guessed = guess_field(name)
        if guessed is None:
            note = classify(name)[1]
            columns.append(Column(index, name, IGNORE if ignore_unknown else CUSTOM, name, note))
        else:
            columns.append(Column(index, name, guessed, name if guessed == COUNTRY else ""))
    missing = [h for h in overrides if h not in used and h not in {c.header for c in columns}]
    if missing:
        raise MappingError(
            _("--map: no column named {header!r} in the file (columns: {columns})").format(
                header=missing[0], columns=", ".join(h for h in header if h.strip())
            )
        )
    _italian_nome_as_full_name(columns)
    _first_column_wins(columns)
    return columns


def _first_column_wins(columns: list[Column]) -> None:
    """A repeated header ("Phone Number" twice: HubSpot's second is the associated company's) and a second
    column for a one-value field never overwrite the first: they become custom fields, with a note."""
    seen_headers: set[str] = set()
    seen_fields: dict[str, str] = {}
    labels = {c.custom_label for c in columns if c.target == CUSTOM}
    for i, column in enumerate(columns):
        key = header_key(column.header)
        if column.target in (IGNORE, CUSTOM):
            seen_headers.add(key)
            continue
        repeated = key in seen_headers
        earlier = seen_fields.get(column.target) if column.target in SINGLE else None
        if earlier is not None and column.target == COUNTRY and not repeated:  # "Work Country" after "Home…"
            columns[i] = Column(column.index, column.header, CUSTOM, column.header)
            continue
        seen_headers.add(key)
        if not repeated and earlier is None:
            seen_fields[column.target] = column.header
            continue
        label, n = (f"{column.header} (2)", 3) if repeated else (column.header, 2)
        while label in labels:
            label, n = f"{column.header} ({n})", n + 1
        labels.add(label)
        note = (
            _("repeated column: the first “{header}” is the contact's, this one kept as a custom field").format(
                header=column.header
            )
            if repeated
            else _("“{first}” already gives the {field}: kept as a custom field").format(
                first=earlier, field=column.target
            )
        )
        columns[i] = Column(column.index, column.header, CUSTOM, label, note)


def mapping_notes(columns: list[Column]) -> list[str]:
    """One line per column that names a field but does not feed it (see `_first_column_wins`, `classify`)."""
    return [f"{c.header}: {c.note}" for c in columns if c.note]


def _italian_nome_as_full_name(columns: list[Column]) -> None:
    """A sheet with "Nome" but no surname column usually means the full name ("Mario Rossi")."""
    targets = {c.target for c in columns}
    if "last_name" in targets or "name" in targets:
        return
    for i, column in enumerate(columns):
        if column.target == "first_name" and header_key(column.header) == "nome":
            columns[i] = Column(column.index, column.header, "name")


def has_contact_columns(columns: list[Column]) -> bool:
    """True when some column can name or reach a contact (otherwise every row would be rejected)."""
    return any(c.target in {"first_name", "last_name", "name", "company", "email", "phone"} for c in columns)
