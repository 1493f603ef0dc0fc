"""The unified inbox: every logged conversation across channels, newest first."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Select, Static, TextArea

from ..formatting import datetime_short
from ..i18n import _, ngettext
from ..messages import StoreChanged
from ..store import NotFound
from ..store.activities import InboxRow
from ..store.models import Channel
from ..widgets.chrome import Footer, Header
from ..widgets.timeline import call_details
from .base import AppAccess
from .writes import WRITE_ERRORS, ScreenWrites, error_text

PAGE = 200
CHANNEL_LABELS: dict[str, str] = {
    "email": _("Email"),
    "sms": _("SMS"),
    "whatsapp": _("WhatsApp"),
    "call": _("Call"),
    "chat": _("Chat"),
    "other": _("Other"),
}


class ReplyForm(ModalScreen[str | None]):
    """Log an outgoing message to a contact on a channel; dismisses with the text (None when cancelled).

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel |
    """

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="reply.save", tooltip=_("Log the message")),
        Binding("escape", "cancel", _("Cancel"), id="reply.cancel", tooltip=_("Close without saving")),
    ]

    def __init__(self, contact_name: str, channel: str) -> None:
        super().__init__()
        self._contact_name = contact_name
        self._channel = channel

    def compose(self) -> ComposeResult:
        with Vertical(id="reply-form") as box:
            box.border_title = _("Reply to {name} ({channel})").format(
                name=self._contact_name, channel=_(CHANNEL_LABELS.get(self._channel, self._channel))
            )
            box.border_subtitle = _("ctrl+s saves · escape cancels")
            yield TextArea(id="reply-body")
            yield Label("", id="reply-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#reply-body", TextArea).focus()

    def action_save(self) -> None:
        body = self.query_one("#reply-body", TextArea).text.strip()
        if not body:
            self.query_one("#reply-error", Label).update(_("Write something first"))
            return
        self.dismiss(body)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InboxScreen(ScreenWrites, AppAccess, Screen[None]):
    """All conversations in one list: email, SMS, WhatsApp, calls, chat.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓ | Move |
    | enter | Read the message (marks it read) |
    | m | Mark read / unread |
    | u | Only unread / everything |
    | f | Next channel filter |
    | r | Reply (log an outgoing message on the same channel) |
    | c | Open the contact |
    """

    TITLE = _("Inbox")
    CSS_PATH = "inbox.tcss"
    BINDINGS = [
        Binding("j", "cursor(1)", _("Down"), show=False, id="inbox.down"),
        Binding("k", "cursor(-1)", _("Up"), show=False, id="inbox.up"),
        Binding("enter", "open", _("Read"), id="inbox.open", tooltip=_("Show the whole message and mark it read")),
        Binding("m", "toggle_read", _("Read/unread"), id="inbox.toggle_read", tooltip=_("Mark read or unread")),
        Binding("u", "toggle_unread", _("Unread only"), id="inbox.unread", tooltip=_("Show only unread messages")),
        Binding("f", "next_channel", _("Channel"), id="inbox.channel", tooltip=_("Filter by the next channel")),
        Binding("r", "reply", _("Reply"), id="inbox.reply", tooltip=_("Log an outgoing message to this contact")),
        Binding("c", "contact", _("Contact"), id="inbox.contact", tooltip=_("Open the contact of this message")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[InboxRow] = []
        self._unread_only = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="inbox-bar"):
            yield Select(
                [(_(label), key) for key, label in CHANNEL_LABELS.items()],
                prompt=_("All channels"),
                id="inbox-channel",
            )
            yield Static("", id="inbox-status", markup=False)
        with Horizontal(id="inbox-body"):
            yield DataTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="inbox-message"):
                yield Static("", id="inbox-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#inbox-table", DataTable)
        for label, key in (
            (_("When"), "at"),
            (_("Channel"), "channel"),
            ("", "direction"),
            (_("Contact"), "contact"),
            (_("Message"), "text"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.load()

    @property
    def channel(self) -> str | None:
        value = self.query_one("#inbox-channel", Select).value
        return value if isinstance(value, str) else None

    @work(thread=True, exclusive=True, group="inbox-load")
    def load(self) -> None:
        rows = self.store.inbox(channel=self.channel, unread_only=self._unread_only, limit=PAGE)
        unread = self.store.unread_count(channel=self.channel)
        self.app.call_from_thread(self._show, rows, unread)

    def _show(self, rows: list[InboxRow], unread: int) -> None:
        table = self.query_one("#inbox-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self._rows = rows
        locale = self.locale
        for row in rows:
            msg = row.message
            style = "" if msg.read else "bold"
            preview = (f"{msg.subject} — {msg.body}" if msg.subject else msg.body).replace("\n", " ")
            if call := call_details(msg.duration_s, msg.outcome):
                preview = f"{call} · {preview}" if preview else call
            table.add_row(
                Text(datetime_short(msg.at, locale), style=style),
                Text(_(CHANNEL_LABELS.get(msg.channel, msg.channel)), style=style),
                Text("←" if msg.direction == "in" else "→", style="dim"),
                Text(row.contact_name, style=style),
                Text(preview[:80], style=style),
                key=str(msg.id),
            )
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        status = ngettext("{n} unread", "{n} unread", unread).format(n=unread)
        if self._unread_only:
            status += " · " + _("showing unread only")
        self.query_one("#inbox-status", Static).update(status)
        table.border_title = ngettext("{n} message", "{n} messages", len(rows)).format(n=len(rows))
        self._show_current()

    def _current(self) -> InboxRow | None:
        table = self.query_one("#inbox-table", DataTable)
        if not self._rows or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def _show_current(self) -> None:
        row = self._current()
        text = self.query_one("#inbox-text", Static)
        if row is None:
            text.update(_("No messages."))
            return
        msg = row.message
        locale = self.locale
        header = Text.assemble(
            (row.contact_name, "bold"),
            "  ",
            (f"{_(CHANNEL_LABELS.get(msg.channel, msg.channel))} · {datetime_short(msg.at, locale)}", "dim"),
            "\n",
        )
        if msg.subject:
            header.append(msg.subject + "\n", style="bold")
        header.append("\n")
        header.append(msg.body)
        text.update(header)

    @on(DataTable.RowHighlighted, "#inbox-table")
    def _highlighted(self) -> None:
        self._show_current()

    @on(DataTable.RowSelected, "#inbox-table")
    def _selected(self) -> None:
        self.action_open()  # the table handles enter itself and announces it as RowSelected

    @on(Select.Changed, "#inbox-channel")
    def _channel_changed(self) -> None:
        self.load()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.load()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#inbox-table", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    def _set_read(self, read: bool) -> None:
        row = self._current()
        if row is None:
            return
        self.run_store_write(
            partial(self.store.mark_message_read, row.message.id or 0, read),
            done=lambda _r: self.load(),
            skip=(NotFound,),
        )

    def action_open(self) -> None:
        self._show_current()
        row = self._current()
        if row is not None and not row.message.read:
            self._set_read(True)

    def action_toggle_read(self) -> None:
        row = self._current()
        if row is not None:
            self._set_read(not row.message.read)

    def action_contact(self) -> None:
        row = self._current()
        if row is not None:
            self.app.show_contact(row.message.contact_id)  # type: ignore[attr-defined]

    def action_toggle_unread(self) -> None:
        self._unread_only = not self._unread_only
        self.load()

    def action_next_channel(self) -> None:
        select = self.query_one("#inbox-channel", Select)
        keys = [None, *CHANNEL_LABELS]
        current = self.channel
        following = keys[(keys.index(current) + 1) % len(keys)]
        select.value = following if following is not None else Select.NULL

    @work
    async def action_reply(self) -> None:
        row = self._current()
        if row is None:
            return
        msg = row.message
        channel = msg.channel if msg.channel in {c.value for c in Channel} else Channel.OTHER.value
        body = await self.app.push_screen_wait(ReplyForm(row.contact_name, channel))
        if body is None:
            return
        try:
            await self.store_write(
                partial(
                    self.store.log_message,
                    body,
                    contact_id=msg.contact_id,
                    opportunity_id=msg.opportunity_id,
                    channel=channel,
                    direction="out",
                    origin="tui",
                )
            )
        except WRITE_ERRORS as exc:
            self.notify(error_text(exc), severity="error", markup=False)
            return
        self._set_read(True)
        self.notify(_("Reply logged"))
