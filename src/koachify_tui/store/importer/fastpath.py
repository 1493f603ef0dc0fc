"""Fast paths for email and phone normalisation, falling back to the libraries for anything unusual.

`email_validator` costs ~35 µs an address and `phonenumbers.parse` ~22 µs a number: too slow for 100k-row
imports. The common shapes (plain ASCII addresses; national or +CC numbers of countries without a national
prefix to strip, such as Italy) are handled here with the same result the libraries give — the tests in
tests/test_import_fastpath.py compare both on generated corpora. Anything else goes to the library.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ...i18n import _
from ..normalize import InvalidValue, clean_text, fold, normalize_email, normalize_phone, phone_search_keys

# --- text ------------------------------------------------------------------------------------------------


def clean_line(value: str) -> str:
    """`clean_text(value)` for one-line fields: a printable string has no control character to replace."""
    return value.strip() if value.isprintable() else clean_text(value)


def fold_fast(value: str) -> str:
    """`normalize.fold`: on ASCII, NFKC is the identity and casefold() is lower()."""
    return value.lower().strip() if value.isascii() else fold(value)


def name_key_fast(first: str, last: str, company: str = "") -> str:
    """`normalize.name_key` with the ASCII shortcut of `fold_fast`."""
    return fold_fast(f"{first} {last}".strip() or company)


def haystack_fast(
    name: str,
    company: str,
    email_keys: list[str],
    tags_text: list[str],
    phones_e164: list[str],
) -> str:
    """`search.haystack` (what ContactsAPI._refresh_search stores) from parts already folded: `name` is
    `fold_fast(f"{first} {last}")`, `email_keys` the folded emails, `tags_text` the folded tag names in name
    order; `company` is folded here. Emails and phones come primary first."""
    parts = [name]  # "" when there is no name: an empty part, as there
    if company:
        parts.append(fold_fast(company))
    parts += [key for key in email_keys if key]
    parts += tags_text
    for key in phones_e164:
        if key:
            parts.append(phone_search_keys(key))
    return " | ".join(parts)


# --- email -----------------------------------------------------------------------------------------------

_ATOM = r"[A-Za-z0-9_%+\-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_FAST_EMAIL = re.compile(rf"^({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})$")
# email_validator refuses these top-level names (RFC 6761 special-use domains).
_SPECIAL_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def fast_email(value: str) -> str | None:
    """The library's normalised form of a plain ASCII address, or None when the library must decide."""
    if len(value) > 254:
        return None
    match = _FAST_EMAIL.match(value)
    if match is None:
        return None
    local, domain = match.groups()
    if len(local) > 64 or "--" in domain:  # IDNA rules (xn--, hyphens at 3-4) are the library's business
        return None
    domain = domain.lower()
    if domain[domain.rfind(".") + 1 :] in _SPECIAL_TLDS:
        return None
    return f"{local}@{domain}"


def email(value: str) -> str:
    """Validated, normalised email ("" for empty); raises InvalidValue like `normalize_email`."""
    if not value:
        return ""
    return fast_email(value) or normalize_email(value)


# --- phone -----------------------------------------------------------------------------------------------

_FAST_PHONE = re.compile(r"^\+?\d[\d .\-/]{0,30}\d$")
_SEPARATORS = str.maketrans("", "", " .-/")


@lru_cache(maxsize=256)
def _region_info(region: str) -> tuple[str, str, Any] | None:
    """(country code, international prefix, metadata) for a region whose national numbers need no prefix
    stripping."""
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.national_prefix_for_parsing or not re.fullmatch(r"\d+", meta.international_prefix or ""):
        return None
    return str(meta.country_code), str(meta.international_prefix), meta


def _strips_country_code(digits: str, cc: str, meta: Any) -> bool | None:
    """Whether phonenumbers reads national digits that start with the region's own calling code ("39…" in
    Italy, as in many mobile numbers) as that code followed by a national number: it does when the digits
    are not a national number but the rest is, or when they are too long. The library's own checks decide;
    None when they are not there (a phonenumbers upgrade): the library then parses the whole number."""
    try:
        from phonenumbers.phonenumberutil import ValidationResult, _match_national_number, _test_number_length
    except ImportError:  # pragma: no cover - private helpers of phonenumbers
        return None
    general = meta.general_desc
    rest = digits[len(cc) :]
    return bool(
        (not _match_national_number(digits, general, False) and _match_national_number(rest, general, False))
        or _test_number_length(digits, meta) == ValidationResult.TOO_LONG
    )


@lru_cache(maxsize=1024)
def _cc_ok(cc: str) -> bool:
    """True when numbers of this calling code keep their national digits unchanged after the code."""
    import phonenumbers

    if int(cc) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return False
    region = phonenumbers.region_code_for_country_code(int(cc))
    meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(int(cc), region)
    return meta is not None and not meta.national_prefix_for_parsing


