"""Normalisation of user input at the store boundary: text, names, emails, phones, money.

Keys (`email_key`, `phone_e164`, `name_key`) are computed here in Python so matching is Unicode-correct on
every database.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ..i18n import _

# C0 and C1 control characters except tab and newline (ESC, NUL, CSI…): never stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidValue(ValueError):
    """A user-supplied value that cannot be stored; the message says why."""


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Strip control characters (all of them on one-line fields; all but tab/newline in multi-line ones)."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    pattern = _CONTROL if multiline else _CONTROL_ONE_LINE
    cleaned = pattern.sub("" if multiline else " ", value) if pattern.search(value) else value
    return cleaned if multiline else cleaned.strip()


def fold(value: str) -> str:
    """Case- and width-insensitive key: NFKC + casefold."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


def name_key(first: str, last: str, company: str = "") -> str:
    return fold(f"{first} {last}".strip() or company)


_SIMPLE_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


@lru_cache(maxsize=4096)
def _validate_email_slow(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidValue(_("invalid email {value!r}: {exc}").format(value=value, exc=exc)) from None


def normalize_email(value: str | None) -> str:
    """Return the trimmed email, or "" for empty; raise InvalidValue when it is not a valid address."""
    value = clean_text(value)
    if not value:
        return ""
    return _validate_email_slow(value)


def email_key(value: str) -> str | None:
    return fold(value) if value else None


@lru_cache(maxsize=4096)
def _parse_phone(value: str, region: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(_("invalid phone {value!r}: {exc}").format(value=value, exc=exc)) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidValue(_("invalid phone {value!r}: not a possible number").format(value=value))
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


_SCIENTIFIC = re.compile(r"^\s*\d+([.,]\d+)?[eE][+-]?\d+\s*$")


def normalize_phone(value: str | None, region: str = "IT") -> str | None:
    """Return the E.164 form of a phone number (None for empty); raise InvalidValue when unparseable.

    Excel's scientific notation (`3,93331E+11`) has lost digits and is rejected."""
    value = clean_text(value)
    if not value:
        return None
    if _SCIENTIFIC.match(value):
        raise InvalidValue(
            _("invalid phone {value!r}: scientific notation (digits lost by a spreadsheet)").format(value=value)
        )
    return _parse_phone(value, region.upper())


def phone_search_keys(e164: str | None) -> str:
    """The digits under which a phone is found: its E.164 digits. Any national form typed without a trunk
    prefix ("333 1234567", "02 1234567" in Italy) is a substring of them, so it needs no key of its own."""
    return e164.lstrip("+") if e164 else ""


def parse_money(value: str | int | float | Decimal | None) -> int:
    """Parse an amount typed by a user ("1.500,00", "1500.5", "€ 2 000") into minor units (cents)."""
    if value is None or value == "":
        return 0
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float | Decimal):
        return int((Decimal(str(value)) * 100).quantize(Decimal(1)))
    text = re.sub(r"[^\d,.\-]", "", value)
    if not text or text in {"-", ".", ","}:
        raise InvalidValue(_("invalid amount {value!r}").format(value=value))
    # The last separator followed by 1-2 digits is the decimal one; other separators group thousands.
    match = re.search(r"[.,](\d{1,2})$", text)
    if match:
        whole = re.sub(r"[.,]", "", text[: match.start()])
        text = f"{whole}.{match.group(1)}"
    else:
        text = re.sub(r"[.,]", "", text)
    try:
        return int((Decimal(text) * 100).quantize(Decimal(1)))
    except InvalidOperation:
        raise InvalidValue(_("invalid amount {value!r}").format(value=value)) from None
