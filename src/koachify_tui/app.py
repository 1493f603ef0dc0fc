"""The Textual application: one factory (`make_app`) used by the CLI and by every test."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterable

from textual import work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from .config import Settings
from .i18n import _, ngettext
from .messages import StoreChanged
from .screens.registry import SCREENS
from .store import Store
from .store.events import DomainEvent

KOACHIFY_THEME = Theme(
    name="koachify",
    primary="#2BB3A3",
    secondary="#F2A541",
    accent="#E4572E",
    foreground="#E8E6E3",
    background="#14181C",
    surface="#1C2227",
    panel="#242C33",
    success="#5BBA6F",
    warning="#F2A541",
    error="#E4572E",
    dark=True,
)


class KoachifyApp(App[None]):
    """Koachify: contacts, pipeline board and automations, driven from the keyboard.

    | Key | Action |
    | --- | --- |
    | 1, 2, 3… | Switch screen (contacts, board, automations…) when no text field has focus |
    | ctrl+p | Command palette |
    | ?, f1 | Help: the keys of the current screen |
    | ctrl+q | Quit |
    """

    CSS_PATH = "koachify.tcss"
    MODES = {spec.mode: spec.factory() for spec in SCREENS}
    TITLE = "Koachify"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("question_mark,f1", "help", _("Help"), id="app.help", tooltip=_("Show the keys of this screen")),
        Binding("ctrl+q", "quit", _("Quit"), id="app.quit", tooltip=_("Quit Koachify"), priority=True),
        Binding(
            "escape",
            "give_up_write",
            _("Give up"),
            id="app.give_up_write",
            tooltip=_("Stop waiting for the database (nothing is saved)"),
            priority=True,
            show=False,
        ),
        *(
            Binding(
                spec.key,
                f"switch_mode('{spec.mode}')",
                spec.title,
                id=f"app.goto.{spec.mode}",
                tooltip=_("Go to {screen}").format(screen=spec.title),
                show=False,
            )
            for spec in SCREENS
        ),
    ]

    def __init__(self, settings: Settings, store: Store, *, start: str = "contacts") -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self._start = start if start in self.MODES else SCREENS[0].mode
        self._pending: list[DomainEvent] = []
        self._pending_lock = threading.Lock()
        self._unsubscribe = store.subscribe(self._on_store_event)
        self.register_theme(KOACHIFY_THEME)
        self.theme = settings.theme if settings.theme in self.available_themes else "koachify"
        if settings.keymap:
            self.set_keymap(settings.keymap)

    #: How often follow-up sequence steps that fell due are run while the app is open.
    SEQUENCE_INTERVAL = 300.0
    #: Seconds between looks for other processes' commits (SQLite; PostgreSQL is told at once). 0: never.
    WATCH_INTERVAL = 1.0

    def on_mount(self) -> None:
        self._stop_watching = (
            self.store.watch(self._on_external_change, self.WATCH_INTERVAL) if (self.WATCH_INTERVAL > 0) else None
        )
        self.switch_mode(self._start)
        self.call_after_refresh(resume_gc)
        self.set_timer(1.0, self.run_due_steps)  # after the first screen has painted
        self.set_interval(self.SEQUENCE_INTERVAL, self.run_due_steps)

    @work(thread=True, exclusive=True, group="sequences")
    def run_due_steps(self) -> None:
        """Run the follow-up steps that are due (the same as `koachify automations run-due`)."""
        from .automations.sequences import run_due

        runs = run_due(self.store)
        if runs:
            message = ngettext("{n} follow-up step run", "{n} follow-up steps run", len(runs)).format(n=len(runs))
            self.call_from_thread(self.notify, message, title=_("Sequences"))

    def on_unmount(self) -> None:
        self._unsubscribe()
        if self._stop_watching is not None:
            self._stop_watching()

    def _on_external_change(self, event: DomainEvent) -> None:
        """Another process or user committed (store/watch.py, its own thread): refresh like our own changes.
        The active screen reloads keeping its selection; an open form ignores it (a clash shows on save)."""
        with contextlib.suppress(RuntimeError):  # the app is closing
            self._on_store_event(event)

    def watch_theme(self, theme: str) -> None:
        if theme != self.settings.theme:
            self.settings.theme = theme
            try:
                self.settings.save()
            except OSError:
                self.notify(_("Could not save the theme to the settings file"), severity="warning")

    # --- store events → screens ---------------------------------------------------------------------
    # Events may arrive from worker threads and in bursts (an import emits one per contact), so they
    # are collected and handed to the active screen as one StoreChanged message per 50 ms.

    def _on_store_event(self, event: DomainEvent) -> None:
        with self._pending_lock:
            first = not self._pending
            self._pending.append(event)
        if first:
            if threading.get_ident() == self._thread_id:
                self.set_timer(0.05, self._flush_store_events)
            else:
                self.call_from_thread(self.set_timer, 0.05, self._flush_store_events)

    def _flush_store_events(self) -> None:
        with self._pending_lock:
            events, self._pending = tuple(self._pending), []
        if not events:
            return
        try:
            screen = self.screen
        except ScreenStackError:  # starting up or shutting down: nothing on screen to refresh
            return
        screen.post_message(StoreChanged(events))

    def show_contact(self, contact_id: int) -> None:
        """Switch to the contacts screen with this contact selected and open (from the board, inbox, agenda)."""

        async def go() -> None:
            await self.switch_mode("contacts")  # mounts the screen the first time: wait for its widgets
            select_contact = getattr(self.screen, "select_contact", None)
            if callable(select_contact):
                select_contact(contact_id)

        self.run_worker(go(), group="show-contact", exclusive=True)

    # --- commands -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "give_up_write":  # escape means "give up" only while a write waits for the lock
            return bool(getattr(self.screen, "write_pending", False))
        return True

    def action_give_up_write(self) -> None:
        give_up = getattr(self.screen, "give_up_write", None)
        if callable(give_up):
            give_up()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every screen, then every key binding of the current screen."""
        for spec in SCREENS:
            yield SystemCommand(
                _("Go to {screen}").format(screen=spec.title),
                _("Switch to the {screen} screen (key {key})").format(screen=spec.title, key=spec.key),
                lambda mode=spec.mode: self.switch_mode(mode),
            )
        yield SystemCommand(
            _("Import CSV…"),
            _("Import contacts from a CSV file: preview the mapping and counts, then import (key i on Contacts)"),
            self.open_import_csv,
        )
        seen: set[str] = {"import_csv"}  # the contacts screen's own key for it: listed once, above
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or active.node is self or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip} ({self.get_key_display(binding)})" if binding.tooltip else "",
                lambda node=active.node, action=binding.action: self.run_action(action, node),
            )
        yield from super().get_system_commands(screen)

    def open_import_csv(self) -> None:
        """The "Import CSV…" dialog (imported on first use: it is not needed to start the app)."""
        from .screens.import_csv import ImportCsvScreen

        self.push_screen(ImportCsvScreen(self.store))


def resume_gc() -> None:
    """Turn the cyclic garbage collector back on after the first frame, if the launcher paused it.

    `cli.run_tui` pauses it before the heavy imports: start-up builds a large, long-lived heap (Textual,
    SQLAlchemy mappers, CSS, locale data) that the collector would keep re-scanning as it grows, ~0.1 s of the
    ~0.9 s to the first frame. A no-op when the collector is on (tests, embedding)."""
    if not gc.isenabled():
        gc.freeze()  # what start-up built lives as long as the app: later collections skip it
        gc.enable()


def make_app(settings: Settings, store: Store, *, start: str = "contacts") -> KoachifyApp:
    """Build the app on an open store. The CLI and the tests both come through here."""
    from .automations import install

    install(store)  # rules fire on changes made in the TUI exactly as on the CLI's
    return KoachifyApp(settings, store, start=start)
