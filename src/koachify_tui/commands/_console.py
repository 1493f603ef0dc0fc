"""A Rich console that renders stored text visibly: control characters in any table cell or line it prints
become pictures (␛), bidi controls are dropped. Rich's own styling is untouched."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from ..safe_text import visible


class SafeConsole(Console):
    """Console whose text segments pass safe_text.visible before any style codes are added."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            Segment(text if control else visible(text), style, control) for text, style, control in buffer
        )
