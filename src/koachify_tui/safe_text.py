"""The one output sanitiser: stored text never drives the terminal, whatever wrote the row.

A name holding `ESC ] 52 ; c ; …` sets the clipboard, `ESC [ 2 J` clears the screen, a right-to-left override
reorders what follows it. The store strips control characters on entry (normalize.clean_text), but another client
of a shared database can write anything, so every string is cleaned again on its way out:

- `visible(text)` for the CLI: C0/C1 controls and ESC shown as control pictures (␛, ␇, …), bidi controls dropped;
- `drop_unsafe(text)` for the TUI's line filter: the same characters removed (they are zero-width, so the
  line keeps its cell width);
- `json_safe(text)` for `--json`: the characters JSON would leave raw (C1, bidi) escaped as \\uXXXX.
"""

from __future__ import annotations

import re

# Bidi embeddings/overrides/isolates and marks (U+061C, U+200E/F, U+202A-E, U+2066-9).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
UNSAFE_WITH_LINES = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
_JSON_RAW = re.compile(f"[\\x7f-\\x9f{_BIDI}]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return "\ufffd"  # C1 (CSI, OSC…): no picture of its own
    return ""  # bidi controls: dropped


def visible(text: str, *, keep_lines: bool = True) -> str:
    """`text` with every control character shown as a picture and bidi controls dropped (tab and newline
    kept unless `keep_lines` is false)."""
    pattern = UNSAFE if keep_lines else UNSAFE_WITH_LINES
    return pattern.sub(_picture, text) if pattern.search(text) else text


def drop_unsafe(text: str) -> str:
    """`text` without control characters (tab and newline kept) or bidi controls."""
    return UNSAFE.sub("", text) if UNSAFE.search(text) else text


def json_safe(document: str) -> str:
    """A JSON document with C1 and bidi controls escaped (json.dumps escapes C0 itself)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
