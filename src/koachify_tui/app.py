"""The Textual application: one factory (`make_app`) used by the CLI and by every test."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.segment import Segment
from textual import events, on, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.color import Color
from textual.dom import DOMNode
from textual.filter import LineFilter
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Input, TextArea

from .config import Settings
from .i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, current_language, ngettext, resolve_language, set_language
from .messages import StoreChanged
from .safe_text import UNSAFE, drop_unsafe
from .screens.registry import SCREENS
from .store import Store
from .store.events import DomainEvent

if TYPE_CHECKING:
    from .screens.next_task import DoneTask


class StoreEventsPending(Message):
    """Store events from another thread wait in `KoachifyApp._pending`: the app thread starts their flush."""


class TerminalSafe(LineFilter):
    """Drops control characters and bidi controls from every rendered line (safe_text.drop_unsafe): a row
    another client wrote with `ESC ] 52` or `ESC [ 2 J` in it is shown, never executed. They are zero-width,
    so lines keep their length."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not UNSAFE.search("".join([segment.text for segment in segments])):  # the common case: one scan
            return segments
        out = []
        for text, style, control in segments:
            if not control:
                text = drop_unsafe(text)
                if not text:
                    continue
            out.append(Segment(text, style, control))
        return out


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


# Textual's own palette commands (translated in get_system_commands) and footer label (widgets/chrome.py).
TEXTUAL_COMMANDS = (
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("palette"),  # the footer's ctrl+p label
    N_("Save an SVG 'screenshot' of the current screen"),
)


