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
# Bidi embeddings, overrides and isolates (U+202A-E, U+2066-9): they reorder the text after them on screen
# ("Trojan Source"), so they are dropped on entry too; the plain marks (LRM/RLM) that RTL names need stay.
_BIDI_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")


class InvalidValue(ValueError):
    """A user-supplied value that cannot be stored; the message says why."""


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Strip control characters (all of them on one-line fields; all but tab/newline in multi-line ones)."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value
    pattern = _CONTROL if multiline else _CONTROL_ONE_LINE
    cleaned = pattern.sub("" if multiline else " ", value) if pattern.search(value) else value
    if _BIDI_OVERRIDES.search(cleaned):
        cleaned = _BIDI_OVERRIDES.sub("", cleaned)
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


#: The largest amount accepted, in minor units (€ 1,000,000,000,000.00): far above any deal, far below
#: the 64-bit integer the database stores (an amount beyond it would overflow, not be refused).
MAX_MINOR = 10**14
_AMOUNT_CHARS = re.compile(r"^[+-]?\d[\d.,'\u00a0\u202f ]*$")
_PLAIN_AMOUNT = re.compile(r"^[+-]?\d+$")  # 1500: the same in every locale
_CURRENCY_MARKS = re.compile(r"^[^\d+\-]*|[^\d]*$")  # a leading/trailing symbol or code: "€ 1.500", "1500 EUR"


def check_amount(minor: int) -> int:
    """`minor` if it is within ±MAX_MINOR, else InvalidValue."""
    if not -MAX_MINOR <= minor <= MAX_MINOR:
        raise InvalidValue(f"amount out of range (at most {MAX_MINOR // 100:,})")
    return minor


def parse_money(value: str | int | float | Decimal | None, locale: str = "en_GB", currency: str = "EUR") -> int:
    """Parse an amount typed by a user into minor units (cents), strictly under `locale` (Babel/CLDR):
    "1.500,50" or "1500,50" in it_IT, "1,500.50" or "1500.50" in en_GB; "1500" in every locale. Anything else
    ("15O0", "1e3", "0x10", "0.001", "1,234.567" in en) is InvalidValue with the reason."""
    if value is None or value == "":
        return 0
    digits = _currency_digits(currency)
    if isinstance(value, bool):
        raise InvalidValue(f"invalid amount {value!r}")
    if isinstance(value, int):
        return check_amount(value * 10**digits) if abs(value) <= MAX_MINOR else check_amount(MAX_MINOR + 1)
    number = Decimal(str(value)) if isinstance(value, float | Decimal) else _parse_decimal_text(value, locale)
    if not number.is_finite():
        raise InvalidValue(f"invalid amount {value!r}")
    if abs(number) > MAX_MINOR:
        check_amount(MAX_MINOR + 1)
    minor = number.scaleb(digits)
    if minor != minor.to_integral_value():
        raise InvalidValue(f"invalid amount {value!r}: at most {digits} decimals")
    return check_amount(int(minor))


def _parse_decimal_text(value: str, locale: str) -> Decimal:
    from babel.numbers import NumberFormatError, parse_decimal

    text = _CURRENCY_MARKS.sub("", clean_text(value).replace("\u2212", "-"))
    if not text or not _AMOUNT_CHARS.match(text):
        raise InvalidValue(f"invalid amount {value!r}: digits and separators only, e.g. 1500")
    if _PLAIN_AMOUNT.match(text):
        return Decimal(text)
    try:
        return Decimal(parse_decimal(text, locale=_babel_locale(locale), strict=True))
    except NumberFormatError:
        from babel.numbers import format_decimal

        example = format_decimal(Decimal("1500.50"), format="#,##0.00", locale=_babel_locale(locale))
        raise InvalidValue(f"invalid amount {value!r} in locale {locale} (write e.g. {example})") from None
    except InvalidOperation:
        raise InvalidValue(f"invalid amount {value!r}") from None


@lru_cache(maxsize=32)
def _babel_locale(name: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse((name or "en_GB").replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_GB"


@lru_cache(maxsize=64)
def _currency_digits(currency: str) -> int:
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency.upper())) if currency else 2


def normalize_currency(code: str | None) -> str:
    """An ISO 4217 code in capitals ("eur" → "EUR"); InvalidValue for anything else ("XXXX", "")."""
    from babel.numbers import is_currency

    value = clean_text(code).upper()
    if len(value) != 3 or not value.isascii() or not value.isalpha() or not is_currency(value):
        raise InvalidValue(f"unknown currency {code!r} (an ISO 4217 code such as EUR)")
    return value


def has_visible(value: str) -> bool:
    """Whether `value` shows anything: zero-width, format and whitespace characters alone are not a name."""
    return any(not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc", "Zs", "Mn"} for ch in value)


def check_identity(first_name: str, last_name: str, company: str, email: str, phone: str | None) -> None:
    """A contact is someone: a visible name or company, a valid email or a valid phone (already checked)."""
    if not any(has_visible(v or "") for v in (first_name, last_name, company)) and not email and not phone:
        raise InvalidValue("a contact needs a name, a company, an email or a phone")
