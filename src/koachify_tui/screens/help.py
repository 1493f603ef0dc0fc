"""The help screen: every key that works where the user is, grouped by where it applies."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, ListView, OptionList, Static, TextArea, Tree

from ..i18n import _
from ..widgets.contact_table import ContactTable


class HelpScreen(ModalScreen[None]):
    """Lists the active bindings of the screen it was opened from: that screen's own keys first, then the
    keys of the focused widget, then those that work everywhere. Keys for one action are shown together.

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

    def _sections(self) -> list[tuple[str, list[tuple[str, Binding]]]]:
        """[(section title, [(keys, binding)])] in display order."""
        groups: dict[int, tuple[DOMNode, dict[tuple[str, str], tuple[list[str], Binding]]]] = {}
        for active in self._under.active_bindings.values():
            binding = active.binding
            if not binding.description:
                continue
            _node, actions = groups.setdefault(id(active.node), (active.node, {}))
            keys, _first = actions.setdefault((binding.action, _(binding.description)), ([], binding))
            key = self.app.get_key_display(binding)
            if key not in keys:
                keys.append(key)

        def title(node: DOMNode) -> str:
            if isinstance(node, App):
                return _("Everywhere")
            if isinstance(node, Screen):
                return _(node.title or self.app.title)
            if isinstance(node, Input | TextArea):
                return _("In the text field")
            if isinstance(node, DataTable | OptionList | ListView | Tree | ContactTable):
                return _("In the list")
            return _("In the focused panel")

        def rank(node: DOMNode) -> int:
            return 0 if isinstance(node, Screen) else 2 if isinstance(node, App) else 1

        ordered = sorted(groups.values(), key=lambda group: rank(group[0]))
        return [
            (title(node), [(", ".join(keys), binding) for keys, binding in actions.values()])
            for node, actions in ordered
        ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column(_("Key"), no_wrap=True, style="bold", min_width=12)
        table.add_column(_("Action"))
        table.add_column(_("Details"), style="dim")
        for index, (section, rows) in enumerate(self._sections()):
            if index:
                table.add_row("", "", "")
            table.add_row(Text(section, style="bold underline"), "", "")
            for keys, binding in rows:
                table.add_row(Text(keys), Text(_(binding.description)), Text(_(binding.tooltip)))
        with VerticalScroll(id="help-body") as body:
            body.border_title = _("Keys — {screen}").format(screen=_(self._under.title or self.app.title))
            body.border_subtitle = _("escape closes")
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
