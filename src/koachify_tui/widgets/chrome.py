"""Header and footer, translated where they are shown: screen titles and binding descriptions are English
msgids evaluated when the classes were defined."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets import Header as TextualHeader
from textual.widgets._footer import FooterKey, FooterLabel

from ..i18n import _, current_language


class Footer(TextualFooter):
    """Textual's footer with every key label and tooltip passed through `_()` (the current language), drawn
    again only when what it shows changes."""

    _shown: tuple[object, ...] | None = None

    def _showing(self) -> tuple[object, ...]:
        """All that `compose` draws from: every active binding as it would show it, the language and the style."""
        bindings = tuple(
            (b.key, self.app.get_key_display(b), b.description, b.action, b.group, b.show, enabled, tooltip)
            for _node, b, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (current_language(), self.compact, self.show_command_palette, bindings)

    async def recompose(self) -> None:
        """Textual recomposes the footer on every bindings signal of its screen: six times as the contact list
        starts, five of them with the same keys (70–95 ms each, the key widgets mounted and styled again, right
        after the first frame). The same keys are not mounted again."""
        shown = self._showing() if self._bindings_ready and self.is_attached else None
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

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
