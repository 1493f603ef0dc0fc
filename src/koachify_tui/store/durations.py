"""Call lengths as a coach types them: `5` (minutes), `5m`, `90s`, `1h`, `1h30`, `1h 30m`, `0:45`, `1:02:30`.

No well-kept library reads this mix (a bare number meaning minutes, `h:mm`), so it is a small regex here."""

from __future__ import annotations

import re

from ..i18n import _
from .normalize import InvalidValue

_TOKEN = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z'\"]*)\s*")
_UNIT_SECONDS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "ora", "ore"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuto", "minuti", "'"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "secondo", "secondi", '"'), 1),
}
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
MAX_SECONDS = 24 * 3600  # a logged call longer than a day is a typo


def parse_duration(text: str) -> int | None:
    """Seconds for a typed length; None for an empty text. A bare number is minutes; `h:mm` and `h:mm:ss`
    read as a clock. Raises InvalidValue (one line) for anything else."""
    value = text.strip().lower()
    if not value:
        return None
    seconds = _clock(value) if ":" in value else _units(value)
    if seconds is None or seconds > MAX_SECONDS:
        raise InvalidValue(_("invalid duration {text!r}: use minutes (5), 5m, 1h30 or 0:45").format(text=text))
    return seconds


def _clock(value: str) -> int | None:
    match = _CLOCK.match(value)
    if not match:
        return None
    hours, minutes, secs = int(match[1]), int(match[2]), int(match[3] or 0)
    return hours * 3600 + minutes * 60 + secs


def _units(value: str) -> int | None:
    """Numbers with units; a number without one is minutes, or the next smaller unit after one (`1h30`)."""
    total, pos, last = 0.0, 0, 0
    while pos < len(value):
        match = _TOKEN.match(value, pos)
        if not match:
            return None
        number, unit = float(match[1].replace(",", ".")), match[2]
        size = _UNIT_SECONDS.get(unit) if unit else {0: 60, 3600: 60, 60: 1}.get(last)
        if size is None or (last and size >= last):
            return None
        total, pos, last = total + number * size, match.end(), size
    return round(total)
