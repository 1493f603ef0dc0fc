"""Names as the duplicates finder compares them: folded, accents stripped, words sorted, nicknames and initials
expanded, then a rapidfuzz ratio. Pure functions over plain strings (no database)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

from .normalize import fold

#: Two names at or above this token-sort ratio (0..100, after expansion) are "similar". 92 keeps typos in
#: long names ("Francesca Bianchi"/"Francesca Bianchini") and refuses one letter in a short first name
#: ("Mario Rossi"/"Maria Rossi" is 90.9: a sister or a colleague, not a typo).
SIMILAR = 92.0

#: Common Italian and English short forms → the full first name they stand for (folded, accents stripped).
NICKNAMES = {
    "beppe": "giuseppe", "peppe": "giuseppe", "pino": "giuseppe", "gigi": "luigi", "gino": "luigi",
    "max": "massimiliano", "sandro": "alessandro", "ale": "alessandro", "betta": "elisabetta",
    "fede": "federico", "franci": "francesca", "cesco": "francesco", "checco": "francesco",
    "toto": "salvatore", "turi": "salvatore", "tonio": "antonio",
    "vale": "valentina", "simo": "simone", "gio": "giovanni", "gianni": "giovanni", "nanni": "giovanni",
    "bob": "robert", "rob": "robert", "bill": "william", "will": "william", "liz": "elizabeth",
    "beth": "elizabeth", "mike": "michael", "jim": "james", "jimmy": "james", "tom": "thomas", "dave": "david",
    "dan": "daniel", "danny": "daniel", "kate": "katherine", "katie": "katherine", "sam": "samuel",
    "tony": "anthony", "chris": "christopher", "matt": "matthew", "nick": "nicholas", "alex": "alexander",
    "ben": "benjamin", "joe": "joseph", "steve": "steven", "andy": "andrew", "pat": "patrick",
}  # fmt: skip

_WORD = re.compile(r"[^\W_]+")


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def name_tokens(first: str, last: str) -> tuple[str, ...]:
    """A person's name as sorted words: "Niccolò  D'Amico" → ("amico", "d", "niccolo"); "Beppe" → "giuseppe".
    Empty when the contact has no first or last name (a company alone is no person's name)."""
    words = _WORD.findall(_strip_accents(fold(f"{first} {last}")))
    return tuple(sorted(NICKNAMES.get(w, w) for w in words))


@lru_cache(maxsize=65536)
def block_words(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words a name is blocked under: every word but an initial (so "G. Verdi" meets "Giulia Verdi" under
    "verdi", and a typo in one word still meets under the other)."""
    return tuple(w for w in tokens if len(w) > 1)


def _expand(mine: tuple[str, ...], theirs: tuple[str, ...]) -> list[str]:
    """`mine` with each initial ("g") or short prefix ("fede", 3-4 letters) written as the word of `theirs`
    it abbreviates."""
    out: list[str] = []
    free = [w for w in theirs if w not in mine]
    for word in mine:
        abbreviation = len(word) == 1 or 3 <= len(word) <= 4  # "g", "fede": not "bianchi" for "bianchini"
        found = next((w for w in free if abbreviation and len(w) > len(word) and w.startswith(word)), None)
        if found is not None:
            free.remove(found)
            out.append(found)
        else:
            out.append(word)
    return out


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """0..100: how alike two names (from `name_tokens`) are, initials and prefixes expanded, order ignored.
    A name of one word is only ever like the same word (a first name alone names nobody)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    if len(a) < 2 or len(b) < 2:
        return 0.0
    return float(fuzz.token_sort_ratio(" ".join(_expand(a, b)), " ".join(_expand(b, a))))
