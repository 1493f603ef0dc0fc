"""Money and dates in the user's locale (CLDR via Babel): € 1.500,00 in it_IT, €1,500.00 in en_GB."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from .i18n import _, ngettext

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber


@lru_cache(maxsize=32)
def _locale(name: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(name.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en_GB"


def money(minor: int, currency: str = "EUR", locale: str = "it_IT") -> str:
    """Format an amount in minor units: money(150000, "EUR", "it_IT") == "1.500,00 €"."""
    from babel.numbers import format_currency

    return str(format_currency(minor / 100, currency, locale=_locale(locale)))


def short_money(minor: int, currency: str = "EUR", locale: str = "it_IT") -> str:
    """Compact amount for tight places (column totals): "1.500 €" without cents when whole."""
    from babel.numbers import format_currency

    amount = minor / 100
    fmt = None if minor % 100 else "¤#,##0" if _locale(locale).startswith("en") else "#,##0\xa0¤"
    return str(format_currency(amount, currency, format=fmt, locale=_locale(locale), currency_digits=fmt is None))


def local(dt: datetime) -> datetime:
    """`dt` in the local time zone (a stored date at the very edge of datetime's range stays as it is rather
    than overflowing: another client may have written 9999-12-31)."""
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    try:
        return aware.astimezone()
    except (OverflowError, ValueError):
        return aware


def date_short(value: datetime | date | None, locale: str = "it_IT") -> str:
    if value is None:
        return ""
    return _day_short(local(value).date() if isinstance(value, datetime) else value, locale)


@lru_cache(maxsize=2048)  # by day, not by instant: a list page's 100 dates share a few days (babel: ~30 µs each)
def _day_short(day: date, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(day, format="short", locale=_locale(locale)))


def datetime_short(value: datetime | None, locale: str = "it_IT") -> str:
    if value is None:
        return ""
    from babel.dates import format_datetime

    return str(format_datetime(local(value), format="short", locale=_locale(locale)))


def relative_days(value: datetime | None, now: datetime | None = None) -> str:
    """ "today", "1 day", "12 days": how long ago."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    days = (now - value).days
    if days <= 0:
        return _("today")
    return ngettext("{n} day", "{n} days", days).format(n=days)


@lru_cache(maxsize=4096)  # a list page formats each of its 100 phones twice (widths, then cells)
def phone(e164: str | None, typed: str = "") -> str:
    """A phone for display: "+39 347 435 4022" (international format), or the typed form when unparseable."""
    if not e164:
        return typed
    import phonenumbers

    try:
        number = e164_number(e164) or phonenumbers.parse(e164)
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    except phonenumbers.NumberParseException:
        return typed or e164


def e164_number(e164: str) -> PhoneNumber | None:
    """The number of a stored E.164 string, read without `phonenumbers.parse` (≈ 33 µs of its 51 for a list
    cell: its regexes look for punctuation, extensions and national prefixes that the E.164 the store writes
    never has). Calling codes are prefix-free, so the first 1–3 digits that are one are the country's; the rest
    is the national number, its leading zeros kept as `parse` keeps them. None for anything else: the caller
    parses it. tests/test_formatting.py checks it against `parse` on every region's example numbers."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneNumber

    digits = e164[1:]
    if not (e164.startswith("+") and digits[:1] != "0" and digits.isascii() and digits.isdigit() and len(digits) <= 15):
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            break
    else:
        return None
    significant = national.lstrip("0")
    if not significant:
        return None
    number = PhoneNumber(country_code=code, national_number=int(significant))
    zeros = len(national) - len(significant)
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return number


def duration_short(seconds: int | None) -> str:
    """A call's length: "45 s", "5 min", "1 h 30 min" (units read the same in English and Italian)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if not hours and not minutes:
        return f"{secs} s"
    parts = [f"{hours} h"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} min")
    return " ".join(parts)
