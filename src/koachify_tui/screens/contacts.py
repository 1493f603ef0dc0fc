"""The contact list: the screen a coach lives in."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from ..formatting import date_short
from ..i18n import _
from ..messages import StoreChanged
from ..store import ContactQuery, ContactRow

PAGE = 200


class ContactsScreen(Screen[None]):
    """Contacts, searchable as you type.

    | Key | Action |
    | --- | --- |
    | / | Search |
    | escape | Clear the search |
    | j, k, ↑, ↓ | Move |
    """

    TITLE = _("Contacts")
    BINDINGS = [
        Binding("slash", "search", _("Search"), id="contacts.search", tooltip=_("Search name, email, phone, tags")),
        Binding("escape", "clear_search", _("Clear"), id="contacts.clear", tooltip=_("Clear the search"), show=False),
        Binding("j", "cursor_down", _("Down"), show=False),
        Binding("k", "cursor_up", _("Up"), show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="contacts-pane"):
            yield Input(placeholder=_("Search contacts…  (/)"), id="contact-search")
            yield DataTable(id="contact-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#contact-table", DataTable)
        for label, key in (
            (_("Name"), "name"),
            (_("Company"), "company"),
            (_("Email"), "email"),
            (_("Phone"), "phone"),
            (_("Tags"), "tags"),
            (_("Source"), "source"),
            (_("Open deals"), "opps"),
            (_("Last activity"), "activity"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="contacts-load")
    def load(self) -> None:
        """Read one page and the total off the UI thread; stale searches are cancelled by `exclusive`."""
        query = ContactQuery(search=self.query_one("#contact-search", Input).value)
        store = self.app.store  # type: ignore[attr-defined]
        rows = store.list_contacts(query, limit=PAGE)
        total = store.count_contacts(query)
        self.app.call_from_thread(self._show, rows, total)

    def _show(self, rows: list[ContactRow], total: int) -> None:
        table = self.query_one("#contact-table", DataTable)
        table.clear()
        locale = self.app.settings.locale  # type: ignore[attr-defined]
        for r in rows:
            table.add_row(
                Text(r.display_name),
                Text(r.company),
                Text(r.email),
                Text(r.phone_e164 or r.phone),
                Text(", ".join(r.tags)),
                Text(r.source),
                str(r.open_opportunities or ""),
                date_short(r.last_activity_at, locale),
                key=str(r.id),
            )
        table.border_title = _("{shown} of {total}").format(shown=len(rows), total=total)

    @on(Input.Changed, "#contact-search")
    def _search_changed(self) -> None:
        self.load()

    @on(Input.Submitted, "#contact-search")
    def _search_submitted(self) -> None:
        self.query_one("#contact-table", DataTable).focus()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.load()

    def action_search(self) -> None:
        self.query_one("#contact-search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#contact-search", Input)
        search.value = ""
        self.query_one("#contact-table", DataTable).focus()

    def action_cursor_down(self) -> None:
        self.query_one("#contact-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#contact-table", DataTable).action_cursor_up()
