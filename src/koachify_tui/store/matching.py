"""Identity rules: when two records are the same person, and which values are no identity at all.

One rule set, used by the importer (`importer.writer`) and meant for a duplicates finder. Pure functions over
plain values (no database, no SQLAlchemy): callers pass what they know about each contact.

The rules (matching v2):
1. An email match wins. A row whose emails match contact A merges into A (the first one when they match
   several: a warning names the others); a phone that points elsewhere (contact B) is kept on A too and
   reported, nothing is glued to B and nothing is rejected.
2. A phone match merges only when it does not contradict the emails: when the row and the contact both have
   emails and none is shared, they are different people (a switchboard, a family landline) unless their names
   are the same (one person with a work and a private address). Different people keep the number each and
   the pair is reported as a "shared number". A phone matching several compatible contacts is ambiguous: the
   row becomes a contact of its own, reported the same way.
3. Placeholders are no identity: `none`, `null`, `n/a`, `-`… read as empty; `noemail@…`, `test@test…` and
   all-same-digit or counting phones are never keys (see `placeholder_text`, `placeholder_email`,
   `placeholder_phone`).
4. A value the file gives to rows with SHARED_NAMES or more different names (an office address, a company
   switchboard, a placeholder nobody listed) is no key: see `SharedValues`.
5. Only a phone libphonenumber calls valid is a key (the importer keeps the others as typed, unverified).
6. Names alone never merge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

#: Distinct names that make a value "shared". Two is normal life (a couple's landline or mailbox, a person
#: whose name is written two ways: "Bob"/"Robert", "Rossi Mario"/"Mario Rossi"); three different people on
#: one address or number is an office, a family switchboard or a placeholder: no identity.
SHARED_NAMES = 3

_TEXT_PLACEHOLDERS = frozenset(
    {"none", "null", "nil", "nan", "n/a", "n.a.", "n.a", "na", "-", "--", "---", "—", "0", ".", "?", "??",
     "undefined", "unknown", "nessuno", "nessuna", "non disponibile", "nd", "n.d.", "n/d", "tbd", "#n/a"}
)  # fmt: skip
_EMAIL_LOCAL_PLACEHOLDERS = frozenset(
    {"none", "null", "noemail", "no-email", "no_email", "no.email", "nomail", "no-mail", "no.mail", "no_mail",
     "no", "nobody", "noone", "na", "n.a", "nessuna", "nessuno", "nomail1", "email", "mail", "unknown",
     "noreply", "no-reply", "donotreply", "do-not-reply"}
)  # fmt: skip
_EMAIL_DOMAIN_PLACEHOLDERS = ("test.", "email.", "mail.", "noemail.", "nomail.", "none.", "example.")
_COUNTING_UP = "01234567890123456789"
_COUNTING_DOWN = "98765432109876543210"


# The usual spellings, for a single set lookup on the hot path (a cell per column per row of a 1M-row file).
TEXT_PLACEHOLDERS = _TEXT_VARIANTS = frozenset(
    v for p in _TEXT_PLACEHOLDERS for v in (p, p.upper(), p.title(), p.capitalize())
)


def placeholder_text(value: str) -> bool:
    """A cell that stands for "no value" ("none", "N/A", "-", "0"…): read as empty, whatever the column."""
    if value in _TEXT_VARIANTS:
        return True
    return len(value) <= 15 and value != value.strip() and value.strip().casefold() in _TEXT_PLACEHOLDERS


def placeholder_email(key: str) -> bool:
    """A folded email that no one reads: `none@gmail.com`, `noemail@…`, `no@…`, `test@test.it`."""
    local, _sep, domain = key.partition("@")
    if local in {"test", "email", "mail", "xxx", "fake", "dummy"}:
        return domain.startswith(_EMAIL_DOMAIN_PLACEHOLDERS) or domain.startswith(local + ".")
    return local in _EMAIL_LOCAL_PLACEHOLDERS


def placeholder_phone(e164: str) -> bool:
    """An E.164 number typed to fill a form: its last seven digits one digit repeated (`+39 3333333333`) or its
    last nine counting (`+39 123456789`)."""
    same, tail = e164[-7:], e164[-9:].lstrip("+")
    return same.count(same[:1]) == len(same) or tail in _COUNTING_UP or tail in _COUNTING_DOWN


_WORD = re.compile(r"[^\W_]+")


def comparable_name(folded: str) -> str:
    """A folded name as rules compare it: its words (letters and digits) in order of the alphabet, so
    "Rossi Mario" is "Mario Rossi" and "♤Ibrah" (a phone's group marker) is "Ibrah"."""
    return " ".join(sorted(_WORD.findall(folded)))


T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Known:
    """What the rules need to know about a contact: its email keys and its folded name ("" if none)."""

    email_keys: frozenset[str]
    name: str


@dataclass(slots=True)
class Decision(Generic[T]):
    """Where a row goes. `target` None: a contact of its own. `key`/`kind`: what matched (for the dry run).
    `shared_with`: contacts it shares a phone with but is not merged into; `also`: other contacts its keys
    point at (email → A, phone → B), reported but left alone."""

    target: T | None
    kind: str = ""  # "email" | "phone" | ""
    key: str = ""
    shared_with: list[T] = field(default_factory=list)
    also: list[T] = field(default_factory=list)


def same_person_by_phone(row: Known, contact: Known) -> bool:
    """Rule 2: a phone match merges unless both have emails, none shared, and their names differ."""
    if not row.email_keys or not contact.email_keys or row.email_keys & contact.email_keys:
        return True
    return bool(row.name) and row.name == contact.name


def decide(
    row: Known,
    via_email: Sequence[tuple[str, T]],
    via_phone: Sequence[tuple[str, T]],
    known: Callable[[T], Known],
) -> Decision[T]:
    """Rules 1 and 2 for one row: `via_email`/`via_phone` are (key, contact) pairs its keys matched, in the
    row's order; `known(contact)` tells what the contact holds."""
    if via_email:
        key, target = via_email[0]
        others = [c for _k, c in via_email if c != target] + [c for _k, c in via_phone if c != target]
        return Decision(target, "email", key, also=list(dict.fromkeys(others)))
    compatible: list[tuple[str, T]] = []
    apart: list[T] = []
    for key, contact in via_phone:
        if contact in apart or any(c == contact for _k, c in compatible):
            continue
        (compatible.append((key, contact)) if same_person_by_phone(row, known(contact)) else apart.append(contact))
    if len(compatible) == 1:
        key, target = compatible[0]
        return Decision(target, "phone", key, shared_with=apart)
    return Decision(None, shared_with=apart + [c for _k, c in compatible])


class SharedValues:
    """Rule 4, without holding the file: names are counted only for the keys whose rows disagree on the name,
    the few a merge would glue people by. `observe(key, a, b)` is called when a row named `b` would merge by
    `key` into a contact named `a`; True once the key is shared (then it is no key any more)."""

    def __init__(self, threshold: int = SHARED_NAMES) -> None:
        self.threshold = threshold
        self.names: dict[str, set[str]] = {}
        self.rows: dict[str, int] = {}  # rows seen carrying a key under observation (at least)
        self.shared: set[str] = set()

    def observe(self, key: str, contact_name: str, row_name: str) -> bool:
        if key in self.shared:
            self.rows[key] += 1
            return True
        names = self.names.get(key)
        if names is None:
            names = self.names[key] = {contact_name}
            self.rows[key] = 1
        names.add(row_name)
        self.rows[key] += 1
        if len(names) >= self.threshold:
            self.shared.add(key)
            del self.names[key]
            return True
        return False

    def seen(self, key: str) -> None:
        """Another row carried a shared key (counted for the summary)."""
        if key in self.rows:
            self.rows[key] += 1

    def findings(self) -> dict[str, int]:
        return {key: self.rows[key] for key in sorted(self.shared)}
