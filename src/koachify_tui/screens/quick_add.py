"""The contact list's quick-add line: one line typed as `Giulia Verdi giulia@x.it 333 1234567 #lead @Form`,
a live preview of how it reads, `enter` creates the contact (the grammar: koachify_tui/quick_add.py).

It writes through the hosting screen's `run_store_write` and `Store.create_contact` (the full form's call, so
the same rules), then posts `Created`; the screen highlights the new contact. Nothing is written while the
preview shows an error.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from ..i18n import _
from ..quick_add import QuickContact, parse_quick_add, preview_parts
from ..store import NotFound, Store
from .base import AppAccess
from .writes import ScreenWrites, error_text


def duplicate_warning(store: Store, contact: QuickContact) -> str:
    """A line naming the contacts that already have this email or phone ("" when none): the store's
    create-time check, the same question the full form asks."""
    check = store.check_new_contact(email=contact.email, phone=contact.phone)
    found = [(cid, _("same email")) for cid in check.same_email]
    found += [(cid, _("same phone")) for cid in check.same_phone]
    names: dict[int, str] = {}
    for cid, why in found:
        try:
            names.setdefault(cid, f"{store.contact_row(cid).display_name} ({why})")
        except NotFound:
            continue
    if not names:
        return ""
    return _("Already in your contacts: {who} — enter creates it anyway, escape stops").format(
        who=", ".join(names.values())
    )


class QuickAddLine(AppAccess, Vertical):
    """One line to add a contact, with a preview under it; hidden until `open()`.

    | Key | Action |
    | --- | --- |
    | enter | Create the contact (a second enter when it looks like someone already there) |
    | ctrl+o | The full form, filled with what was typed |
    | escape | Close without saving |
    """

    DEFAULT_CSS = """
    QuickAddLine { height: auto; display: none; border: round $primary; padding: 0 1; }
    QuickAddLine #quick-add-input { border: none; height: 1; padding: 0; }
    QuickAddLine #quick-add-preview { height: auto; color: $foreground-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", _("Close"), id="quick_add.close", tooltip=_("Close without saving")),
        Binding("ctrl+o", "full_form", _("Full form"), id="quick_add.form", tooltip=_("The full contact form")),
    ]

    class Created(Message):
        """A contact was created from the line."""

        def __init__(self, contact_id: int) -> None:
            super().__init__()
            self.contact_id = contact_id

    class OpenForm(Message):
        """The user asked for the full form, prefilled with `values`."""

        def __init__(self, values: dict[str, str]) -> None:
            super().__init__()
            self.values = values

    class Closed(Message):
        """The line was closed (escape, or after saving)."""

    def __init__(self) -> None:
        super().__init__(id="quick-add")
        self.border_title = _("Quick add")
        self.border_subtitle = _("enter saves · ctrl+o full form · escape closes")
        self._confirmed = ""  # the text whose duplicate warning was shown: enter again creates it

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_("Name email phone #tag @source (Company)"), id="quick-add-input")
        yield Static("", id="quick-add-preview", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#quick-add-input", Input)

    def parsed(self) -> QuickContact:
        return parse_quick_add(self.input.value, self.koachify.settings.region)

    def open(self) -> None:
        self.display = True
        self.input.value = ""
        self._confirmed = ""
        self._preview()
        self.screen.set_focus(self.input)  # at once: the line's first keys may already be queued behind `+`

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    def action_full_form(self) -> None:
        values = self.parsed().form_values()
        self.action_close()
        self.post_message(self.OpenForm(values))

    @on(Input.Changed, "#quick-add-input")
    def _changed(self) -> None:
        self._confirmed = ""
        self._preview()

    def _preview(self, warning: str = "") -> None:
        contact = self.parsed()
        text = Text()
        if not self.input.value.strip():
            text.append(_("e.g. Giulia Verdi giulia@x.it 333 1234567 #lead @Form (Studio Verdi)"))
        else:
            for i, (label, value) in enumerate(preview_parts(contact)):
                text.append(" · " if i else "")
                text.append(f"{label}: ", style="dim").append(value, style="bold")
            for error in contact.errors:
                text.append("\n" if text else "").append("✗ " + error, style="bold red")
        if warning:
            text.append("\n").append("⚠ " + warning, style="bold yellow")
        self.query_one("#quick-add-preview", Static).update(text)

    @on(Input.Submitted, "#quick-add-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        contact = self.parsed()
        if not contact.ok:
            self._preview()  # the errors are on screen already; nothing is written
            return
        if self._confirmed != event.value:
            warning = duplicate_warning(self.store, contact)
            if warning:
                self._confirmed = event.value
                self._preview(warning)
                return
        screen = self.screen
        assert isinstance(screen, ScreenWrites)
        write = partial(
            self.store.create_contact, **contact.create_args(), region=self.koachify.settings.region, origin="tui"
        )
        screen.run_store_write(write, done=self._created, failed=self._failed)

    def _created(self, contact: object) -> None:
        contact_id = getattr(contact, "id", None)
        self.display = False
        if isinstance(contact_id, int):
            self.post_message(self.Created(contact_id))
        self.post_message(self.Closed())

    def _failed(self, exc: Exception) -> None:
        self._preview(error_text(exc))
