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

#: Contact fields a column can feed. "name" is a full name that gets split; "notes" is the `notes` custom field.
FIELDS = ("first_name", "last_name", "name", "company", "email", "phone", "tags", "source", "owner", "notes")
IGNORE = "ignore"
CUSTOM = "custom"


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
    """The field a header means, IGNORE, or None for an unknown column (a custom field)."""
    key = header_key(header)
    if key in SYNONYMS:
        return SYNONYMS[key]
    for pattern, field in _PATTERNS:
        if pattern.match(key):
            return field
    return None


@dataclass(frozen=True)
class Column:
    """One column of the file and where its values go."""

    index: int
    header: str
    target: str  # a FIELDS name, IGNORE or CUSTOM
    custom_label: str = ""  # for CUSTOM: the field label (the header, or what --map said)

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
            columns.append(Column(index, name, IGNORE if ignore_unknown else CUSTOM, name))
        else:
            columns.append(Column(index, name, guessed))
    missing = [h for h in overrides if h not in used and h not in {c.header for c in columns}]
    if missing:
        raise MappingError(
            _("--map: no column named {header!r} in the file (columns: {columns})").format(
                header=missing[0], columns=", ".join(h for h in header if h.strip())
            )
        )
    _italian_nome_as_full_name(columns)
    return columns


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
