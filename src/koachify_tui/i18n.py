"""gettext wrapper: every user-facing string goes through `_()` so an Italian catalogue can follow."""

from __future__ import annotations

import gettext
from pathlib import Path

_translation = gettext.translation("koachify", localedir=Path(__file__).parent / "locale", fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
