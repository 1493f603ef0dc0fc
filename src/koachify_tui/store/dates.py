"""Dates as users type them: the locale's order (Babel's short date pattern: d/m/y in Italy and most of Europe,
m/d/y in the US, y/m/d in Japan or Sweden), ISO `yyyy-mm-dd` always, two-digit years, and a few relative words
in English or Italian (`today`/`oggi`, `tomorrow`/`domani`, `yesterday`/`ieri`, `+3`, `+3d`, `+2w`, `-1d`).

`parse_user_date(text, locale)` / `parse_user_datetime(text, locale)` are the one parser every date input uses
(TUI forms, CLI options, custom fields); `date_hint(locale)` is the placeholder that shows the expected order.
Both raise `InvalidValue` (a `ValueError`) whose message names the text and the order expected."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from ..i18n import _
from .normalize import InvalidValue

#: Dates a user may type: wide enough for any birthday or plan, narrow enough that converting to and from
#: UTC in any time zone (±14 h) never leaves datetime's range (31/12/9999 23:59 in New York overflows).
MIN_YEAR, MAX_YEAR = 1900, 2999
_PARTS = re.compile(r"^(\d{1,4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,4})\.?$")
_RELATIVE = re.compile(r"^([+-])\s*(\d{1,4})\s*([dgw]|s|sett)?$")
_WORDS = {"today": 0, "oggi": 0, "tomorrow": 1, "domani": 1, "yesterday": -1, "ieri": -1, "dopodomani": 2}

DateOrder = Literal["dmy", "mdy", "ymd"]


@lru_cache(maxsize=32)
def date_order(locale: str | None) -> DateOrder:
    """The order of day, month and year in the locale's short date pattern (CLDR via Babel); d/m/y by default."""
    if not locale or not isinstance(locale, str):  # a bad config value (locale = 7) means the default
        return "dmy"
    from babel import Locale, UnknownLocaleError

    try:
        pattern = str(Locale.parse(locale).date_formats["short"].pattern).lower()
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        return "dmy"
    spots = {letter: pattern.find(letter) for letter in "dmy"}
    if -1 in spots.values():
        return "dmy"
    order = "".join(sorted(spots, key=spots.__getitem__))
    return order if order in ("dmy", "mdy", "ymd") else "dmy"  # type: ignore[return-value]


def month_first(locale: str | None) -> bool:
    """Whether the locale writes the month before the day in short dates (CLDR: en_US "M/d/yy")."""
    return date_order(locale) == "mdy"


def date_hint(locale: str | None) -> str:
    """The expected order as a placeholder, in the user's words: `dd/mm/yyyy`, `mm/dd/yyyy` or `yyyy/mm/dd`."""
    return {"dmy": _("dd/mm/yyyy"), "mdy": _("mm/dd/yyyy"), "ymd": _("yyyy/mm/dd")}[date_order(locale)]


def format_user_date(day: date, locale: str | None = None) -> str:
    """A date written the way `parse_user_date` reads it back for this locale (four-digit year)."""
    return {"dmy": "{d:%d/%m/%Y}", "mdy": "{d:%m/%d/%Y}", "ymd": "{d:%Y/%m/%d}"}[date_order(locale)].format(d=day)


def parse_user_date(text: str, locale: str | None = None, *, today: date | None = None) -> date:
    """Parse a date typed by the user in the locale's order, ISO, or a relative word; years MIN_YEAR…MAX_YEAR.

    Raises `InvalidValue` (a ValueError) with a message naming the text and the expected order."""
    day = _parse_date(text, today=today, locale=locale)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidValue(
            _("invalid date {text!r}: the year must be between {low} and {high}").format(
                text=text, low=MIN_YEAR, high=MAX_YEAR
            )
        )
    return day


def parse_date(text: str, *, today: date | None = None, locale: str | None = None) -> date:
    """`parse_user_date` with the locale as a keyword (the older spelling, kept for its callers)."""
    return parse_user_date(text, locale, today=today)


def _relative(value: str, today: date) -> date | None:
    if value in _WORDS:
        return today + timedelta(days=_WORDS[value])
    match = _RELATIVE.match(value)
    if not match:
        return None
    sign, count, unit = match.groups()
    days = int(count) * (7 if unit in {"w", "s", "sett"} else 1)
    return today + timedelta(days=days if sign == "+" else -days)


def _parse_date(text: str, *, today: date | None = None, locale: str | None = None) -> date:
    value = text.strip().lower()
    relative = _relative(value, today or date.today())
    if relative is not None:
        return relative
    try:
        match = _PARTS.match(value)
        if match:
            return _from_parts(match.groups(), date_order(locale))
        return date.fromisoformat(value)
    except (ValueError, OverflowError):
        raise InvalidValue(
            _("invalid date {text!r}: use {order} or yyyy-mm-dd").format(text=text, order=date_hint(locale))
        ) from None


def _from_parts(groups: tuple[str | None, ...], order: DateOrder) -> date:
    first, second, third = (str(g) for g in groups)
    # a four-digit first part is a year in every locale (yyyy-mm-dd, yyyy/mm/dd)
    if len(first) == 4 or order == "ymd":
        year, month, day = first, second, third
    elif order == "mdy":
        month, day, year = first, second, third
    else:
        day, month, year = first, second, third
    if len(year) not in (2, 4) or len(day) > 2:
        raise ValueError(year)
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    return date(full_year, int(month), int(day))


def parse_user_datetime(text: str, locale: str | None = None, *, today: date | None = None) -> datetime:
    """A date optionally followed by a time (`dd/mm/yyyy 14:30`, ISO `2026-11-27T14:30`, `tomorrow 9:15`),
    as an aware local time; a bare date means 09:00."""
    value = text.strip()
    match = re.match(r"^(.*?)[ T](\d{1,2})[:.](\d{2})$", value)
    if match:
        day = parse_user_date(match.group(1), locale, today=today)
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise InvalidValue(_("invalid time in {text!r}").format(text=text))
        return datetime(day.year, day.month, day.day, hour, minute).astimezone()
    day = parse_user_date(value, locale, today=today)
    return datetime(day.year, day.month, day.day, 9, 0).astimezone()


def parse_datetime(text: str, *, today: date | None = None, locale: str | None = None) -> datetime:
    """`parse_user_datetime` with the locale as a keyword (the older spelling, kept for its callers)."""
    return parse_user_datetime(text, locale, today=today)
