"""Duplicate-group reasons in the current language, for `koachify duplicates list`, the Duplicates screen and
the import summary. The store keeps reasons as data (store/duplicate_types.py): kinds and values in English."""

from __future__ import annotations

from typing import Any

from .formatting import phone
from .i18n import _, ngettext


def support_text(support: str) -> str:
    """ "company: Acme" → "same company Acme" (the other signal that backs a similar name)."""
    kind, _sep, value = support.partition(": ")
    words = {
        "company": _("same company {value}"),
        "domain": _("same email domain {value}"),
        "city": _("same city {value}"),
        "tag": _("shared tag {value}"),
    }
    return words.get(kind, "{value}").format(value=value)


def reason_text(reason: Any) -> str:
    """One reason of a DuplicateGroup as a short line: "same email mario@x.it", "similar name Mario Rossi
    (same company Acme)"."""
    if reason.kind == "email":
        return _("same email {value}").format(value=reason.value)
    if reason.kind == "phone":
        return _("same phone {value}").format(value=phone(reason.value, reason.value))
    return _("similar name {name} ({support})").format(name=reason.value, support=support_text(reason.support))


def moved_phrase(kind: str, n: int) -> str | None:
    """One count of what a merge moved (a MergeResult.moved kind): "2 deals"; None for an unknown kind."""
    words = {
        "opportunity": lambda: ngettext("{n} deal", "{n} deals", n),
        "note": lambda: ngettext("{n} note", "{n} notes", n),
        "task": lambda: ngettext("{n} task", "{n} tasks", n),
        "appointment": lambda: ngettext("{n} appointment", "{n} appointments", n),
        "message": lambda: ngettext("{n} message", "{n} messages", n),
        "enrollment": lambda: ngettext("{n} sequence enrolment", "{n} sequence enrolments", n),
        "import_item": lambda: ngettext("{n} import link", "{n} import links", n),
        "tag": lambda: ngettext("{n} tag", "{n} tags", n),
        "custom": lambda: ngettext("{n} custom value", "{n} custom values", n),
        "email": lambda: ngettext("{n} extra email", "{n} extra emails", n),
        "phone": lambda: ngettext("{n} extra phone", "{n} extra phones", n),
    }
    word = words.get(kind)
    return word().format(n=n) if word else None
