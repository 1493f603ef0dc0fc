"""The unified inbox: messages across channels, read/unread, channel filter, reply."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable, Static, TextArea

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.inbox import InboxScreen, ReplyForm
from koachify_tui.store import Store


def _fill(store: Store) -> tuple[int, int]:
    a = store.create_contact(first_name="[bold]Giulia[/]", last_name="Conti")
    b = store.create_contact(first_name="Marco", last_name="Ricci")
    store.log_message(
        "Vorrei informazioni",
        contact_id=a.id,
        channel="email",
        subject="Percorso",
        at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )
    store.log_message(
        "Possiamo spostare la call?", contact_id=b.id, channel="whatsapp", at=datetime(2026, 3, 2, 9, tzinfo=UTC)
    )
    return a.id, b.id


async def test_lists_newest_first_and_reads(store: Store, settings: Settings) -> None:
    _fill(store)
    app = make_app(settings, store, start="inbox")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one("#inbox-table", DataTable)
        assert [table.get_row_at(i)[3].plain for i in range(table.row_count)] == [
            "Marco Ricci",
            "[bold]Giulia[/] Conti",
        ]
        assert store.unread_count() == 2
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert store.unread_count() == 1
        assert "Possiamo spostare" in str(app.screen.query_one("#inbox-text", Static).render())
        await pilot.press("m")  # back to unread
        await pilot.pause(0.3)
        assert store.unread_count() == 2


async def test_unread_only_and_channel_filter(store: Store, settings: Settings) -> None:
    _fill(store)
    store.mark_message_read(store.list_messages(channel="email")[0].id, True)
    app = make_app(settings, store, start="inbox")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        table = app.screen.query_one("#inbox-table", DataTable)
        await pilot.press("u")
        await pilot.pause(0.3)
        assert table.row_count == 1
        await pilot.press("u", "f")  # everything, then the first channel: email
        await pilot.pause(0.3)
        assert [table.get_row_at(i)[1].plain for i in range(table.row_count)] == ["Email"]


async def test_reply_logs_an_outgoing_message(store: Store, settings: Settings) -> None:
    _, marco = _fill(store)
    app = make_app(settings, store, start="inbox")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReplyForm)
        app.screen.query_one("#reply-body", TextArea).text = "Certo, giovedì alle 18!"
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        [reply] = [m for m in store.list_messages(contact_id=marco) if m.direction == "out"]
        assert (reply.channel, reply.body) == ("whatsapp", "Certo, giovedì alle 18!")


async def test_escape_cancels_reply(store: Store, settings: Settings) -> None:
    _fill(store)
    app = make_app(settings, store, start="inbox")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
        assert len(store.list_messages()) == 2


async def test_c_opens_the_contact(store: Store, settings: Settings) -> None:
    _, marco = _fill(store)
    app = make_app(settings, store, start="inbox")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("c")
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "ContactsScreen"
        current = app.screen._current()  # type: ignore[attr-defined]
        assert current is not None and current.id == marco
