"""Small modal pickers: a filterable list (optionally accepting free text), a text prompt, a confirmation.

All dismiss with a typed value, or None when the user backs out with escape:

    stage_id = await app.push_screen_wait(ChoicePicker(_("Move to"), [("Lead", 1), ("Won", 3)]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _

T = TypeVar("T")

PICKER_CSS = """
{cls} {{ align: center middle; }}
{cls} > Vertical {{ width: 64; max-width: 100%; height: auto; max-height: 80%; background: $panel;
    border: thick $primary; padding: 0 1; }}
{cls} OptionList {{ height: auto; max-height: 20; border: none; }}
{cls} .picker-hint {{ color: $foreground-muted; }}
"""


class ChoicePicker(ModalScreen[Any], Generic[T]):
    """Pick one of `options` ((label, value) pairs); type to filter. With `allow_text`, what the user
    types is returned as is when it matches no option (a lost reason "typed or picked").

    | Key | Action |
    | --- | --- |
    | type | Filter the list (or write free text) |
    | ↓, ↑ | Move through the list |
    | enter | Choose |
    | escape | Cancel |
    """

    DEFAULT_CSS = PICKER_CSS.format(cls="ChoicePicker")
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="picker.cancel", tooltip=_("Close without choosing")),
        Binding("down", "list_down", _("Next"), id="picker.down", tooltip=_("Next choice"), show=False),
        Binding("up", "list_up", _("Previous"), id="picker.up", tooltip=_("Previous choice"), show=False),
    ]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, T]],
        *,
        allow_text: bool = False,
        current: T | None = None,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)
        self.allow_text = allow_text
        self.current = current
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            placeholder = _("Type to filter, or write your own…") if self.allow_text else _("Type to filter…")
            yield Input(placeholder=placeholder, id="picker-filter")
            yield OptionList(id="picker-list")
            if self.hint:
                yield Static(Text(self.hint), classes="picker-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-filter", Input).focus()

    def _fill(self, text: str) -> None:
        listing = self.query_one("#picker-list", OptionList)
        listing.clear_options()
        needle = text.strip().casefold()
        highlight = 0
        for i, (label, _value) in enumerate(self.options):
            if needle in label.casefold():
                if _value == self.current and not needle:
                    highlight = listing.option_count
                listing.add_option(Option(Text(label), id=str(i)))
        if listing.option_count:
            listing.highlighted = highlight

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.allow_text and text:
            exact = [value for label, value in self.options if label.casefold() == text.casefold()]
            self.dismiss(exact[0] if exact else text)
            return
        listing = self.query_one("#picker-list", OptionList)
        if listing.highlighted is not None:
            self._choose(listing.get_option_at_index(listing.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is not None:
            self.dismiss(self.options[int(option_id)][1])

    def action_list_down(self) -> None:
        self._move(1)

    def action_list_up(self) -> None:
        self._move(-1)

    def _move(self, delta: int) -> None:
        listing = self.query_one("#picker-list", OptionList)
        if self.allow_text and not listing.has_focus:
            # the list takes focus (enter then picks from it, not the typed text), on its highlighted choice
            listing.focus()
            return
        if listing.option_count:
            current = listing.highlighted if listing.highlighted is not None else -delta
            listing.highlighted = max(0, min(listing.option_count - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (a name); enter confirms, escape cancels. Empty text is refused.

    | Key | Action |
    | --- | --- |
    | enter | Confirm |
    | escape | Cancel |
    """

    DEFAULT_CSS = PICKER_CSS.format(cls="TextPrompt")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="prompt.cancel", tooltip=_("Close without saving"))]

    def __init__(self, title: str, value: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = _("enter confirms · escape cancels")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question: y or enter confirms, n or escape declines.

    | Key | Action |
    | --- | --- |
    | y, enter | Yes |
    | n, escape | No |
    """

    DEFAULT_CSS = PICKER_CSS.format(cls="Confirm")
    BINDINGS = [
        Binding("y,enter", "answer(True)", _("Yes"), id="confirm.yes", tooltip=_("Confirm")),
        Binding("n,escape", "answer(False)", _("No"), id="confirm.no", tooltip=_("Cancel")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("Confirm")
            box.border_subtitle = _("y: yes · n: no")
            yield Static(Text(self.question))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
