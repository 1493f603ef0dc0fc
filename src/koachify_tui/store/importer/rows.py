"""Turning one CSV record into a validated contact candidate (or a reject with a reason)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...i18n import _
from ..normalize import InvalidValue, clean_text, fold
from . import fastpath
from .mapping import CUSTOM, Column

_MULTI = re.compile(r"\s*(?::::|[,;\n])\s*")  # Google " ::: ", Pipedrive/Outlook ", " and "; "
_SCIENTIFIC = re.compile(r"^\s*[+-]?\d+([.,]\d+)?[eE][+-]?\d+\s*$")
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")  # our own export's formula-injection guard
_PARTICLES = frozenset({"de", "di", "da", "del", "della", "dello", "dei", "degli", "dal", "dalla", "d'", "la", "lo",
                        "le", "van", "von", "der", "den", "du", "des", "dos", "mac", "st", "st."})  # fmt: skip
_EMPTY_DATES = frozenset({"0/0/00", "00/00/00", "0/0/0000"})  # Outlook writes these for empty dates


@dataclass(slots=True)
class Candidate:
    """A valid row: what it says about one contact."""

    line: int
    cells: list[str] = field(default_factory=list)  # the record as read, for the rejects report
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    source: str = ""
    owner: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)  # (normalised address, match key)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (as typed, E.164)
    tags: list[str] = field(default_factory=list)
    custom: dict[str, str] = field(default_factory=dict)  # column label → text
    warnings: list[str] = field(default_factory=list)
    source_explicit: bool = False  # from a column (or --source), not the default


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


def split_tags(value: str) -> list[str]:
    """Tags of one cell, minus Google's system labels ("* myContacts", "* starred")."""
    out = []
    for part in _MULTI.split(value):
        part = part.strip().strip('"').strip()
        if part and not part.startswith("*"):
            out.append(part)
    return out


class RowParser:
    """Validates records against a column mapping. One instance per import (it keeps the column plan)."""

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
        self.by = by

    def _first(self, cells: list[str], target: str) -> str:
        for index in self.by.get(target, ()):
            value = cells[index]
            if value:
                value = clean_text(value)
                if value:
                    return value
        return ""

    def parse(self, line: int, cells: list[str]) -> Candidate | Reject:
        if len(cells) > self.width:
            extra = cells[self.width :]
            if any(c.strip() for c in extra):
                return Reject(
                    line,
                    _(
                        "misaligned row: {n} fields but the header has {width} (a delimiter in an unquoted value?)"
                    ).format(n=len(cells) - sum(1 for c in reversed(cells) if not c.strip()), width=self.width),
                    cells,
                )
            cells = cells[: self.width]
        elif len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        for i, cell in enumerate(cells):
            if cell[:1] == "'" and _NEUTRALISED.match(cell):
                cells[i] = cell[1:]

        c = Candidate(line, cells)
        c.first_name = self._first(cells, "first_name")
        c.last_name = self._first(cells, "last_name")
        if not c.first_name and not c.last_name:
            c.first_name, c.last_name = split_name(self._first(cells, "name"))
        c.company = self._first(cells, "company")
        c.owner = self._first(cells, "owner")
        c.source = self._first(cells, "source")
        if c.source:
            c.source_explicit = True
        else:
            c.source, c.source_explicit = self.default_source, self.source_explicit
        self._emails(c, cells)
        self._phones(c, cells)
        self._tags(c, cells)
        notes = [clean_text(cells[i], multiline=True).strip() for i in self.by.get("notes", ())]
        notes = [n for n in notes if n]
        if notes:
            c.custom["notes"] = "\n\n".join(notes)
        for index, label in self.custom:
            value = cells[index].strip()
            if value and value not in _EMPTY_DATES:
                c.custom[label] = value
        if not (c.first_name or c.last_name or c.company or c.emails or c.phones):
            reason = "; ".join(c.warnings) if c.warnings else _("no name, email or phone")
            return Reject(line, reason, cells)
        return c

    def _emails(self, c: Candidate, cells: list[str]) -> None:
        seen: set[str] = set()
        for index in self.by.get("email", ()):
            cell = cells[index]
            if not cell or not cell.strip():
                continue
            for raw in _MULTI.split(cell.strip()) if ("," in cell or ";" in cell or ":::" in cell) else (cell,):
                raw = clean_text(raw)
                if not raw:
                    continue
                try:
                    value = fastpath.email(raw)
                except InvalidValue:
                    c.warnings.append(_("invalid email {value!r} dropped").format(value=raw))
                    continue
                key = fold(value)
                if key not in seen:
                    seen.add(key)
                    c.emails.append((value, key))

    def _phones(self, c: Candidate, cells: list[str]) -> None:
        seen: set[str] = set()
        for index in self.by.get("phone", ()):
            cell = cells[index]
            if not cell or not cell.strip():
                continue
            if _SCIENTIFIC.match(cell):
                c.warnings.append(
                    _("phone {value!r} is in scientific notation (digits lost by a spreadsheet): dropped").format(
                        value=cell.strip()
                    )
                )
                continue
            for raw in _MULTI.split(cell.strip()) if ("," in cell or ";" in cell or ":::" in cell) else (cell,):
                raw = clean_text(raw)
                if not raw:
                    continue
                try:
                    e164 = fastpath.phone(raw, self.region)
                except InvalidValue:
                    c.warnings.append(_("invalid phone {value!r} dropped").format(value=raw))
                    continue
                if e164 and e164 not in seen:
                    seen.add(e164)
                    c.phones.append((raw, e164))

    def _tags(self, c: Candidate, cells: list[str]) -> None:
        seen: set[str] = set()
        for index in self.by.get("tags", ()):
            cell = cells[index]
            if cell:
                for tag in split_tags(cell):
                    tag = clean_text(tag)
                    if tag and fold(tag) not in seen:
                        seen.add(fold(tag))
                        c.tags.append(tag)
        for tag in self.extra_tags:
            if fold(tag) not in seen:
                seen.add(fold(tag))
                c.tags.append(tag)
