"""One timeline line in full: `enter` on the timeline opens it (the table keeps one short line per item)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from ..formatting import datetime_short
from ..i18n import _
from ..store import TimelineItem
from ..widgets.timeline import KIND_LABELS, item_text
from .merge_undo import MergeLineActions

#: What `enter` on the timeline opens: the deal itself for the deal's own history, this view for the rest.
DEAL_KINDS = frozenset({"created", "stage_change", "status_change"})


class TimelineItemScreen(MergeLineActions):
    """A note, task, appointment, message or change, wrapped in full. Dismisses with the deal's id when `o`
    asks to open it, else None.

    | Key | Action |
    | --- | --- |
    | escape, enter, q | Close |
    | o | Open the deal it belongs to |
    | u | Undo this merge (on a "Merged with …" line) |
    """

    DEFAULT_CSS = """
    TimelineItemScreen { align: center middle; }
    TimelineItemScreen #item-box {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    TimelineItemScreen #item-meta { color: $foreground-muted; }
    TimelineItemScreen #item-body { height: auto; max-height: 30; }
    """
    BINDINGS = [
        Binding("escape,enter,q", "close", _("Close"), id="item.close", tooltip=_("Back to the timeline")),
        Binding("o", "open_deal", _("Open deal"), id="item.deal", tooltip=_("Open the deal it belongs to")),
    ]

    def __init__(self, item: TimelineItem, *, locale: str = "it_IT") -> None:
        super().__init__()
        self.item = item
        self.locale = locale

    def compose(self) -> ComposeResult:
        item = self.item
        meta = [KIND_LABELS.get(item.kind, item.kind), datetime_short(item.at, self.locale)]
        if item.opportunity_title:
            meta.append(_("deal “{title}” (o opens it)").format(title=item.opportunity_title))
        with Vertical(id="item-box") as box:
            box.border_title = KIND_LABELS.get(item.kind, item.kind)
            box.border_subtitle = _("escape close")
            yield Static(Text(" · ".join(meta)), id="item-meta")
            with VerticalScroll(id="item-body"):
                body = Text(item.text) if item.text else item_text(item)
                if item.kind in DEAL_KINDS or item.kind == "message" or item.kind == "appointment":
                    body = item_text(item)
                    if item.text and item.text not in body.plain:
                        body.append("\n" + item.text)
                yield Static(body, id="item-text")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_deal" and self.item.opportunity_id is None:
            return None
        return self.merge_check(action)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open_deal(self) -> None:
        if self.item.opportunity_id is not None:
            self.dismiss(self.item.opportunity_id)
