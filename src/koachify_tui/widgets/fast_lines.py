"""A line widget's frame without Textual's per-line styling pass, for the plain case.

`Widget.render_lines` sends every line through the styles cache: per line it works out the border's colours and
box segments again, wraps the content in new `Strip`s and runs each app filter into another one. For the contact
list that is ~90 µs a line, two thirds of a search keystroke's frame (42 lines at 180×48). When the widget has no
padding, tint, opacity, outline or hatch, a content line is exactly its border's left segment, the line's own
segments and the right segment; those are worked out once per frame here. Border rows (the title) and any other
style go through the styles cache as before. tests/test_fast_lines.py holds the two paths to the same strips, so a
Textual upgrade that changes its rendering fails there instead of drawing differently.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual._border import get_box
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


def _plain(widget: Widget) -> bool:
    """No style the styles cache applies to a content line beyond its left and right border."""
    styles = widget.styles
    return (
        not any(styles.padding)
        and not styles.tint.a
        and widget.opacity == 1.0
        and styles.text_opacity == 1.0
        and not any(edge for edge, _color in styles.outline)
        and (not styles.has_rule("hatch") or styles.hatch == "none")
    )


def _edges(
    widget: Widget, base_background: Color, background: Color
) -> tuple[Segment | None, Segment | None, RichStyle]:
    """The left and right border segments of a content line (None: no border on that side), and the inner
    style a short line is padded with: as the styles cache makes them, at opacity 1."""
    inner, outer = widget._styles_cache.get_inner_outer(base_background, background)
    (_top, (right, right_color), _bottom, (left, left_color)) = widget.styles.border
    sides: list[Segment | None] = []
    for edge, color, index in ((left, left_color, 0), (right, right_color, 2)):
        style = Style(foreground=base_background + color)
        sides.append(get_box(edge, inner, outer, style)[1][index] if edge else None)
    return sides[0], sides[1], inner.rich_style


def render_lines(widget: Widget, crop: Region, render_line: Callable[[int], Strip]) -> list[Strip] | None:
    """The strips of `crop` as `Widget.render_lines` draws them, content lines built here; None when the
    widget's styles are not the plain case (the caller then lets Textual draw)."""
    if not _plain(widget):
        return None
    width, height = widget.region.size
    content_width = widget.content_region.width
    border = widget.styles.border
    top, bottom = int(bool(border.top[0])), int(bool(border.bottom[0]))
    base_background, background = widget.background_colors
    left, right, inner = _edges(widget, base_background, background)
    filters = widget.get_line_filters()
    x1, x2 = crop.column_span
    cropped = (x1, x2) != (0, width)
    strips: list[Strip] = []
    for y in crop.line_range:
        if y < top or y >= height - bottom:  # a border row (the title): the styles cache's
            strips += widget._styles_cache.render_widget(widget, Region(x1, y, x2 - x1, 1))
            continue
        line = render_line(y - top)
        if line.cell_length != content_width:
            line = line.adjust_cell_length(content_width, inner)
        segments = list(line)
        if left is not None:
            segments.insert(0, left)
        if right is not None:
            segments.append(right)
        for line_filter in filters:
            segments = line_filter.apply(segments, background)
        strip = Strip(segments, width)
        strips.append(strip.crop(x1, x2) if cropped else strip)
    return strips
