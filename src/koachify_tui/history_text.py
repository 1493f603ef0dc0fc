"""History lines in the current language. The store writes them in English (they are searchable data and
stay as written); known shapes are re-worded here, where they are shown (the timeline, `contacts show`,
`opportunities show`). Anything else, including what users typed, is shown as stored."""

from __future__ import annotations

import re

from .i18n import N_, _

STATUSES = (N_("open"), N_("won"), N_("lost"), N_("abandoned"))

_SHAPES = (
    (
        re.compile(r"^Opportunity created in (?P<pipeline>.+) at (?P<stage>.+)$"),
        N_("Opportunity created in {pipeline} at {stage}"),
    ),  # noqa: E501
    (re.compile(r"^Opportunity deleted: (?P<title>.+)$"), N_("Opportunity deleted: {title}")),
    (re.compile(r"^Opportunity restored: (?P<title>.+)$"), N_("Opportunity restored: {title}")),
    (re.compile(r"^Contact deleted$"), N_("Contact deleted")),
    (re.compile(r"^Contact restored$"), N_("Contact restored")),
    (re.compile(r"^Merged with (?P<name>.+) \(#(?P<id>\d+)\)$", re.S), N_("Merged with {name} (#{id})")),
)
_STATUS_CHANGE = re.compile(r"^(?P<old>open|won|lost|abandoned) → (?P<new>open|won|lost|abandoned)(?P<rest>.*)$", re.S)


def history_text(kind: str, text: str) -> str:
    """`text` of a history entry of `kind`, re-worded in the current language when it has a known shape."""
    if kind == "status_change" and (match := _STATUS_CHANGE.match(text)):
        return f"{_(match['old'])} → {_(match['new'])}{match['rest']}"
    for pattern, message in _SHAPES:
        if match := pattern.match(text):
            return _(message).format(**match.groupdict())
    return text


CHANNELS = {
    "email": N_("Email"),
    "sms": N_("SMS"),
    "whatsapp": N_("WhatsApp"),
    "call": N_("Call"),
    "chat": N_("Chat"),
    "other": N_("Other"),
}


def channel_word(channel: str) -> str:
    """A message channel's name in the current language (unknown channels as stored)."""
    return _(CHANNELS[channel]) if channel in CHANNELS else channel


KINDS = {
    "note": N_("note"),
    "task": N_("task"),
    "appointment": N_("appointment"),
    "message": N_("message"),
    "created": N_("created"),
    "stage_change": N_("stage"),
    "status_change": N_("status"),
    "import": N_("import"),
    "automation": N_("automation"),
    "deleted": N_("deleted"),
    "restored": N_("restored"),
    "merged": N_("merged"),
}


def kind_word(kind: str) -> str:
    """A timeline item's kind in the current language (the words of the TUI's timeline)."""
    return _(KINDS[kind]) if kind in KINDS else kind


def status_word(status: str) -> str:
    """open/won/lost/abandoned in the current language (anything else as it is)."""
    return _(status) if status in STATUSES else status


#: A call's common outcomes, stored in English (as `Message.outcome`) and shown in the current language; any
#: other outcome is free text, stored and shown as typed.
OUTCOMES = (N_("answered"), N_("no answer"), N_("voicemail"), N_("call back"))


def outcome_word(outcome: str) -> str:
    """A call's outcome in the current language (free text as typed)."""
    return _(outcome) if outcome in OUTCOMES else outcome


def outcome_key(typed: str) -> str:
    """What to store for a typed outcome: a common one in English, the current language or any shipped one
    ("nessuna risposta" from a CLI running in English) becomes its English key; anything else as typed."""
    from .i18n import translations

    value = typed.strip()
    for key in OUTCOMES:
        if value.casefold() in {
            key.casefold(),
            _(key).casefold(),
            *(t.gettext(key).casefold() for t in translations()),
        }:
            return key
    return value
