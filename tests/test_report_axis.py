"""The charts' value axis: round ticks, labelled in the locale (plotext alone prints Python floats)."""

from __future__ import annotations

from koachify_tui.report_view import axis_ticks


def test_money_ticks_are_round_and_in_the_locale() -> None:
    ticks, labels = axis_ticks(8797.5, "it_IT", money_in="EUR")
    assert ticks == [0.0, 2500.0, 5000.0, 7500.0, 10000.0]
    assert labels == ["0\xa0€", "2,5K\xa0€", "5K\xa0€", "7,5K\xa0€", "10K\xa0€"]
    assert axis_ticks(8797.5, "en_GB", money_in="EUR")[1][1] == "€2.5k"


def test_count_ticks_are_whole_numbers() -> None:
    assert axis_ticks(3, "it_IT", whole=True) == ([0.0, 1.0, 2.0, 3.0], ["0", "1", "2", "3"])
    assert axis_ticks(2, "it_IT", whole=True)[0] == [0.0, 1.0, 2.0]


def test_fractions_have_no_float_noise_and_nothing_gives_one_tick() -> None:
    ticks, labels = axis_ticks(0.7, "it_IT")
    assert labels == ["0", "0,2", "0,4", "0,6", "0,8"]
    assert axis_ticks(0, "it_IT") == ([0.0], ["0"])


def test_the_top_tick_covers_the_largest_value() -> None:
    for top in (1, 7, 19, 99, 101, 1234, 987654):
        ticks, _ = axis_ticks(top, "it_IT", whole=True)
        assert ticks[-1] >= top and ticks[-2] < top
