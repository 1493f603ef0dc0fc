"""The one parser for typed dates: the locale's order (Babel), ISO always, two-digit years, relative words."""

from __future__ import annotations

from datetime import date

import pytest

from koachify_tui.store.dates import (
    date_hint,
    date_order,
    format_user_date,
    parse_user_date,
    parse_user_datetime,
)

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("03/04/2026", "it_IT", date(2026, 4, 3)),
        ("3/4/26", "it_IT", date(2026, 4, 3)),
        ("03.04.2026", "de_DE", date(2026, 4, 3)),
        ("03/04/2026", "en_US", date(2026, 3, 4)),
        ("3/4/26", "en_US", date(2026, 3, 4)),
        ("12/25/2026", "en_US", date(2026, 12, 25)),
        ("26/04/03", "ja_JP", date(2026, 4, 3)),
        ("2026. 04. 03.", "hu_HU", date(2026, 4, 3)),
        ("2026-04-03", "en_US", date(2026, 4, 3)),
        ("2026-04-03", "it_IT", date(2026, 4, 3)),
        ("2026/4/3", "en_US", date(2026, 4, 3)),  # a four-digit first part is a year everywhere
    ],
)
def test_locale_order_and_iso(text: str, locale: str, expected: date) -> None:
    assert parse_user_date(text, locale, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oggi", TODAY),
        ("today", TODAY),
        ("Domani", date(2026, 12, 2)),
        ("tomorrow", date(2026, 12, 2)),
        ("ieri", date(2026, 11, 30)),
        ("+3", date(2026, 12, 4)),
        ("+3d", date(2026, 12, 4)),
        ("+3g", date(2026, 12, 4)),
        ("+2w", date(2026, 12, 15)),
        ("-1d", date(2026, 11, 30)),
    ],
)
def test_relative_words(text: str, expected: date) -> None:
    assert parse_user_date(text, "it_IT", today=TODAY) == expected
    assert parse_user_date(text, "en_US", today=TODAY) == expected


def test_bad_dates_name_the_text_and_the_expected_order() -> None:
    with pytest.raises(ValueError, match=r"'31/31/2026'.*dd/mm/yyyy or yyyy-mm-dd"):
        parse_user_date("31/31/2026", "it_IT")
    with pytest.raises(ValueError, match=r"mm/dd/yyyy"):
        parse_user_date("25/12/2026", "en_US")  # there is no month 25
    for bad in ("1/2/3", "3/4/202", "soon", "12345", ""):
        with pytest.raises(ValueError):
            parse_user_date(bad, "it_IT")


def test_hint_and_round_trip_follow_the_locale() -> None:
    assert (date_order("it_IT"), date_order("en_US"), date_order("ja_JP"), date_order(None)) == (
        "dmy",
        "mdy",
        "ymd",
        "dmy",
    )
    assert date_hint("en_US") == "mm/dd/yyyy"
    assert date_hint("it_IT") == "dd/mm/yyyy"
    day = date(2026, 3, 4)
    for locale in ("it_IT", "en_US", "ja_JP", "de_DE", "nonsense"):
        assert parse_user_date(format_user_date(day, locale), locale) == day


def test_datetime_with_time_in_the_locale_order() -> None:
    when = parse_user_datetime("3/4/2026 14:30", "en_US")
    assert (when.month, when.day, when.hour, when.minute) == (3, 4, 14, 30)
    morning = parse_user_datetime("domani", "it_IT", today=TODAY)
    assert (morning.day, morning.hour) == (2, 9)
    with pytest.raises(ValueError, match="invalid time"):
        parse_user_datetime("03/04/2026 25:00", "it_IT")
