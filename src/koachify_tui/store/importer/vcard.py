"""vCard files (2.1, 3.0, 4.0) as the importer's rows, so they get the same mapping, matching, batch, report
and undo as a CSV. Parsing is vobject's (folded lines, quoted-printable, escapes, parameters).

Cards are cut on BEGIN:VCARD/END:VCARD lines and parsed one at a time: the file is streamed, every row carries
the line its card starts on, and a card vobject cannot read is one rejected row, not a failed import.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...i18n import _
from .reader import SAMPLE_BYTES, CsvFile, FileError, Runaway, detect_encoding

#: The columns a card becomes; the header names map by the usual rules (`mapping`).
HEADER = ["First Name", "Last Name", "Full Name", "Company", "Email", "Phone", "Tags", "Notes", "Birthday",
          "Job Title", "Address", "Website", "Nickname"]  # fmt: skip
_JOIN = " ::: "
_BINARY = re.compile(
    r"^(?:[A-Z0-9-]+\.)?(?:PHOTO|LOGO|SOUND|KEY)[;:]"
)  # several values in one cell, as Google writes them (the parser splits on it)


@dataclass
class VcfFile(CsvFile):
    """A .vcf read as rows: the header above, then one row per card (at the line its BEGIN is on)."""

    def _read(self, skip: int, after: int = -1) -> Generator[tuple[int, list[str]], None, int | None]:
        if after < 0:  # `rows()`: the header too
            yield 0, list(HEADER)
        with self.path.open("rb") as raw:
            self._raw = raw
            try:
                yield from _cards(raw, self.encoding)
            finally:
                self._raw = None
        return None


def open_vcard(path: str | Path) -> VcfFile:
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise FileError(_("cannot read {path}: {error}").format(path=path, error=exc.strerror)) from None
    encoding = detect_encoding(path, head)
    return VcfFile(path=path, encoding=encoding, delimiter=",", size=size)


def _lines(raw: Any, encoding: str) -> Iterator[str]:
    for data in raw:
        yield data.decode(encoding, errors="replace")


def _cards(raw: Any, encoding: str) -> Iterator[tuple[int, list[str]]]:
    text_lines: list[str] = []
    start = 0
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if codec.startswith("utf-16"):  # lines are not bytes-splittable: decode the whole file (phones write small ones)
        lines: Iterator[str] = iter(raw.read().decode(encoding, errors="replace").splitlines(keepends=True))
    else:
        lines = _lines(raw, codec)
    binary = False  # inside a PHOTO/LOGO/SOUND/KEY value: ignored (and often broken base64)
    for number, line in enumerate(lines, 1):
        stripped = line.strip().lstrip("\ufeff").upper()
        if binary and (line[:1] in (" ", "\t") or not stripped):
            continue
        binary = _BINARY.match(stripped) is not None
        if binary:
            continue
        if stripped.startswith("BEGIN:VCARD"):
            text_lines, start = [], number
        if start:
            text_lines.append(line.lstrip("\ufeff"))
        if stripped.startswith("END:VCARD") and start:
            try:
                yield start, card_cells(_parse("".join(text_lines)))
            except Exception as exc:  # noqa: BLE001 - vobject raises many kinds; one card is rejected
                yield start, Runaway([], _("unreadable vCard: {error}").format(error=str(exc)[:120]))
            start = 0


_QP_NO_CHARSET = re.compile(r"^((?:[^:;\r\n]+)(?:;(?![^:]*CHARSET)[^:\r\n]*)?ENCODING=QUOTED-PRINTABLE)", re.I | re.M)


def _parse(text: str) -> Any:
    """One card. Quoted-printable without a CHARSET (old phones, The Bat!) is the sender's 8-bit code page,
    not UTF-8: when vobject's UTF-8 reading fails, it is read as Windows-1252."""
    import vobject

    try:
        return vobject.readOne(text, allowQP=True, ignoreUnreadable=True)
    except UnicodeDecodeError:
        fixed = _QP_NO_CHARSET.sub(lambda m: m.group(1) + ";CHARSET=windows-1252", text)
        return vobject.readOne(fixed, allowQP=True, ignoreUnreadable=True)


def _values(card: Any, name: str) -> list[Any]:
    return [child.value for child in card.contents.get(name, [])]


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v)
    return str(value or "")


def _phone(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("tel:"):  # vCard 4.0: TEL;VALUE=uri:tel:+1-418-656-9254;ext=102
        value = value[4:].split(";", 1)[0]
    return value


def card_cells(card: Any) -> list[str]:
    """One card as the HEADER's cells."""
    first = last = ""
    for name in _values(card, "n")[:1]:
        first, last = _text(name.given), _text(name.family)
    org = _values(card, "org")
    company = _text(org[0][0] if org and isinstance(org[0], list) and org[0] else org[0] if org else "")
    tags: list[str] = []
    for value in _values(card, "categories"):
        tags += [
            str(v).strip() for v in (value if isinstance(value, list) else str(value).split(",")) if str(v).strip()
        ]
    addresses = []
    for adr in _values(card, "adr"):
        parts = [_text(getattr(adr, part, "")) for part in ("box", "extended", "street", "city", "region", "code",
                                                             "country")]  # fmt: skip
        addresses.append(", ".join(p for p in parts if p))
    return [
        first,
        last,
        _text((_values(card, "fn") or [""])[0]),
        company,
        _JOIN.join(str(v).strip() for v in _values(card, "email") if str(v).strip()),
        _JOIN.join(p for p in (_phone(str(v)) for v in _values(card, "tel")) if p),
        _JOIN.join(tags),
        "\n\n".join(str(v).strip() for v in _values(card, "note") if str(v).strip()),
        _text((_values(card, "bday") or [""])[0]),
        _text((_values(card, "title") or [""])[0]),
        "\n".join(a for a in addresses if a),
        _text((_values(card, "url") or [""])[0]),
        _text((_values(card, "nickname") or [""])[0]),
    ]