class KoachifyApp(App[None]):
    """Koachify: contacts, pipeline board and automations, driven from the keyboard.

    | Key | Action |
    | --- | --- |
    | 1, 2, 3… | Switch screen (contacts, board, automations…) when no text field has focus |
    | ctrl+p | Command palette |
    | ?, f1 | Help: the keys of the current screen |
    | ctrl+t | The next overdue task: x completes it, u undoes |
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
            "ctrl+t",
            "next_task",
            _("Next task"),
            id="app.next_task",
            tooltip=_("The next overdue task, to complete with x"),
            show=False,
            priority=True,  # from any screen, forms and dialogs included (a modal hides the app's other keys)
        ),
        # Priority, so focus moves the moment tab is read. Textual 8.2 forwards a key to the focused widget's
        # queue and runs the screen's (non-priority) tab binding only when the key bubbles back up; keys of the
        # same batch are forwarded meanwhile, to the old field ("tab Verdi" typed "Verdi" into the first name).
        Binding(
            "tab",
            "focus_next",
            _("Next field"),
            id="app.focus_next",
            tooltip=_("Next field"),
            show=False,
            priority=True,
        ),
        Binding(
            "shift+tab",
            "focus_previous",
            _("Previous field"),
            id="app.focus_previous",
            tooltip=_("Previous field"),
            show=False,
            priority=True,
        ),
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
                tooltip=_("Go to this screen"),
                show=False,
            )
            for spec in SCREENS
        ),
    ]

    def __init__(self, settings: Settings, store: Store, *, start: str = "contacts") -> None:
        set_language(resolve_language(settings.language))  # before any widget is built
        super().__init__()
        self.settings = settings
        self.store = store
        self._start = start if start in self.MODES else SCREENS[0].mode
        self._pending: list[DomainEvent] = []
        self._flush_due = False  # a flush of `_pending` is scheduled, or handed to the app thread
        self._pending_lock = threading.Lock()
        self._unsubscribe = store.subscribe(self._on_store_event)
        self._filters.append(TerminalSafe())  # stored text never reaches the terminal as control codes
        self.register_theme(KOACHIFY_THEME)
        self.theme = settings.theme if settings.theme in self.available_themes else "koachify"
        if settings.keymap:
            self.set_keymap(settings.keymap)
        #: The exception that ended the app (None when it quit normally) and the log file holding its traceback.
        self.crash: BaseException | None = None
        self.crash_log: Path | None = None
        #: The task completed last from the next-task dialog (ctrl+t): its `u` reopens it.
        self.last_done_task: DoneTask | None = None

    #: How often follow-up sequence steps that fell due are run while the app is open.
    SEQUENCE_INTERVAL = 300.0
    #: Seconds between looks for other processes' commits (SQLite; PostgreSQL is told at once). 0: never.
    WATCH_INTERVAL = 1.0

    def on_mount(self) -> None:
        for problem in self.settings.problems:  # a bad config value: said once, its default used
            self.notify(problem, title=_("Settings"), severity="warning", timeout=10, markup=False)
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
        The active screen reloads keeping its selection; an open form ignores it (a clash shows on save). Once
        the app is closing the hand-off is skipped (`_hand_off`), so the watcher's thread never waits on it."""
        self._on_store_event(event)

    def watch_theme(self, theme: str) -> None:
        if theme != self.settings.theme:
            self.settings.theme = theme
            try:
                self.settings.save("theme")  # that key only: the file's comments and other keys stay
            except (OSError, ValueError):
                self.notify(_("Could not save the theme to the settings file"), severity="warning")

    # --- the error boundary -------------------------------------------------------------------------
    # A key's action that fails on a bad value or a database error is reported and the app goes on;
    # anything else ends the app with exit status 1, one line on stderr and the traceback in the log file
    # (on the terminal too with --debug).

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        from sqlalchemy.exc import SQLAlchemyError

        from .errors import describe, log_exception
        from .store import DatabaseError, StoreError

        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except (StoreError, DatabaseError, SQLAlchemyError, ValueError, OSError, OverflowError) as exc:
            path = log_exception(exc)
            self.notify(describe(exc, path), title=_("Error"), severity="error", markup=False)
            return True

    def _handle_exception(self, error: Exception) -> None:
        from .errors import log_exception

        if self.crash is None:
            self.crash, self.crash_log = error, log_exception(error)
        if os.environ.get("KOACHIFY_DEBUG"):
            super()._handle_exception(error)
            return
        self._return_code = 1
        if self._exception is None:  # what run_test re-raises in tests
            self._exception = error
            self._exception_event.set()
        self.exit(return_code=1)

    # --- store events → screens ---------------------------------------------------------------------
    # Events may arrive from worker threads and in bursts (an import emits one per contact), so they
    # are collected and handed to the active screen as one StoreChanged message per 50 ms.

    def _on_store_event(self, event: DomainEvent) -> None:
        with self._pending_lock:
            self._pending.append(event)
            if self._flush_due:
                return
            self._flush_due = True
        if not self._hand_off():  # closing: the events stay pending, and the next one tries again
            with self._pending_lock:
                self._flush_due = False

    def _hand_off(self) -> bool:
        """Start the 50 ms timer on the app thread. From another thread (a worker, the store watcher) by a
        message: `post_message` neither waits for the loop nor runs anything there once the app is closing
        (it returns False), where `call_from_thread` blocked the thread until the loop ran it, and raised in it
        when the app exited meanwhile."""
        if threading.get_ident() == self._thread_id:
            self._start_flush_timer()
            return True
        try:
            return self.post_message(StoreEventsPending())
        except RuntimeError:  # the event loop closed between the closing check and the hand-off
            return False

    @on(StoreEventsPending)
    def _start_flush_timer(self) -> None:
        self.set_timer(0.05, self._flush_store_events)

    def _flush_store_events(self) -> None:
        with self._pending_lock:
            events, self._pending = tuple(self._pending), []
            self._flush_due = False
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

    async def on_event(self, event: events.Event) -> None:
        """Keys for a text field's own bindings (end, ctrl+u, backspace, enter…) run in the field's queue, in
        order with the characters around them.

        Textual 8.2 hands a character to the focused Input at once, but runs a binding only after its key has
        bubbled through every ancestor's queue up to the App, so in one batch `end ctrl+u 1500` typed 1500
        and then erased it (saved as 0), and `ab backspace c` gave "a", not "ac". Only keys the field binds itself
        and does not consume as text take this path; everything else is Textual's own dispatch."""
        if isinstance(event, events.Key) and not event.is_forwarded and self.screen.maximized is None:
            focused = self.focused
            if isinstance(focused, Input | TextArea) and not focused.check_consume_key(event.key, event.character):
                own = [b for b in focused._bindings.key_to_bindings.get(event.key, ()) if not b.priority]
                if own:
                    self.app_focus = True
                    if not await self._check_bindings(event.key, priority=True):
                        focused.call_later(self._run_field_binding, focused, own[0].action, event)
                    return
        await super().on_event(event)

    async def _run_field_binding(self, field: Widget, action: str, event: events.Key) -> None:
        if field.is_attached and self.focused is field and await self.run_action(action, field):
            return
        (self.focused or self.screen)._forward_event(event)  # not applicable: Textual's usual dispatch

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """tab stays with a widget that types it (a TextArea set to indent); escape means "give up" only
        while a write waits for the lock."""
        if action in {"focus_next", "focus_previous"}:
            focused = self.focused
            return not (isinstance(focused, TextArea) and focused.tab_behavior == "indent")
        if action == "give_up_write":
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

    def action_next_task(self) -> None:
        from .screens.next_task import NextTaskDialog

        if not isinstance(self.screen, NextTaskDialog):
            self.push_screen(NextTaskDialog())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every screen, then every key binding of the current screen."""
        for spec in SCREENS:
            yield SystemCommand(
                _("Go to {screen}").format(screen=_(spec.title)),
                _("Switch to the {screen} screen (key {key})").format(screen=_(spec.title), key=spec.key),
                lambda mode=spec.mode: self.switch_mode(mode),
            )
        yield SystemCommand(
            _("Next overdue task"),
            _("The oldest overdue task: x completes it, u undoes (key ctrl+t, from any screen)"),
            self.action_next_task,
        )
        yield SystemCommand(
            _("Import CSV…"),
            _("Import contacts from a CSV file: preview the mapping and counts, then import (key i on Contacts)"),
            self.open_import_csv,
        )
        yield SystemCommand(
            _("Duplicates…"),
            _("Review likely duplicate contacts side by side and merge them (key M on Contacts)"),
            self.open_duplicates,
        )
        seen: set[str] = {"import_csv", "duplicates"}  # the contacts screen's own keys for them: listed once, above
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or active.node is self or not active.enabled:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                _(binding.description),
                f"{_(binding.tooltip)} ({self.get_key_display(binding)})" if binding.tooltip else "",
                lambda node=active.node, action=binding.action: self.run_action(action, node),
            )
        for code in LANGUAGES:
            if code != current_language():
                yield SystemCommand(
                    _("Language: {name}").format(name=LANGUAGE_NAMES[code]),
                    _("Show Koachify in {name} (saved in the settings file)").format(name=LANGUAGE_NAMES[code]),
                    lambda code=code: self.switch_language(code),
                )
        for command in super().get_system_commands(screen):
            yield SystemCommand(_(command.title), _(command.help), command.callback, command.discover)

    def switch_language(self, code: str) -> None:
        """Show the app in another language from now on; only `language` is written to the settings file."""
        set_language(code)
        try:
            self.settings.save_language(code)
        except OSError:
            self.notify(_("Could not save the language to the settings file"), severity="warning")
        for screen in self.screen_stack:
            screen.refresh_bindings()
        self.notify(_("Language: {name}").format(name=LANGUAGE_NAMES[code]))

    def action_command_palette(self) -> None:
        """Textual's palette, with its placeholder in the current language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(cast(App[object], self)):
            self.push_screen(CommandPalette(placeholder=_("Search for commands…"), id="--command-palette"))

    def open_import_csv(self) -> None:
        """The "Import CSV…" dialog (imported on first use: it is not needed to start the app)."""
        from .screens.import_csv import ImportCsvScreen

        self.push_screen(ImportCsvScreen(self.store))

    def open_duplicates(self) -> None:
        """The Duplicates screen (imported on first use)."""
        from .screens.duplicates import DuplicatesScreen

        self.push_screen(DuplicatesScreen())


def resume_gc() -> None:
    """Turn the cyclic garbage collector back on after the first frame, if the launcher paused it.

    `cli.run_tui` pauses it before the heavy imports: start-up builds a large, long-lived heap (Textual,
    SQLAlchemy mappers, CSS, locale data) that the collector would keep re-scanning as it grows, ~0.1 s of the
    ~0.9 s to the first frame. A no-op when the collector is on (tests, embedding)."""
    if not gc.isenabled():
        gc.freeze()  # what start-up built lives as long as the app: later collections skip it
        # A frame allocates thousands of short-lived strips, segments and caches that refcounting frees: at
        # the default 700 the young collections took 1-1.5 ms of a 12 ms search keystroke, at 10,000 ~0.4 ms.
        gc.set_threshold(10_000, 20, 20)
        gc.enable()


def make_app(settings: Settings, store: Store, *, start: str = "contacts") -> KoachifyApp:
    """Build the app on an open store. The CLI and the tests both come through here."""
    from .automations import install

    install(store)  # rules fire on changes made in the TUI exactly as on the CLI's
    return KoachifyApp(settings, store, start=start)
