"""The email/phone fast paths give exactly what email-validator and phonenumbers give."""

from __future__ import annotations

import random

import pytest

from koachify_tui.store.importer import fastpath
from koachify_tui.store.normalize import InvalidValue, normalize_email, normalize_phone, phone_search_keys


def _library_email(value: str) -> str | None:
    try:
        return normalize_email(value)
    except InvalidValue:
        return None


def _library_phone(value: str, region: str) -> str | None:
    try:
        return normalize_phone(value, region)
    except InvalidValue:
        return None


def _email_corpus(n: int) -> list[str]:
    rnd = random.Random(7)
    local_chars = "abcXYZ019._%+-'!#"
    domain_chars = "abcXYZ09-."
    tlds = ["com", "it", "IT", "co", "c", "c1", "test", "local", "onion", "example", "xn--p1ai", "museum", "123"]
    out = ["Mario.Rossi@Example.COM", "a..b@x.com", ".a@b.com", "a.@b.com", "a@b-.com", "a@-b.com", "x@localhost"]
    for _ in range(n):
        local = "".join(rnd.choice(local_chars) for _ in range(rnd.randint(1, 12)))
        domain = "".join(rnd.choice(domain_chars) for _ in range(rnd.randint(1, 10)))
        out.append(f"{local}@{domain}.{rnd.choice(tlds)}")
    out.append("a" * 65 + "@example.com")
    out.append("a@" + "b" * 64 + ".com")
    return out


def test_fast_email_agrees_with_email_validator() -> None:
    hits = 0
    for value in _email_corpus(3000):
        fast = fastpath.fast_email(value)
        if fast is not None:
            hits += 1
            assert fast == _library_email(value), value
    assert hits > 150  # the corpus does exercise the fast path


def _phone_corpus(n: int) -> list[str]:
    rnd = random.Random(11)
    seps = ["", " ", "-", ".", "/", "  "]
    prefixes = ["", "", "+39 ", "+39", "0039 ", "39", "+44 ", "+1 ", "+34 ", "+41 ", "+351 ", "+378 ", "+", "0"]
    prefixes += ["393", "39 3", "34", "34 6", "378", "379", "1", "44"]  # national digits starting with a calling code
    out = []
    for _ in range(n):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 14)))
        if rnd.random() < 0.5:
            digits = rnd.choice(["3", "0", "34", "06", "02", "8"]) + digits
        sep = rnd.choice(seps)
        grouped = sep.join(digits[i : i + rnd.randint(2, 4)] for i in range(0, len(digits), 3))
        out.append(rnd.choice(prefixes) + grouped)
    return out


@pytest.mark.parametrize("region", ["IT", "ES", "GB", "US", "SM", "VA"])
def test_fast_phone_agrees_with_phonenumbers(region: str) -> None:
    hits = 0
    for value in _phone_corpus(2500):
        fast = fastpath.fast_phone(value, region)
        if fast is None:
            continue
        hits += 1
        assert (fast or None) == _library_phone(value, region), (value, region)
    if region in {"IT", "ES"}:
        assert hits > 500


@pytest.mark.parametrize(
    "value",
    [
        "333 1234567",
        "+39 333 123 4567",
        "+393331234567",
        "06 1234 5678",
        "02/1234567",
        "347-765-4321",
        "3401234567",
        "393 8930103",  # Italian mobiles 39x start with Italy's calling code
        "395 807 8673",
        "39 333 1234567",
        "393331234567",
    ],
)
def test_common_italian_shapes_take_the_fast_path(value: str) -> None:
    assert fastpath.fast_phone(value, "IT") == normalize_phone(value, "IT")


def test_common_email_shapes_take_the_fast_path() -> None:
    for value in ["mario.rossi@example.com", "Anna+crm@Gmail.com", "x_y-z@studio-coach.co.uk"]:
        assert fastpath.fast_email(value) == normalize_email(value)


def test_invalid_values_raise_like_the_library() -> None:
    with pytest.raises(InvalidValue):
        fastpath.phone("12", "IT")
    with pytest.raises(InvalidValue):
        fastpath.email("bad@")
    assert fastpath.phone("", "IT") is None
    assert fastpath.email("") == ""


def test_a_phone_is_found_by_its_national_number() -> None:
    """The search key of a phone is its E.164 digits alone: the national significant number, as typed in the
    country without a trunk prefix, is always a substring of them."""
    import phonenumbers

    for value in _phone_corpus(1500):
        e164 = _library_phone(value, "IT")
        if e164:
            national = str(phonenumbers.parse(e164).national_number)
            assert national in phone_search_keys(e164), e164
