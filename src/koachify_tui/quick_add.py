"""The quick-add line's grammar: one line of text read as a new contact (pure: no Textual, no database).

    Giulia Verdi giulia@x.it 333 1234567 #lead #webinar @Form (Studio Verdi)

- **words** are the name: the last word is the last name, with the particles before it ("Maria De Luca",
  "Anna Maria Di Stefano" → "Anna Maria" + "Di Stefano"); a comma puts the last name first ("Rossi, Maria
  Grazia"); "double quotes" keep words together ("Maria Grazia" Rossi);
- a word with **@** inside is an email (checked like the form does; a second one is kept as an extra email);
- **digits** (with `+`, `0039`, spaces, `-`, `.`, `/`) are a phone, read with libphonenumber in the settings'
  region: "333 1234567", "+39 02 1234567", "0039 333 1234567"; two numbers in a row are split where both are
  valid numbers ("333 1234567 02 7654321"); the second one is kept as an extra phone;
- **#tag** adds a tag (`#lead,vip` two; `#"Cliente attivo"` one with a space);
- **@source** sets the source (`@"Passaparola"`), once;
- **(Company)** in parentheses sets the company.

`parse_quick_add()` never raises: what it cannot read is listed in `errors`, and nothing may be written then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .i18n import _
from .store.normalize import InvalidValue, normalize_email, normalize_phone

# A quoted group (after an optional # or @), a parenthesised company, or a plain word.
_TOKEN = re.compile(
    r"""(?P<sigil>[#@])?(?:"(?P<q1>[^"]*)"|“(?P<q2>[^”]*)”|«(?P<q3>[^»]*)»)(?=\s|$)
      | \((?P<paren>[^)]*)\)(?=\s|$)
      | (?P<word>\S+)""",
    re.VERBOSE,
)
_PHONE_WORD = re.compile(r"^\+?\d[\d\-./]*$|^\+$")
_OPENERS = ('"', "“", "«", "(")
#: Words that belong to the last name that follows them ("De Luca", "Dalla Valle", "van Dijk").
PARTICLES = frozenset(
    [
        "d",
        "da",
        "dal",
        "dalla",
        "dalle",
        "dai",
        "de",
        "dei",
        "degli",
        "del",
        "della",
        "delle",
        "dello",
        "di",
        "du",
        "la",
        "le",
        "li",
        "lo",
        "van",
        "von",
        "der",
        "den",
        "dos",
        "das",
    ]
)


@dataclass(frozen=True)
class QuickContact:
    """How a quick-add line reads: the contact's fields, or the errors that stop it from being saved."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""  # as typed (the store normalises it again, with the same region)
    phone_e164: str = ""
    emails: tuple[str, ...] = ()  # extra addresses and numbers, kept as the contact's other channels
    phones: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def empty(self) -> bool:
        return not any((self.first_name, self.last_name, self.company, self.email, self.phone))

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.company

    def create_args(self) -> dict[str, Any]:
        """Keyword arguments for `Store.create_contact` (the same call as the full form's)."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "email": self.email,
            "phone": self.phone,
            "source": self.source,
            "tags": list(self.tags),
            "emails": list(self.emails),
            "phones": list(self.phones),
        }

    def form_values(self) -> dict[str, str]:
        """What the full contact form is prefilled with (ctrl+o from the line)."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "email": self.email,
            "phone": self.phone,
            "source": self.source,
            "tags": ", ".join(self.tags),
        }


@dataclass
class _Parts:
    names: list[tuple[str, bool]] = field(default_factory=list)  # (word, quoted)
    emails: list[str] = field(default_factory=list)
    phone_run: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (typed, e164)
    tags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_quick_add(text: str, region: str = "IT") -> QuickContact:
    """Read one quick-add line (grammar in the module docstring); errors are listed, never raised."""
    parts = _Parts()
    for match in _TOKEN.finditer(text):
        word = match["word"]
        if word is not None and _PHONE_WORD.match(word):
            parts.phone_run.append(word)
            continue
        _end_phone_run(parts, region)
        if word is None:
            _take_group(parts, match)
        else:
            _take_word(parts, word)
    _end_phone_run(parts, region)
    return _assemble(parts)


def _take_group(parts: _Parts, match: re.Match[str]) -> None:
    """A quoted group or a (company)."""
    if match["paren"] is not None:
        if match["paren"].strip():
            parts.companies.append(match["paren"].strip())
        return
    value = next(v for v in (match["q1"], match["q2"], match["q3"]) if v is not None).strip()
    if not value:
        return
    if match["sigil"] == "#":
        parts.tags.append(value)
    elif match["sigil"] == "@":
        parts.sources.append(value)
    else:
        parts.names.append((value, True))


