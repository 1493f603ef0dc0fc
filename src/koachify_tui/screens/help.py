"""The help screen: every key that works where the user is, with what it does."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..i18n import _


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings of the screen it was opened from.

    | Key | Action |
    | --- | --- |
    | escape, ?, f1, q | Close |
    """

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", _("Close"), id="help.close", tooltip=_("Close the help")),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column(_("Key"), no_wrap=True, style="bold")
        table.add_column(_("Action"))
        table.add_column(_("Details"), style="dim")
        seen: set[tuple[str, str]] = set()
        for key, active in self._under.active_bindings.items():
            binding = active.binding
            if not binding.description or (binding.action, key) in seen:
                continue
            seen.add((binding.action, key))
            table.add_row(Text(self.app.get_key_display(binding)), Text(binding.description), Text(binding.tooltip))
        with VerticalScroll(id="help-body") as body:
            body.border_title = _("Keys — {screen}").format(screen=self._under.title or self.app.title)
            body.border_subtitle = _("escape closes")
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
