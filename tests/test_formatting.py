"""Locale-aware display of money, dates and phones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from koachify_tui.formatting import date_short, money, phone, relative_days, short_money


def test_money_follows_the_locale() -> None:
    assert money(150000, "EUR", "it_IT") == "1.500,00\xa0€"
    assert money(150000, "EUR", "en_GB") == "€1,500.00"
    assert money(99, "USD", "en_US") == "$0.99"
    assert money(150000, "EUR", "not a locale") == "€1,500.00"  # falls back to en_GB


def test_short_money_drops_cents_only_when_whole() -> None:
    assert short_money(150000, "EUR", "it_IT") == "1.500\xa0€"
    assert short_money(150050, "EUR", "it_IT") == "1.500,50\xa0€"


def test_dates() -> None:
    assert date_short(datetime(2026, 11, 27, 12, tzinfo=UTC), "it_IT") == "27/11/26"
    now = datetime(2026, 11, 27, tzinfo=UTC)
    assert relative_days(now - timedelta(days=12), now) == "12 days"
    assert relative_days(now, now) == "today"


def test_phone_display() -> None:
    assert phone("+393474354022") == "+39 347 435 4022"
    assert phone(None, "333 12") == "333 12"
