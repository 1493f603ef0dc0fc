"""gettext wrapper: every user-facing string goes through `_()` / `ngettext()`.

The language is chosen once per run (`set_language`, called by the CLI and by `make_app`): `language` in the
config file, else LC_ALL / LC_MESSAGES / LANG, else English. Strings evaluated at import time (bindings, column
titles, option help) stay English msgids and are translated where they are shown (the footer, the help screen,
`_()` at the use site, the CLI's help formatter), so switching language in a running process works.

The catalogue is `locale/<lang>/LC_MESSAGES/koachify.po`; the wheel ships the compiled `.mo` (built by setup.py).
A source checkout (`pip install -e .`) has no `.mo`: the `.po` is compiled in memory on first use (Babel is a
runtime dependency anyway), so an edited catalogue shows up without a build step.
"""

from __future__ import annotations

import gettext
import os
from io import BytesIO
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "koachify"
#: Languages with a catalogue, besides English (the msgids).
LANGUAGES = ("en", "it")
LANGUAGE_NAMES = {"en": "English", "it": "Italiano"}

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_cache: dict[str, gettext.NullTranslations] = {}


def _(message: str) -> str:
    """The translation of `message` in the current language (the message itself when there is none).

    Idempotent on text that is not a msgid, so a string already translated can safely pass through again."""
    if not message:
        return message  # gettext("") would return the catalogue header
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Marks a string for the catalogue without translating it (it is translated where it is shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`_()` for a word whose translation depends on where it is used ("created" as a count, as a kind)."""
    return _translation.pgettext(context, message)


def current_language() -> str:
    return _language


def language_from_env() -> str:
    """The language of LC_ALL, else LC_MESSAGES, else LANG (the POSIX order), if we have a catalogue for it."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return normalize_language(value)
    return "en"


def normalize_language(value: str) -> str:
    """`it_IT.UTF-8` → `it`; anything without a catalogue (C, POSIX, de_DE…) → `en`."""
    code = value.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def resolve_language(configured: str | None = None) -> str:
    """The config's `language` when set, else the environment's."""
    return normalize_language(configured) if configured else language_from_env()


def set_language(language: str) -> str:
    """Make `language` the current one (unknown codes fall back to English); returns the code used."""
    global _translation, _language
    code = normalize_language(language)
    _translation = _load(code)
    _language = code
    return code


def translations() -> list[gettext.NullTranslations]:
    """Every shipped catalogue (to recognise a word typed in any of the app's languages)."""
    return [_load(folder.name) for folder in sorted(LOCALE_DIR.iterdir()) if (folder / "LC_MESSAGES").is_dir()]


def _load(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    if code not in _cache:
        _cache[code] = _read_catalogue(code)
    return _cache[code]


def _read_catalogue(code: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if po.exists():
        return gettext.GNUTranslations(BytesIO(compile_po(po)))
    return gettext.NullTranslations()


def compile_po(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` file (what `pybabel compile` writes), fuzzy entries left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()
