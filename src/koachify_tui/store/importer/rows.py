"""Turning one CSV record into a validated contact candidate (or a reject with a reason)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ...i18n import _
from ..matching import TEXT_PLACEHOLDERS, placeholder_email, placeholder_phone, placeholder_text
from ..normalize import InvalidValue, clean_text, fold
from . import fastpath
from .mapping import COUNTRY, CUSTOM, Column
from .reader import Runaway

_MULTI = re.compile(r"\s*(?::::|[,;\n])\s*")  # Google " ::: ", Pipedrive/Outlook ", " and "; "
# One tag (double-quoted, "" for a quote, or plain) and the separator after it ("" at the end of the cell).
_TAG_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|((?:(?!:::)[^,;\n])*))\s*(:::|[,;\n]|$)')
_SCIENTIFIC = re.compile(r"^\s*[+-]?\d+([.,]\d+)?[eE][+-]?\d+\s*$")
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")  # our own export's formula-injection guard
_PARTICLES = frozenset({"de", "di", "da", "del", "della", "dello", "dei", "degli", "dal", "dalla", "d'", "la", "lo",
                        "le", "van", "von", "der", "den", "du", "des", "dos", "mac", "st", "st."})  # fmt: skip
_EMPTY_DATES = frozenset({"0/0/00", "00/00/00", "0/0/0000"})  # Outlook writes these for empty dates


@dataclass(slots=True)
class Candidate:
    """A valid row: what it says about one contact."""

    line: int
    # The record as read, for the rejects report; from a parsing child, joined by CELL_SEP (see `cells_of`).
    cells: list[str] | str = field(default_factory=list)
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    source: str = ""
    owner: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)  # (normalised address, match key)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (as typed, E.164)
    tags: list[str] = field(default_factory=list)  # may be shared between candidates: never mutated
    custom: dict[str, str] = field(default_factory=dict)  # column label → text (cleaned, stripped, not empty)
    warnings: list[str] = field(default_factory=list)
    source_explicit: bool = False  # from a column (or --source), not the default
    # What the contact's name_key and search_text columns hold if this row creates it (computed while
    # parsing, which may run in another process: see `producer`).
    name_key: str = ""
    search_text: str = ""
    # (kind, value) kept on the contact but never used as a key: phones libphonenumber does not call valid
    # (shown as typed, unverified), and values the writer finds shared by several people.
    loose: list[tuple[str, str]] = field(default_factory=list)


CELL_SEP = "\x00"  # no CSV cell holds one: a row that does is sent as a list


def channel_plan(
    c: Candidate,
) -> tuple[tuple[str, str | None] | None, tuple[str, str | None] | None, list[tuple[str, str, str | None]]]:
    """(primary email, primary phone, the other channels as (kind, value, key)) of a new contact: keyed values
    first, then the loose ones (key None)."""
    emails: list[tuple[str, str | None]] = list(c.emails)
    phones: list[tuple[str, str | None]] = list(c.phones)
    for kind, value in c.loose:
        (emails if kind == "email" else phones).append((value, None))
    extra = [("email", v, k) for v, k in emails[1:]] + [("phone", v, k) for v, k in phones[1:]]
    return (emails[0] if emails else None), (phones[0] if phones else None), extra


def cells_of(candidate: Candidate) -> list[str]:
    cells = candidate.cells
    return cells.split(CELL_SEP) if isinstance(cells, str) else cells


@dataclass(slots=True)
class Reject:
    line: int
    reason: str
    cells: list[str]


def split_name(full: str) -> tuple[str, str]:
    """ "Mario Rossi" → (Mario, Rossi); "Rossi, Mario" → (Mario, Rossi); "Anna De Luca" → (Anna, De Luca)."""
    full = " ".join(full.split())
    if not full:
        return "", ""
    if "," in full:
        last, _sep, first = full.partition(",")
        return first.strip(), last.strip()
    parts = full.split(" ")
    if len(parts) == 1:
        return parts[0], ""
    cut = len(parts) - 1
    while cut > 1 and parts[cut - 1].casefold() in _PARTICLES:
        cut -= 1
    return " ".join(parts[:cut]), " ".join(parts[cut:])


_SYSTEM_LABELS = frozenset({"mycontacts", "my contacts", "starred"})  # Google's; "* Family" is the user's


def split_tags(value: str) -> list[str]:
    """Tags of one cell, minus Google's system labels ("* myContacts", "* starred"); other "*" labels keep
    their name without the star. Separators are Google's " ::: ", "," and ";"; a double-quoted tag keeps them
    (`Lead, "Roma, centro"`, Mailchimp's TAGS)."""
    out = []
    for part in _tag_parts(value):
        part = part.strip()
        if part.startswith("*"):
            part = part[1:].strip()
            if part.casefold() in _SYSTEM_LABELS:
                continue
        if part and not placeholder_text(part):
            out.append(part)
    return out


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded country names (English, Italian, ISO codes and a few usual spellings) → ISO region."""
    from babel import Locale

    names: dict[str, str] = {}
    for language in ("en", "it"):
        for code, name in Locale(language).territories.items():
            if code.isalpha() and len(code) == 2:
                names[fold(name)] = code
                names[fold(code)] = code
    names.update({"usa": "US", "u.s.a.": "US", "u.s.": "US", "uk": "GB", "united states of america": "US",
                  "great britain": "GB", "england": "GB", "holland": "NL", "stati uniti d'america": "US"})  # fmt: skip
    return names


def region_of(country: str) -> str | None:
    """The phone region a country cell names ("Italia", "United States", "DE"), None if unknown."""
    return _countries().get(fold(country)) if country else None


def _tag_parts(value: str) -> list[str]:
    if '"' not in value:
        return _MULTI.split(value)
    parts: list[str] = []
    position = 0
    while True:
        match = _TAG_TOKEN.match(value, position)
        if match is None or match.end() == position:  # a stray quote: read it the simple way
            return [part.strip('"') for part in _MULTI.split(value)]
        quoted, plain, separator = match.groups()
        if quoted is not None:
            parts.append(quoted.replace('""', '"'))
        else:  # plain; an opening quote never closed is dropped
            plain = plain.strip()
            parts.append(plain[1:] if plain.startswith('"') else plain)
        if not separator:
            return parts
        position = match.end()


_TAG_CACHE_MAX = 10_000


class RowParser:
    """Validates records against a column mapping. One instance per import (it keeps the column plan).

    Hot path (once per row of a 1M-row file): column indexes are resolved once, one-line cells are cleaned
    with a printable-string shortcut, and the tags of a cell are split once per distinct cell text."""

    def __init__(
        self,
        columns: Sequence[Column],
        width: int,
        *,
        region: str,
        source: str,
        source_explicit: bool,
        tags: Sequence[str],
    ) -> None:
        self.width = width
        self.region = region
        self.default_source = source
        self.source_explicit = source_explicit
        self.extra_tags = [t for t in (clean_text(t) for t in tags) if t]
        by: dict[str, list[int]] = {}
        self.custom: list[tuple[int, str]] = []
        for column in columns:
            if column.target == CUSTOM:
                self.custom.append((column.index, column.custom_label))
            else:
                by.setdefault(column.target, []).append(column.index)
                if column.target == COUNTRY:  # the region of the row's phones, and a value worth keeping
                    self.custom.append((column.index, column.custom_label or column.header))
        self.by = by
        self._get = {target: tuple(by.get(target, ())) for target in ("first_name", "last_name", "name", "company",
                                                                       "owner", "source", "email", "phone", "tags",
                                                                       "notes", COUNTRY)}  # fmt: skip
        self.placeholders: dict[str, int] = {}  # placeholder emails/phones read as empty → rows (for the summary)
        self._regions: dict[str, str] = {}  # country cell → region of its phones
        # tag cells → (tags, their folded names sorted as the search text lists them)
        self._tag_cache: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}

    def _first(self, cells: list[str], target: str) -> str:
        for index in self._get[target]:
            value = cells[index]
            if value:
                value = value.strip() if value.isprintable() else clean_text(value)
                if value and value not in TEXT_PLACEHOLDERS:
                    return value
        return ""

    def _placeholder(self, value: str) -> None:
        self.placeholders[value] = self.placeholders.get(value, 0) + 1

    def take_placeholders(self) -> dict[str, int]:
        """The placeholder values counted since the last call (one chunk's)."""
        found, self.placeholders = self.placeholders, {}
        return found

    def _row_region(self, cells: list[str]) -> str:
        """The region of this row's phones: its country column when it names a country, else the default."""
        for index in self._get[COUNTRY]:
            cell = cells[index]
            if cell:
                region = self._regions.get(cell)
                if region is None:
                    if len(self._regions) > 10_000:
                        self._regions.clear()
                    region = self._regions[cell] = region_of(clean_text(cell).strip()) or ""
                if region:
                    return region
        return self.region

    def parse(self, line: int, cells: list[str]) -> Candidate | Reject:
        width = self.width
        if cells.__class__ is Runaway:
            return Reject(line, cells.reason, [c[:200] for c in cells[:3]])
        if len(cells) != width:
            if len(cells) > width:
                extra = cells[width:]
                if any(c.strip() for c in extra):
                    shown = ", ".join(repr(c.strip()[:40]) for c in extra if c.strip())
                    return Reject(
                        line,
                        _(
                            "misaligned row: {n} fields but the header has {width} (a delimiter in an unquoted "
                            "value?); after the last column: {extra}"
                        ).format(
                            n=len(cells) - sum(1 for c in reversed(cells) if not c.strip()), width=width, extra=shown
                        ),
                        cells,
                    )
                cells = cells[:width]
            else:
                cells = cells + [""] * (width - len(cells))
        if "\x00'" in "\x00" + "\x00".join(cells):  # a cell starting with "'": one scan finds none, mostly
            for i, cell in enumerate(cells):
                if cell[:1] == "'" and _NEUTRALISED.match(cell):
                    cells[i] = cell[1:]

        first = self._first(cells, "first_name")
        last = self._first(cells, "last_name")
        company = self._first(cells, "company")
        if not first and not last:
            full = self._first(cells, "name")
            if not (company and fold(full) == fold(company)):  # an organisation's record: no person to split
                first, last = split_name(full)
        source = self._first(cells, "source")
        if source:
            source_explicit = True
        else:
            source, source_explicit = self.default_source, self.source_explicit
        tags, tags_text = self._tags(cells)
        c = Candidate(
            line,
            cells,
            first,
            last,
            "",
            source,
            self._first(cells, "owner"),
            [],
            [],
            tags,
            {},
            [],
            source_explicit,
        )
        c.company = company
        self._emails(c, cells)
        self._phones(c, cells, self._row_region(cells) if self._get[COUNTRY] else self.region)
        notes_columns = self._get["notes"]
        if notes_columns:
            notes = [n for n in (clean_text(cells[i], multiline=True).strip() for i in notes_columns) if n]
            if notes:
                c.custom["notes"] = "\n\n".join(notes)
        for index, label in self.custom:
            value = cells[index]
            if value:
                value = value.strip() if value.isprintable() else clean_text(value, multiline=True).strip()
                if value and value not in _EMPTY_DATES and value not in TEXT_PLACEHOLDERS:
                    c.custom[label] = value
        if not (first or last or c.company or c.emails or c.phones or c.loose):
            reason = "; ".join(c.warnings) if c.warnings else _("no name, email or phone")
            return Reject(line, reason, cells)
        name = fastpath.fold_fast(f"{first} {last}")
        c.name_key = name or fastpath.fold_fast(c.company)  # `name_key_fast`, folding the name once
        phones = [k for _v, k in c.phones]
        if c.loose:
            phones += ["".join(ch for ch in v if ch.isdigit()) for kind, v in c.loose if kind == "phone"]
        c.search_text = fastpath.haystack_fast(name, c.company, [k for _v, k in c.emails], tags_text, phones)
        return c

    def _emails(self, c: Candidate, cells: list[str]) -> None:
        seen: set[str] = set()
        for index in self._get["email"]:
            cell = cells[index]
            if not cell or not cell.strip():
                continue
            for raw in _MULTI.split(cell.strip()) if ("," in cell or ";" in cell or ":::" in cell) else (cell,):
                raw = fastpath.clean_line(raw)
                if not raw:
                    continue
                try:
                    value = fastpath.email(raw)
                except InvalidValue:
                    c.warnings.append(_("invalid email {value!r} dropped").format(value=raw))
                    continue
                key = fastpath.fold_fast(value)
                if placeholder_email(key):
                    self._placeholder(key)
                    continue
                if key not in seen:
                    seen.add(key)
                    c.emails.append((value, key))

    def _phones(self, c: Candidate, cells: list[str], region: str) -> None:
        seen: set[str] = set()
        for index in self._get["phone"]:
            cell = cells[index]
            if not cell or not cell.strip():
                continue
            if ("e" in cell or "E" in cell) and _SCIENTIFIC.match(cell):
                c.warnings.append(
                    _("phone {value!r} is in scientific notation (digits lost by a spreadsheet): dropped").format(
                        value=cell.strip()
                    )
                )
                continue
            for raw in _MULTI.split(cell.strip()) if ("," in cell or ";" in cell or ":::" in cell) else (cell,):
                raw = fastpath.clean_line(raw)
                if not raw:
                    continue
                if raw in TEXT_PLACEHOLDERS:
                    continue
                e164 = fastpath.fast_phone(raw, region)  # the common shapes, inline: once per row
                if e164 and fastpath.valid(e164):
                    valid = True
                else:
                    e164, valid = _phone(raw, region)
                if e164 is None:
                    c.warnings.append(_("invalid phone {value!r} dropped").format(value=raw))
                elif placeholder_phone(e164):
                    self._placeholder(raw)
                elif not valid:
                    c.loose.append(("phone", raw))
                    c.warnings.append(_("phone {value!r} is not a valid number: kept as typed, unverified").format(
                        value=raw))  # fmt: skip
                elif e164 not in seen:
                    seen.add(e164)
                    c.phones.append((raw, e164))

    def _tags(self, cells: list[str]) -> tuple[list[str], list[str]]:
        """The row's tags (its tag cells, then --tag), case-insensitively unique, and their folded names in
        name order (for the search text). Tag cells repeat a lot ("* myContacts ::: Clienti"): each distinct
        combination is split once. The lists are shared: read-only."""
        key = tuple(cells[i] for i in self._get["tags"])
        found = self._tag_cache.get(key)
        if found is None:
            if len(self._tag_cache) >= _TAG_CACHE_MAX:
                self._tag_cache.clear()
            tags = self._split_tags(key)
            found = self._tag_cache[key] = (tags, sorted(fold(t) for t in tags))
        return found

    def _split_tags(self, tag_cells: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for cell in tag_cells:
            if cell:
                for tag in split_tags(cell):
                    tag = clean_text(tag)
                    if tag and fold(tag) not in seen:
                        seen.add(fold(tag))
                        out.append(tag)
        for tag in self.extra_tags:
            if fold(tag) not in seen:
                seen.add(fold(tag))
                out.append(tag)
        return out


def _phone(raw: str, region: str) -> tuple[str | None, bool]:
    """(E.164 or None when impossible, whether it is valid). A number not valid in the row's region but
    written with an international prefix ("0039…", "001 …", "011 …") is read with it."""
    try:
        e164 = fastpath.phone(raw, region)
    except InvalidValue:
        e164 = None
    if e164 is not None and fastpath.valid(e164):
        return e164, True
    prefixed = fastpath.international(raw)
    if prefixed is not None:
        try:
            other = fastpath.phone(prefixed, region)
        except InvalidValue:
            other = None
        if other is not None and fastpath.valid(other):
            return other, True
    return e164, False
