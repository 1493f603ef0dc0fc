"""Dates as users type them: the locale's order (dd/mm/yyyy in Italy and most of Europe, mm/dd/yyyy in the
US), ISO, and a few relative words in English or Italian."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ..i18n import _
from .normalize import InvalidValue

#: Dates a user may type: wide enough for any birthday or plan, narrow enough that converting to and from
#: UTC in any time zone (±14 h) never leaves datetime's range (31/12/9999 23:59 in New York overflows).
MIN_YEAR, MAX_YEAR = 1900, 2999
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")


def month_first(locale: str | None) -> bool:
    """Whether the locale writes the month before the day in short dates (CLDR: en_US "M/d/yy")."""
    if not locale:
        return False
    from babel import Locale, UnknownLocaleError

    try:
        pattern = str(Locale.parse(locale).date_formats["short"].pattern)
    except (UnknownLocaleError, ValueError):
        return False
    return pattern.lower().find("m") < pattern.lower().find("d")


def parse_date(text: str, *, today: date | None = None, locale: str | None = None) -> date:
    """Parse `dd/mm/yyyy` (`mm/dd/yyyy` where the locale puts the month first), `dd-mm-yy`, ISO `yyyy-mm-dd`,
    `today`/`oggi`, `tomorrow`/`domani`, `+N` (days from today); years MIN_YEAR…MAX_YEAR."""
    day = _parse_date(text, today=today, locale=locale)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidValue(
            _("invalid date {text!r}: the year must be between {low} and {high}").format(
                text=text, low=MIN_YEAR, high=MAX_YEAR
            )
        )
    return day


def _parse_date(text: str, *, today: date | None = None, locale: str | None = None) -> date:
    value = text.strip().lower()
    today = today or date.today()
    if value in {"today", "oggi"}:
        return today
    if value in {"tomorrow", "domani"}:
        return today + timedelta(days=1)
    if re.fullmatch(r"\+\d{1,4}d?", value):
        return today + timedelta(days=int(value.strip("+d")))
    match = _DMY.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if month_first(locale):
                day, month = month, day
            if year < 100:
                year += 2000
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        order = _("mm/dd/yyyy") if month_first(locale) else _("dd/mm/yyyy")
        raise InvalidValue(
            _("invalid date {text!r}: use {order} or yyyy-mm-dd").format(text=text, order=order)
        ) from None


def parse_datetime(text: str, *, today: date | None = None, locale: str | None = None) -> datetime:
    """A date optionally followed by a time (`dd/mm/yyyy 14:30`, ISO `2026-11-27T14:30`); local time."""
    value = text.strip()
    match = re.match(r"^(.*?)[ T](\d{1,2})[:.](\d{2})$", value)
    if match:
        day = parse_date(match.group(1), today=today, locale=locale)
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise InvalidValue(_("invalid time in {text!r}").format(text=text))
        return datetime(day.year, day.month, day.day, hour, minute).astimezone()
    day = parse_date(value, today=today, locale=locale)
    return datetime(day.year, day.month, day.day, 9, 0).astimezone()
