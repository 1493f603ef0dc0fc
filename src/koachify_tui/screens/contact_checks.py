"""The new-contact form's duplicate checks: a "similar names" hint as the name is typed, and a warning on save
when the email or phone already belongs to a contact (`ctrl+o` opens it, a second `ctrl+s` saves anyway).

The rules are the store's (`Store.check_new_contact`, `Store.similar_names`); the hint's look-up runs in a
thread worker after a pause in typing, so a keystroke never waits for the database."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, cast

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Input, Static

from ..i18n import _
from .writes import DATABASE_ERRORS

#: Seconds of no typing in the name fields before the hint looks for similar names.
HINT_DEBOUNCE = 0.3
CHECKS_CSS = """
FormScreen #similar-hint { color: $text-warning; height: auto; display: none; }
FormScreen #dup-warning { color: $text-warning; background: $warning-muted; height: auto; display: none; }
"""


def contacts_text(ids: tuple[int, ...] | list[int], names: dict[int, str], most: int = 3) -> str:
    """ "#12 Mario Rossi, #40 M. Rossi, …" (the first `most`)."""
    shown = ", ".join(f"#{cid} {names.get(cid, '')}".strip() for cid in ids[:most])
    return shown + (", …" if len(ids) > most else "")


class NewContactChecks:
    """Mixin for the contact form (before the Screen class; it has `store`, `query_one`, `set_timer`)."""

    #: Contacts the warning names; `ctrl+o` opens the first. Empty: no warning shown.
    existing: tuple[int, ...] = ()
    _warned_for: tuple[str, str] | None = None  # (email, phone) the user was warned about: ctrl+s again saves
    _hint_timer: Timer | None = None

    @property
    def _screen(self) -> Any:
        return cast(Any, self)

    # --- the warning on save --------------------------------------------------------------------------

    def duplicate_warning(self, email: str, phone: str) -> bool:
        """On save of a new contact: True (and the warning shown) when its email or phone belongs to a live
        contact and the user has not been warned about these values yet."""
        if self._warned_for == (email, phone):
            return False  # warned already: this ctrl+s means "save anyway"
        store = self._screen.store
        try:
            check = store.check_new_contact(email=email, phone=phone)
        except DATABASE_ERRORS:
            return False  # the database cannot answer: the save itself will say why
        if not check.blocking:
            self.clear_duplicate_warning()
            return False
        names = store.duplicate_names((*check.same_email, *check.same_phone))
        lines = []
        if check.same_email:
            lines.append(_("This email already belongs to {contacts}.").format(
                contacts=contacts_text(check.same_email, names)))  # fmt: skip
        phone_only = tuple(cid for cid in check.same_phone if cid not in check.same_email)
        if phone_only:
            lines.append(_("This phone already belongs to {contacts}.").format(
                contacts=contacts_text(phone_only, names)))  # fmt: skip
        lines.append(_("ctrl+o opens it · ctrl+s saves anyway · escape cancels"))
        self.existing = tuple(dict.fromkeys((*check.same_email, *check.same_phone)))
        self._warned_for = (email, phone)
        warning = self._screen.query_one("#dup-warning", Static)
        warning.update(Content("\n".join(lines)))
        warning.display = True
        self._screen.refresh_bindings()
        return True

    def key_typed(self) -> None:
        """The email or phone field changed: the warning goes once they differ from what it was about."""
        screen = self._screen
        now = (screen.query_one("#in-email", Input).value.strip(), screen.query_one("#in-phone", Input).value.strip())
        if now != self._warned_for:
            self.clear_duplicate_warning()

    def clear_duplicate_warning(self) -> None:
        """The email or phone changed: the warning no longer applies (the next save checks again)."""
        self._warned_for = None
        if self.existing:
            self.existing = ()
            self._screen.refresh_bindings()
        with suppress(Exception):  # not composed yet (a value set while mounting)
            self._screen.query_one("#dup-warning", Static).display = False

    def open_existing(self) -> None:
        if not self.existing:
            return
        from .contact_detail import ContactDetailScreen  # it imports the forms: imported when used

        self._screen.app.push_screen(ContactDetailScreen(self.existing[0]))

    # --- the similar-names hint -----------------------------------------------------------------------

    def name_typed(self) -> None:
        """A name field changed: look for similar names once typing pauses."""
        if self._hint_timer is not None:
            self._hint_timer.stop()
        self._hint_timer = self._screen.set_timer(HINT_DEBOUNCE, self._look_up_names)

    def _look_up_names(self) -> None:
        first = self._screen.query_one("#in-first_name", Input).value
        last = self._screen.query_one("#in-last_name", Input).value
        self._screen.run_worker(
            lambda: self._similar_in_thread(first, last),
            thread=True,
            exclusive=True,
            group="similar-names",
            exit_on_error=False,  # a hint: never worth ending the app
        )

    def _similar_in_thread(self, first: str, last: str) -> None:
        store = self._screen.store
        try:
            ids = store.similar_names(first, last)
            names = store.duplicate_names(ids) if ids else {}
        except DATABASE_ERRORS:
            return  # only a hint: no hint when the database cannot answer
        with suppress(RuntimeError):  # the app closed meanwhile
            self._screen.app.call_from_thread(self._show_similar, first, last, ids, names)

    def _show_similar(self, first: str, last: str, ids: list[int], names: dict[int, str]) -> None:
        screen = self._screen
        found = screen.query("#similar-hint") if screen.is_attached else None
        if not found:
            return  # the form was saved or closed meanwhile
        if (screen.query_one("#in-first_name", Input).value, screen.query_one("#in-last_name", Input).value) != (
            first,
            last,
        ):
            return  # typed on meanwhile: a newer look-up follows
        hint = found.first(Static)
        hint.update(Content(_("Similar names: {contacts}").format(contacts=contacts_text(ids, names)) if ids else ""))
        hint.display = bool(ids)
