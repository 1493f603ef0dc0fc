"""Header and footer, translated where they are shown: screen titles and binding descriptions are English
msgids evaluated when the classes were defined."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets import Header as TextualHeader
from textual.widgets._footer import FooterKey, FooterLabel

from ..i18n import _


class Footer(TextualFooter):
    """Textual's footer with every key label and tooltip passed through `_()` (the current language)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description)
                if isinstance(widget.tooltip, str):
                    widget.tooltip = _(widget.tooltip)
            elif isinstance(widget, FooterLabel):
                widget.update(_(str(widget.content)))
            yield widget


class Header(TextualHeader):
    """Textual's header showing the screen's title in the current language."""

    def on_mount(self) -> None:
        title = self.screen.title
        if title:
            self.screen.title = _(title)
