"""The new-contact form's duplicate checks (screens/contact_checks.py): the warning on save, opening the
existing contact, saving anyway, and the similar-names hint as the name is typed."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Static

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_detail import ContactDetailScreen
from koachify_tui.screens.contact_forms import ContactForm
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.store import Store

SIZE = (120, 40)


async def settle(pilot: Pilot[None], delay: float = 0.0) -> None:
    await pilot.pause(delay)
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def shown(form: ContactForm, selector: str) -> str:
    widget = form.query_one(selector, Static)
    return str(widget.content) if widget.display else ""


async def test_save_warns_on_an_existing_email_then_saves_anyway(store: Store, settings: Settings) -> None:
    mario = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@example.it")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        form.query_one("#in-first_name", Input).value = "Marietto"
        form.query_one("#in-email", Input).value = "MARIO@example.it"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # not saved: warned
        assert f"This email already belongs to #{mario.id} Mario Rossi." in shown(form, "#dup-warning")
        assert "ctrl+o opens it" in shown(form, "#dup-warning")
        assert store.count_contacts() == 1
        await pilot.press("ctrl+o")  # the existing contact, over the form
        await settle(pilot)
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == mario.id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#in-email", Input).value == "MARIO@example.it"
        await pilot.press("ctrl+s")  # again: save anyway
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        assert store.count_contacts() == 2


async def test_changing_the_email_drops_the_warning(store: Store, settings: Settings) -> None:
    store.create_contact(first_name="Anna", phone="347 123 4567")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        form.query_one("#in-first_name", Input).value = "Anna"
        form.query_one("#in-phone", Input).value = "+39 347 1234567"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "This phone already belongs to #1 Anna." in shown(form, "#dup-warning")
        form.query_one("#in-phone", Input).value = "347 7654321"
        await settle(pilot)
        assert shown(form, "#dup-warning") == ""
        await pilot.press("ctrl+s")  # a different number: saved at the first ctrl+s
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        assert store.count_contacts() == 2


async def test_similar_names_hint_as_the_name_is_typed(store: Store, settings: Settings) -> None:
    giulia = store.create_contact(first_name="Giulia", last_name="Verdi", company="Studio Verdi")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        await pilot.click("#in-first_name")
        await pilot.press("G", ".", "tab")
        await pilot.press(*"Verdi")
        await settle(pilot, 0.5)
        assert shown(form, "#similar-hint") == f"Similar names: #{giulia.id} Giulia Verdi"
        form.query_one("#in-last_name", Input).value = "Bianchi"
        await settle(pilot, 0.5)
        assert shown(form, "#similar-hint") == ""
