"""`u` on a "Merged with …" timeline line: undo that merge later, from the survivor's timeline.

`MergeLineActions` is the base of the timeline line's full view (screens/timeline_item.py): for a line of kind
"merged" it says whether the merge can still be undone, and `u` undoes it through `store.undo_merge`, then shows
which contacts came back and which later edits of the survivor were kept (with the reason).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from ..formatting import datetime_short
from ..i18n import _
from ..store import NotFound
from ..store.duplicate_types import MergeUndoResult
from .duplicates_view import undo_words
from .writes import ScreenWrites

if TYPE_CHECKING:
    from ..store import Store, TimelineItem

MERGED = "merged"  # HistoryKind.MERGED


class MergeLineActions(ScreenWrites, ModalScreen[int | None]):
    """`u` "Undo this merge" on a merge's timeline line (other lines: no such key)."""

    BINDINGS = [
        Binding(
            "u", "undo_merge", _("Undo this merge"), id="item.undo_merge", tooltip=_("Give back the merged contact")
        ),
    ]
    item: TimelineItem
    locale: str
    merge_id: int | None = None
    merge_undone: MergeUndoResult | None = None
    _merge_gone = False  # undone already (here, from the CLI or the Duplicates screen)

    @property
    def store(self) -> Store:
        return self.app.store  # type: ignore[attr-defined, no-any-return]

    def on_mount(self) -> None:
        if self.item.kind != MERGED:
            return
        self.merge_id = self.store.merge_of_history_line(self.item.ref_id)
        line = _("u undoes this merge: the merged contact comes back with its own items.")
        if self.merge_id is not None:
            try:
                merge = self.store.get_merge(self.merge_id)
            except NotFound:
                self.merge_id = None
            else:
                if merge.undone_at is not None:
                    self._merge_gone = True
                    line = _("This merge was undone on {when}.").format(
                        when=datetime_short(merge.undone_at, self.locale)
                    )
        if self.merge_id is None:
            return
        box = self.query_one("#item-box")
        box.mount(Static(Text(line), id="item-merge", markup=False))
        if not self._merge_gone:
            box.border_subtitle = _("u undo this merge · escape close")
        self.refresh_bindings()

    def merge_check(self, action: str) -> bool | None:
        """check_action for `undo_merge`; the subclass asks it for actions it does not know."""
        if action == "undo_merge":
            return self.merge_id is not None and not self._merge_gone and self.merge_undone is None
        return True

    def action_undo_merge(self) -> None:
        if self.merge_id is None or self._merge_gone or self.merge_undone is not None:
            return
        self.run_store_write(partial(self.store.undo_merge, self.merge_id, origin="tui"), done=self._undone)

    def _undone(self, outcome: Any) -> None:
        self.merge_undone = outcome
        names = self.store.duplicate_names([*outcome.restored_ids, outcome.survivor_id])
        self.query_one("#item-merge", Static).update(Text(undo_words(outcome, names)))
        self.query_one("#item-box").border_subtitle = _("escape close")
        self.refresh_bindings()
