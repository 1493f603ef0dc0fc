"""Duplicate-group reasons in the current language, for `koachify duplicates list`, the Duplicates screen and
the import summary. The store keeps reasons as data (store/duplicate_types.py): kinds and values in English."""

from __future__ import annotations

from typing import Any

from .formatting import phone
from .i18n import _


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