@lru_cache(maxsize=4096)
def _possible(cc: str, length: int) -> bool:
    """The library's is_possible_number, which for a known code depends on the national length only."""
    import phonenumbers

    return bool(
        phonenumbers.is_possible_number(
            phonenumbers.PhoneNumber(country_code=int(cc), national_number=int("1" * length))
        )
    )


def _split_cc(digits: str) -> tuple[str, str] | None:
    import phonenumbers

    if digits.startswith("0"):
        return None
    for size in (1, 2, 3):
        if int(digits[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return digits[:size], digits[size:]
    return None


def fast_phone(value: str, region: str) -> str | None:
    """E.164 for common shapes, "" when the library would call it impossible, None when the library must decide."""
    if not _FAST_PHONE.match(value):
        return None
    digits = value.translate(_SEPARATORS)
    if digits[0] == "+":
        size = _cc_size(digits[1:])
        if not size:
            return None
        cc, national = digits[1 : size + 1], digits[size + 1 :]
    else:
        info = _region_info(region)
        if info is None:
            return None
        cc, idd, meta = info
        if digits.startswith(idd):  # an international prefix: the library's business
            return None
        national = digits
        if digits.startswith(cc):
            strips = _strips_country_code(digits, cc, meta)
            if strips is None:
                return None
            if strips:
                national = digits[len(cc) :]
    if not 2 <= len(national) <= 17:
        return None
    return f"+{cc}{national}" if _possible(cc, len(national)) else ""


def phone(value: str, region: str) -> str | None:
    """E.164 of a phone (None for empty); raises InvalidValue like `normalize_phone`."""
    if not value:
        return None
    result = fast_phone(value, region)
    if result is None:
        return normalize_phone(value, region)
    if not result:
        raise InvalidValue(_("invalid phone {value!r}: not a possible number").format(value=value))
    return result


_NUMBER_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
                 "pager", "uan", "voicemail")  # fmt: skip


@lru_cache(maxsize=512)
def _valid_pattern(cc: int) -> re.Pattern[str] | None:
    """The national numbers libphonenumber calls valid for a calling code: the union of its regions' number
    type patterns. `is_valid_number` costs ~70 µs a number (it looks the region up first); this ~0.5 µs, and it
    agreed with it on 25,000 random possible numbers of 14 countries but 2 (German numbers whose region the
    library picks by leading digits)."""
    import phonenumbers

    alternatives = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ()):
        meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
        for name in _NUMBER_TYPES if meta is not None else ():
            desc = getattr(meta, name, None)
            if desc is not None and desc.national_number_pattern:
                alternatives.append(desc.national_number_pattern)
    return re.compile("(?:" + "|".join(alternatives) + ")") if alternatives else None


def valid(e164: str) -> bool:
    """Whether libphonenumber would call this E.164 number valid (not merely possible): only those are keys."""
    digits = e164[1:] if e164[:1] == "+" else e164
    head = digits[:3]
    found = _VALID_BY_HEAD.get(head)
    if found is None:
        found = _VALID_BY_HEAD[head] = _valid_head(head)
    size, pattern = found
    return pattern is not None and pattern.fullmatch(digits[size:]) is not None


_VALID_BY_HEAD: dict[str, tuple[int, re.Pattern[str] | None]] = {}  # first digits → (code length, pattern)


def _valid_head(head: str) -> tuple[int, re.Pattern[str] | None]:
    for size in (1, 2, 3):
        pattern = _valid_pattern(int(head[:size])) if head[:size].isdigit() else None
        if pattern is not None:
            return size, pattern
    return 0, None


_INTERNATIONAL = re.compile(r"^\s*(?:\+|00|011)\s*(?=[1-9])")


def international(value: str) -> str | None:
    """`value` with its international prefix (`00`, `011`, `+`) as "+", or None when it has none: "0039 02…"
    means Italy whatever the default region (in the US "00" is not the international prefix, in Italy "011"
    is Turin: the caller tries the national reading first)."""
    match = _INTERNATIONAL.match(value)
    if match is None or value.lstrip().startswith("+"):
        return None
    return "+" + value[match.end() :]


_CC_SIZE: dict[str, int] = {}  # first digits of an E.164 number → length of a calling code handled here, or 0


def _cc_size(digits: str) -> int:
    head = digits[:3]  # `_split_cc` reads no further
    size = _CC_SIZE.get(head)
    if size is None:
        split = _split_cc(head)
        size = _CC_SIZE[head] = len(split[0]) if split is not None and _cc_ok(split[0]) else 0
    return size


__all__ = [
    "clean_line",
    "clean_text",
    "email",
    "fast_email",
    "fast_phone",
    "fold_fast",
    "haystack_fast",
    "name_key_fast",
    "international",
    "phone",
    "valid",
]