def _take_word(parts: _Parts, word: str) -> None:
    if word.startswith(_OPENERS):
        closer = {"(": ")", "“": "”", "«": "»"}.get(word[0], '"')
        parts.errors.append(_("{opener} without {closer}: close it").format(opener=word[0], closer=closer))
    elif word.startswith("#"):
        tags = [t.strip() for t in word[1:].split(",") if t.strip()]
        if not tags:
            parts.errors.append(_("# needs a tag right after it: #lead"))
        parts.tags += tags
    elif word.startswith("@"):
        if len(word) == 1:
            parts.errors.append(_("@ needs a source right after it: @Form"))
        else:
            parts.sources.append(word[1:])
    elif "@" in word:
        try:
            parts.emails.append(normalize_email(word))
        except InvalidValue as exc:
            parts.errors.append(str(exc))
    else:
        parts.names.append((word, False))


def _end_phone_run(parts: _Parts, region: str) -> None:
    """Digits typed in a row are one phone, or two where both halves are valid numbers."""
    run, parts.phone_run = parts.phone_run, []
    if not run:
        return
    split = _split_phones(run, region)
    if split is None:
        typed = " ".join(run)
        try:
            split = [(typed, normalize_phone(typed, region) or "")]
        except InvalidValue as exc:
            parts.errors.append(str(exc))
            return
    parts.phones += split


def _split_phones(words: list[str], region: str) -> list[tuple[str, str]] | None:
    """`words` as valid numbers (the longest first), or None when they are not."""
    for end in range(len(words), 0, -1):
        head = " ".join(words[:end])
        e164 = _valid_e164(head, region)
        if e164 is None:
            continue
        rest = _split_phones(words[end:], region) if end < len(words) else []
        if rest is not None:
            return [(head, e164), *rest]
    return None


def _valid_e164(typed: str, region: str) -> str | None:
    import phonenumbers

    try:
        e164 = normalize_phone(typed, region)
        return e164 if e164 and phonenumbers.is_valid_number(phonenumbers.parse(e164)) else None
    except (InvalidValue, phonenumbers.NumberParseException):
        return None


def split_name(words: list[tuple[str, bool]]) -> tuple[str, str]:
    """(first name, last name) from the name words (see the module docstring)."""
    texts = [w for w, _quoted in words]
    for i, (word, quoted) in enumerate(words):
        if not quoted and word.endswith(","):  # "Rossi, Maria": the last name first
            last = " ".join([*texts[:i], word[:-1]]).strip()
            return " ".join(texts[i + 1 :]).strip(" ,"), last
    if len(texts) < 2:
        return (texts[0] if texts else ""), ""
    start = len(texts) - 1
    while start > 1 and not words[start - 1][1] and texts[start - 1].casefold() in PARTICLES:
        start -= 1
    return " ".join(texts[:start]), " ".join(texts[start:])


def _assemble(parts: _Parts) -> QuickContact:
    errors = list(parts.errors)
    if len(parts.sources) > 1:
        errors.append(_("One source only: {sources}").format(sources=", ".join("@" + s for s in parts.sources)))
    if len(parts.companies) > 1:
        errors.append(_("One company only: {companies}").format(companies=", ".join(parts.companies)))
    first, last = split_name(parts.names)
    phones = parts.phones
    tags = tuple(dict.fromkeys(parts.tags))  # each once, in the order typed
    contact = QuickContact(
        first_name=first,
        last_name=last,
        company=parts.companies[0] if parts.companies else "",
        email=parts.emails[0] if parts.emails else "",
        phone=phones[0][0] if phones else "",
        phone_e164=phones[0][1] if phones else "",
        emails=tuple(parts.emails[1:]),
        phones=tuple(typed for typed, _e164 in phones[1:]),
        tags=tags,
        source=parts.sources[0] if parts.sources else "",
    )
    if contact.empty and not errors:
        errors.append(_("Type a name, a company, an email or a phone"))
    return replace(contact, errors=tuple(errors))


def preview_parts(contact: QuickContact) -> list[tuple[str, str]]:
    """(label, value) pairs saying how the line was read, in the order the preview shows them."""
    from .formatting import phone

    parts = [
        (_("First name"), contact.first_name),
        (_("Last name"), contact.last_name),
        (_("Company"), contact.company),
        (_("Email"), ", ".join(filter(None, (contact.email, *contact.emails)))),
        (_("Phone"), ", ".join(filter(None, (phone(contact.phone_e164, contact.phone), *contact.phones)))),
        (_("Tags"), ", ".join(contact.tags)),
        (_("Source"), contact.source),
    ]
    return [(label, value) for label, value in parts if value]
