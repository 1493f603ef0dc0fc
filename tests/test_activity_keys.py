"""Issue 15 item 2 on screen: edit, delete (+u), complete/reopen, snooze and call details from the timeline,
the deal detail and the agenda."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.activity_keys import SnoozeDialog
from koachify_tui.screens.contact_detail import ContactDetailScreen
from koachify_tui.screens.contact_forms import ActivityForm
from koachify_tui.store import Store
from koachify_tui.widgets.timeline import TimelineView


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def lines(app: KoachifyApp) -> list[str]:
    view = app.screen.query_one(TimelineView)
    return [" | ".join(cell.plain for cell in view.get_row_at(i)) for i in range(view.row_count)]


def notices(app: KoachifyApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_detail(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("enter")  # 100 columns: the detail on its own screen, the timeline focused
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContactDetailScreen)


def _contact(store: Store) -> int:
    c = store.create_contact(first_name="Giulia", last_name="Verdi")
    assert c.id is not None
    return c.id


async def test_delete_and_undo_a_note_and_a_task(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    base = datetime.now(UTC) - timedelta(days=2)
    note = store.add_note("Prima call [bold]ok[/]", contact_id=cid, at=base)
    task = store.add_task("Richiamare", contact_id=cid, at=base + timedelta(hours=1))
    app = make_app(settings, store)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot)
        assert "Richiamare" in lines(app)[0]
        await pilot.press("d")  # the task (newest first)
        await settle(pilot)
        assert store.list_tasks(contact_id=cid) == []
        assert not any("Richiamare" in line for line in lines(app))
        assert any("Deleted task “Richiamare” — u to undo" in n for n in notices(app))
        await pilot.press("u")
        await settle(pilot)
        assert [t.id for t in store.list_tasks(contact_id=cid)] == [task.id]
        assert any("Richiamare" in line for line in lines(app))
        await pilot.press("down", "d")  # the note
        await settle(pilot)
        assert store.timeline(cid, kinds={"note"}) == []
        assert any("Deleted note “Prima call [bold]ok[/]”" in n for n in notices(app))
        await pilot.press("u")
        await settle(pilot)
        assert [i.ref_id for i in store.timeline(cid, kinds={"note"})] == [note.id]
        await pilot.press("u")  # nothing left here: the screen's `u` (none on this screen) — nothing changes
        await settle(pilot)
        assert len(store.timeline(cid)) == 2


async def test_edit_a_note_sends_only_the_change(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    note = store.add_note("Prima call", contact_id=cid)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm) and form.item_id == note.id
        body = form.query_one("#in-body", TextArea)
        assert body.text == "Prima call"
        body.text = "Prima call: interessata al percorso"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactDetailScreen)
        assert store.get_activity("note", note.id).body == "Prima call: interessata al percorso"
        assert [ch.field for ch in store.changes(entity="note", entity_id=note.id)] == ["body"]
        assert "interessata al percorso" in lines(app)[0]
        await pilot.press("u")
        await settle(pilot)
        assert store.get_activity("note", note.id).body == "Prima call"


async def test_e_on_a_change_line_edits_the_contact(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    store.create_opportunity(cid, "Percorso", "Vendite Coaching")
    app = make_app(settings, store)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot)
        assert "Percorso" in lines(app)[0]  # "created" line of the deal
        await pilot.press("e")
        await settle(pilot)
        assert type(app.screen).__name__ == "ContactForm"


async def test_complete_reopen_and_snooze(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    due = datetime.now(UTC) - timedelta(days=3)
    task = store.add_task("Richiamare", contact_id=cid, due_at=due)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert store.get_activity("task", task.id).done_at is not None
        assert lines(app)[0].count("☑") == 1
        await pilot.press("space")  # reopen
        await settle(pilot)
        assert store.get_activity("task", task.id).done_at is None
        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeDialog)
        await pilot.press("1")  # overdue: from today, so tomorrow
        await settle(pilot)
        moved = store.get_activity("task", task.id).due_at
        tomorrow = datetime.now().astimezone().date() + timedelta(days=1)
        assert moved.astimezone().date() == tomorrow
        assert moved.astimezone().time() == due.astimezone().time().replace(second=due.second)
        assert "overdue" not in lines(app)[0]
        await pilot.press("z", "tab")
        await settle(pilot)
        day = tomorrow + timedelta(days=10)
        await pilot.press(*day.strftime("%d/%m/%Y"), "enter")
        await settle(pilot)
        assert store.get_activity("task", task.id).due_at.astimezone().date() == day
        await pilot.press("u")
        await settle(pilot)
        assert store.get_activity("task", task.id).due_at.astimezone().date() == tomorrow


async def test_log_a_call_with_duration_and_outcome(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot)
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        form.query_one("#in-outcome", Input).value = "no answer"
        form.query_one("#in-duration", Input).value = "1h30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        (msg,) = store.list_messages(contact_id=cid)
        assert (msg.channel, msg.duration_s, msg.outcome) == ("call", 5400, "no answer")
        assert "1 h 30 min · no answer" in lines(app)[0]
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        assert form.query_one("#in-duration", Input).value == "1h30min"
        form.query_one("#in-duration", Input).value = "0:45"
        form.query_one("#in-when", Input).value = "02/03/2026 10:15"
        await pilot.press("ctrl+s")
        await settle(pilot)
        msg = store.get_activity("message", msg.id)
        assert msg.duration_s == 2700 and msg.outcome == "no answer"
        assert msg.at.astimezone().strftime("%d/%m/%Y %H:%M") == "02/03/2026 10:15"


async def test_bad_duration_is_shown_and_nothing_saved(store: Store, settings: Settings) -> None:
    cid = _contact(store)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot)
        await pilot.press("m")
        await settle(pilot)
        app.screen.query_one("#in-duration", Input).value = "tanto"
        app.screen.query_one("#in-outcome", Input).value = "answered"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivityForm)
        assert "invalid duration" in str(app.screen.query_one("#err-duration").render())
        assert store.list_messages(contact_id=cid) == []


async def test_deal_detail_delete_undo_and_edit(store: Store, settings: Settings) -> None:
    from koachify_tui.screens.opportunity_detail import OpportunityDetail

    cid = _contact(store)
    opp = store.create_opportunity(cid, "Percorso", "Vendite Coaching")
    note = store.add_note("Sul deal", opportunity_id=opp.id)
    store.log_message("", opportunity_id=opp.id, channel="call", duration_s=300, outcome="voicemail")
    app = make_app(settings, store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.push_screen(OpportunityDetail(opp.id))
        await settle(pilot)
        view = app.screen.query_one("#detail-activities", TimelineView)
        assert view.row_count == 2
        assert "5 min · voicemail" in " ".join(c.plain for c in view.get_row_at(0))
        await pilot.press("e")  # nothing focused in the list: the deal's own form
        await settle(pilot)
        assert type(app.screen).__name__ == "OpportunityForm"
        await pilot.press("escape")
        await settle(pilot)
        view.focus()
        await pilot.press("down", "d")
        await settle(pilot)
        assert store.timeline(cid, kinds={"note"}) == []
        assert view.row_count == 1
        await pilot.press("u")
        await settle(pilot)
        assert [i.ref_id for i in store.timeline(cid, kinds={"note"})] == [note.id]
        assert view.row_count == 2


async def test_agenda_complete_undo_and_snooze(store: Store, settings: Settings) -> None:
    from koachify_tui.screens.agenda import AgendaScreen

    cid = _contact(store)
    now = datetime.now(UTC)
    late = store.add_task("Richiamare", contact_id=cid, due_at=now - timedelta(days=3))
    app = make_app(settings, store, start="agenda")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AgendaScreen)
        await pilot.press("x")
        await settle(pilot)
        assert store.get_activity("task", late.id).done_at is not None
        await pilot.press("u")  # reopened: back in the agenda
        await settle(pilot)
        assert store.get_activity("task", late.id).done_at is None
        assert app.screen.items and app.screen.items[0].id == late.id
        await pilot.press("z", "1")
        await settle(pilot)
        due = store.get_activity("task", late.id).due_at
        assert due.astimezone().date() == datetime.now().astimezone().date() + timedelta(days=1)
        await pilot.press("u")
        await settle(pilot)
        assert store.get_activity("task", late.id).due_at == late.due_at
