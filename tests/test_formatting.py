"""Locale-aware display of money, dates and phones."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from koachify_tui.formatting import date_short, e164_number, money, phone, relative_days, short_money


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


def _stored_numbers() -> list[str]:
    """E.164 strings as the store writes them: every region's example number of every type, and each with
    its last digits changed a few times (a real number's neighbours), canonical through `parse`; and the
    non-geographic calling codes' examples."""
    rnd = random.Random(7)
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
                     PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.UAN):  # fmt: skip
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
            for _ in range(3):
                tail = "".join(rnd.choice("0123456789") for _ in range(min(3, len(e164) - 4)))
                out.append(e164[: len(e164) - len(tail)] + tail)
            out.append(e164)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):  # +800, +882…: no region of their own
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            out.append(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    return [phonenumbers.format_number(phonenumbers.parse(e), PhoneNumberFormat.E164) for e in out]


def test_stored_numbers_are_read_as_parse_reads_them() -> None:
    numbers = _stored_numbers()
    assert len(numbers) > 2000
    assert any(phonenumbers.parse(e).italian_leading_zero for e in numbers)  # Italian landlines: 06…, 02…
    for e164 in numbers:
        assert e164_number(e164) == phonenumbers.parse(e164), e164


def test_anything_else_is_left_to_parse() -> None:
    for value in ["", "+", "393474354022", "+39 347 435 4022", "+39٣٤٧", "+0123", "+39000", "+1234567890123456"]:
        assert e164_number(value) is None, value
    assert phone("+39 347 435 4022") == "+39 347 435 4022"  # parsed the slow way, same display
    assert phone("+390612345678") == "+39 06 1234 5678"
