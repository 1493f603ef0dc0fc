"""The smart lists sidebar: "All contacts", every saved filter, and the Trash."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..i18n import _

ALL = "all"
TRASH = "trash"


class SmartListsSidebar(OptionList):
    """Saved filters; `enter` opens one (re-evaluated every time), `delete` forgets it.

    | Key | Action |
    | --- | --- |
    | enter | Open the list |
    | delete, x | Delete the saved list |
    """

    DEFAULT_CSS = """
    SmartListsSidebar { width: 28; height: 1fr; border: round $panel; }
    SmartListsSidebar:focus { border: round $primary; }
    """
    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, id="smartlists.down", tooltip=_("Next list")),
        Binding("k", "cursor_up", _("Up"), show=False, id="smartlists.up", tooltip=_("Previous list")),
        Binding(
            "delete,x", "forget", _("Delete list"), id="smartlists.delete", tooltip=_("Delete the saved smart list")
        ),
    ]

    class Chosen(Message):
        """A list was opened: `ref` is ALL, TRASH or a smart list id."""

        def __init__(self, sidebar: SmartListsSidebar, ref: str | int) -> None:
            super().__init__()
            self.sidebar = sidebar
            self.ref = ref

        @property
        def control(self) -> SmartListsSidebar:
            return self.sidebar

    class Forget(Chosen):
        """The user asked to delete saved list `ref`."""

    def __init__(self, *, id: str | None = "smart-lists") -> None:
        super().__init__(id=id)
        self.border_title = _("Smart lists")

    def set_lists(self, lists: list[tuple[int, str]], active: str | int = ALL) -> None:
        """Show the saved lists (id, name) between "All contacts" and "Trash"."""
        self.clear_options()
        options = [Option(Content(_("All contacts")), id=ALL)]
        options += [Option(Content(name), id=f"smart:{sid}") for sid, name in lists]
        options.append(Option(Content(_("🗑 Trash")), id=TRASH))
        self.add_options(options)
        wanted = active if isinstance(active, str) else f"smart:{active}"
        for index, option in enumerate(options):
            if option.id == wanted:
                self.highlighted = index

    @staticmethod
    def _ref(option_id: str | None) -> str | int:
        if option_id and option_id.startswith("smart:"):
            return int(option_id.split(":", 1)[1])
        return option_id or ALL

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self, self._ref(event.option.id)))

    def action_forget(self) -> None:
        if self.highlighted is None:
            return
        ref = self._ref(self.get_option_at_index(self.highlighted).id)
        if isinstance(ref, int):
            self.post_message(self.Forget(self, ref))
