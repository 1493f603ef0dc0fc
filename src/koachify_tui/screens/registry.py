"""The app's top-level screens ("modes"), in the order of their number keys.

Each entry is imported lazily, so start-up loads only the screen it shows first."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from ..i18n import _


@dataclass(frozen=True)
class ScreenSpec:
    mode: str  # the mode name, e.g. "contacts"
    key: str  # number key that switches to it
    title: str  # shown in the footer, the palette and help
    target: str  # "module:Class" under koachify_tui.screens

    def factory(self) -> Callable[[], Screen[None]]:
        module_name, class_name = self.target.split(":")

        def build() -> Screen[None]:
            module = importlib.import_module(f"koachify_tui.screens.{module_name}")
            screen: Screen[None] = getattr(module, class_name)()
            return screen

        return build


SCREENS: list[ScreenSpec] = [
    ScreenSpec("contacts", "1", _("Contacts"), "contacts:ContactsScreen"),
    ScreenSpec("board", "2", _("Board"), "board:BoardScreen"),
    ScreenSpec("automations", "3", _("Automations"), "automations:AutomationsScreen"),
    ScreenSpec("inbox", "4", _("Inbox"), "inbox:InboxScreen"),
    ScreenSpec("agenda", "5", _("Agenda"), "agenda:AgendaScreen"),
    ScreenSpec("reports", "6", _("Reports"), "reports:ReportsScreen"),
]
