"""The Duplicates screen: likely duplicates ranked by score, side by side, merged with one key and undone with one.

State lives here (the groups, the group shown, its survivor and the user's picks); `GroupList` and
`CompareTable` only show it. The finder runs in an exclusive thread worker in two passes: the strong groups (a
shared email or phone: the key indexes, a fraction of the whole pass) with the best one's side-by-side, painted
in one frame, then the whole list, which completes them without moving the rows above the cursor. Merges, undos
and "not a duplicate" go through `run_store_write` like every other screen write.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import combinations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, OptionList, Static
from textual.worker import get_current_worker

from ..i18n import _, ngettext
from ..messages import StoreChanged
from ..store import Store
from ..store.duplicate_types import DuplicateGroup, MergeResult, MergeUndoResult
from ..store.merge_preview import MergePreview
from ..widgets.chrome import Footer, Header
from .base import AppAccess
from .contact_forms import ConfirmDialog
from .duplicates_view import CompareTable, GroupList, moved_words, undo_words
from .writes import WRITE_ERRORS, ScreenWrites, error_text


@dataclass
class LastMerge:
    """The merge `u` undoes: the result and the group it came from (put back in the list by the undo)."""

    result: MergeResult
    group: DuplicateGroup
    position: int
    names: dict[int, str]


def _grown(group: DuplicateGroup, groups: list[DuplicateGroup]) -> DuplicateGroup | None:
    """The group of the whole list that holds most of `group`'s contacts (itself, or itself grown by the
    name pass), None when none holds any."""
    mine = set(group.contact_ids)
    best = max(groups, key=lambda g: len(mine & set(g.contact_ids)), default=None)
    return best if best is not None and mine & set(best.contact_ids) else None


class DuplicatesScreen(ScreenWrites, AppAccess, Screen[None]):
    """Likely duplicate contacts: pick the survivor and the values that survive, merge, or say they differ.

    | Key | Action |
    | --- | --- |
    | tab | Switch between the groups and the side-by-side |
    | j, k, ↑, ↓ | Move (groups, or the fields of the side-by-side) |
    | 1, 2, 3… / ←, → | Choose the surviving contact |
    | enter, space (on a highlighted conflicting field) | Next contact's value survives |
    | m | Merge (after confirming; says what moved) |
    | u | Undo the merge just made |
    | s | Skip this group for now |
    | i | Not a duplicate: never suggest these again |
    | escape | Back |
    """

    TITLE = _("Duplicates")
    CSS_PATH = "duplicates.tcss"
    BINDINGS = [
        Binding("m", "merge", _("Merge"), id="duplicates.merge", tooltip=_("Merge the group into the survivor")),
        Binding("u", "undo", _("Undo"), id="duplicates.undo", tooltip=_("Undo the merge just made")),
        Binding("s", "skip", _("Skip"), id="duplicates.skip", tooltip=_("Leave this group for now")),
        Binding("i", "ignore", _("Not a duplicate"), id="duplicates.ignore", tooltip=_("Never suggest them again")),
        Binding("escape", "back", _("Back"), id="duplicates.back", tooltip=_("Back to the previous screen")),
        *(
            Binding(str(n), f"survivor({n - 1})", _("Survivor"), show=False, id=f"duplicates.survivor{n}")
            for n in range(1, 10)
        ),
    ]

    def __init__(self, batch_id: int | None = None) -> None:
        super().__init__()
        self.batch_id = batch_id  # an import batch's groups (store.batch_duplicates); None: the whole database
        self.groups: list[DuplicateGroup] = []
        self.names: dict[int, str] = {}
        self.skipped: set[tuple[int, ...]] = set()
        self.ignored: set[tuple[int, ...]] = set()  # marked "not a duplicate" here (the whole list may predate it)
        self.gone: set[int] = set()  # merged away here (idem)
        self.preview: MergePreview | None = None
        self.survivor: int | None = None
        self.chosen: dict[str, int] = {}  # field -> contact, the user's picks (the rest: defaults)
        self.last_merge: LastMerge | None = None
        self.searching = True

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dupes-body"):
            yield GroupList(id="dupes-groups")
            with Vertical(id="dupes-side"):
                yield Static(Text(_("Looking for duplicates…")), id="dupes-title")
                yield CompareTable(id="dupes-compare")
                yield Static("", id="dupes-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GroupList).border_title = _("Groups")
        self.query_one(CompareTable).focus()
        self._load_groups()

    # --- loading ------------------------------------------------------------------------------------

    def _find(self, store: Store, *, strong_only: bool = False) -> list[DuplicateGroup]:
        """The whole list's groups, or those of the batch (the import summary's count, `duplicates list --batch`)."""
        if self.batch_id is None:
            return store.find_duplicates(strong_only=strong_only)
        return store.batch_duplicates(self.batch_id, strong_only=strong_only)

    @work(thread=True, exclusive=True, group="duplicates-load")
    def _load_groups(self) -> None:
        """Two passes off the UI thread: the strong groups (a shared email or phone, from the key indexes)
        are painted with the first one's side-by-side as soon as they are known, then the whole list (the
        name pass too) completes them without moving the rows the user has reached (`_complete_groups`)."""
        store = self.store
        worker = get_current_worker()
        try:
            strong = self._find(store, strong_only=True)
            preview = self._read_preview(store, strong[0]) if strong else None
            names = store.duplicate_names([cid for g in strong for cid in g.contact_ids])
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self._show_groups, strong, names, preview, still_looking=True)
            groups = self._find(store)
            names = store.duplicate_names([cid for g in groups for cid in g.contact_ids])
        except WRITE_ERRORS as exc:  # a database error: a message on the screen, never a crash
            self.app.call_from_thread(self._load_failed, exc)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._complete_groups, groups, names)

    def _load_failed(self, exc: Exception) -> None:
        self.searching = False
        if self.is_mounted:
            self.query_one("#dupes-title", Static).update(Text(error_text(exc)))

    @staticmethod
    def _read_preview(store: Store, group: DuplicateGroup) -> MergePreview | None:
        try:
            return store.merge_preview(group.contact_ids)
        except WRITE_ERRORS:  # merged or deleted meanwhile (NotFound), or unreadable: dropped from the list
            return None

    def _show_groups(
        self,
        groups: list[DuplicateGroup],
        names: dict[int, str],
        preview: MergePreview | None,
        *,
        still_looking: bool = False,
    ) -> None:
        if not self.is_mounted:
            return
        current = self.current_group
        self.groups, self.names, self.searching = list(groups), names, still_looking
        self._refresh_list()
        if preview is not None:
            self._show_preview(preview)
        elif current is not None and current in self.groups:
            self.query_one(GroupList).highlighted = self.groups.index(current)
        elif self.groups and self.preview is None:
            self._open_group(0)
        if not self.groups and not still_looking:
            self._show_empty()
        self._update_title()

    def _complete_groups(self, groups: list[DuplicateGroup], names: dict[int, str]) -> None:
        """The whole list replaces the strong groups, the rows up to the highlighted one staying where the user
        saw them (a group the name pass grew is shown grown, in its place); what is merged, marked or gone
        meanwhile stays out, what was skipped stays last."""
        if not self.is_mounted:
            return
        self.names.update(names)
        self.searching = False
        fresh = [g for g in groups if self.gone.isdisjoint(g.contact_ids) and g.contact_ids not in self.ignored]
        index = self.query_one(GroupList).highlighted
        seen = self.groups[: (index + 1 if index is not None else 0)]
        kept = [_grown(g, fresh) for g in seen]
        placed = [g for g in kept if g is not None]
        rest = [g for g in fresh if g not in placed]
        skipped = [g for g in rest if g.contact_ids in self.skipped]
        self.groups = list(dict.fromkeys(placed)) + [g for g in rest if g not in skipped] + skipped
        shown = self.current_group
        self._refresh_list()
        if not self.groups:
            self._show_empty()
        elif self.preview is None or shown is None or self.preview.contact_ids != shown.contact_ids:
            self._open_group(min(index or 0, len(self.groups) - 1))
        self._update_title()

    def _refresh_list(self) -> None:
        self.query_one(GroupList).show_groups(self.groups, self.names, self.skipped)

    @property
    def current_group(self) -> DuplicateGroup | None:
        index = self.query_one(GroupList).highlighted
        return self.groups[index] if index is not None and 0 <= index < len(self.groups) else None

    @on(OptionList.OptionHighlighted, "#dupes-groups")
    def _group_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        group = self.current_group
        if group is not None and (self.preview is None or self.preview.contact_ids != group.contact_ids):
            self._open_group(event.option_index)

    @on(OptionList.OptionSelected, "#dupes-groups")
    def _group_selected(self) -> None:
        self.query_one(CompareTable).focus()

    def _open_group(self, index: int) -> None:
        if not 0 <= index < len(self.groups):
            return
        groups = self.query_one(GroupList)
        if groups.highlighted != index:
            with groups.prevent(OptionList.OptionHighlighted):
                groups.highlighted = index
        self._load_preview(self.groups[index])

    @work(thread=True, exclusive=True, group="duplicates-preview")
    def _load_preview(self, group: DuplicateGroup, keep: bool = False) -> None:
        """The side-by-side of a group, read off the UI thread (a stale one is dropped as the cursor moves on).
        `keep`: a re-read after a change elsewhere keeps the survivor and the picks."""
        preview = self._read_preview(self.store, group)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._preview_loaded, group, preview, keep)

    def _preview_loaded(self, group: DuplicateGroup, preview: MergePreview | None, keep: bool) -> None:
        if not self.is_mounted or group not in self.groups:
            return
        if preview is None:  # merged or deleted meanwhile
            index = self.groups.index(group)
            del self.groups[index]
            self._refresh_list()
            self._open_group(min(index, len(self.groups) - 1)) if self.groups else self._show_empty()
            return
        if self.current_group != group:
            return  # the cursor has moved on: its own read follows
        if keep and self.preview is not None and self.preview.contact_ids == preview.contact_ids:
            survivor, chosen = self.survivor, self.chosen
            self.preview = preview
            self.survivor = survivor if survivor in preview.contact_ids else preview.contact_ids[0]
            self.chosen = {k: v for k, v in chosen.items() if v in preview.contact_ids}
            self._redraw()
        else:
            self._show_preview(preview)

    @property
    def shown_group(self) -> DuplicateGroup | None:
        """The group on the side-by-side: what `m`, `s` and `i` act on (the highlight may be a step ahead)."""
        preview = self.preview
        if preview is None:
            return None
        return next((g for g in self.groups if g.contact_ids == preview.contact_ids), None)

    def _show_preview(self, preview: MergePreview) -> None:
        self.preview, self.chosen = preview, {}
        self.survivor = preview.contact_ids[0]  # the oldest: the record most links point to
        if self.groups and preview.contact_ids in [g.contact_ids for g in self.groups]:
            self.query_one(GroupList).highlighted = [g.contact_ids for g in self.groups].index(preview.contact_ids)
        self._redraw()

    def _redraw(self) -> None:
        preview, survivor = self.preview, self.survivor
        table = self.query_one(CompareTable)
        table.display = preview is not None
        if preview is None or survivor is None:
            return
        table.show(preview, survivor, preview.picks(survivor, self.chosen), self.locale)
        self._update_title()
        self.refresh_bindings()

    def _update_title(self) -> None:
        title = self.query_one("#dupes-title", Static)
        n = len(self.groups)
        if not n and not self.searching:
            title.update(Text(_("No likely duplicates left.")))
            return
        line = ngettext("{n} group of likely duplicates", "{n} groups of likely duplicates", n).format(n=n)
        if self.searching:
            line += " " + _("(still looking…)")
        if self.batch_id is not None:
            line += " · " + _("among the imported contacts")
        if self.preview is not None and self.survivor is not None:
            name = self.names.get(self.survivor) or self.preview.summary(self.survivor).display_name
            line += "\n" + _("Survivor ★ {name} (#{id}) · 1, 2… ←/→ change it · enter picks a value").format(
                name=name, id=self.survivor
            )
        title.update(Text(line))

    def _show_empty(self) -> None:
        self.preview = self.survivor = None
        self.query_one(CompareTable).display = False
        self._update_title()
        self.refresh_bindings()

    def on_store_changed(self, _message: StoreChanged) -> None:
        """Something changed elsewhere: the side-by-side is re-read (a contact may be gone or edited)."""
        group = self.current_group  # the highlighted one: a read for it may be under way (this one replaces it)
        if group is not None and not self.write_pending:
            self._load_preview(group, keep=True)

    # --- choosing -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"merge", "skip", "ignore"}:
            return self.preview is not None
        # "survivor" stays enabled: a digit with no such contact must not fall through to the app's screen keys
        if action == "undo":
            return self.last_merge is not None or None
        return True

    def action_survivor(self, index: int) -> None:
        if self.preview is not None and not 0 <= index < len(self.preview.contact_ids):
            n = len(self.preview.contact_ids)
            self.notify(ngettext("This group has {n} contact", "This group has {n} contacts", n).format(n=n), timeout=2)
        elif self.preview is not None:
            self.survivor = self.preview.contact_ids[index]
            self.chosen = {}  # the defaults follow the survivor (its values, unless empty)
            self._redraw()

    @on(CompareTable.ShiftSurvivor)
    def _shift_survivor(self, event: CompareTable.ShiftSurvivor) -> None:
        if self.preview is not None and self.survivor is not None:
            ids = self.preview.contact_ids
            self.action_survivor((ids.index(self.survivor) + event.step) % len(ids))

    @on(DataTable.RowSelected, "#dupes-compare")
    def _cycle_pick(self, event: DataTable.RowSelected) -> None:
        """enter/space on a conflicting field: the next contact with a value there wins it."""
        preview, survivor = self.preview, self.survivor
        key = str(event.row_key.value)
        field = next((f for f in preview.fields if f.key == key), None) if preview else None
        if preview is None or survivor is None or field is None:
            return
        if not field.conflict:
            self.notify(_("Nothing to choose: the values agree"), timeout=2)
            return
        current = preview.picks(survivor, self.chosen)[key]
        with_value = [cid for cid, value in zip(preview.contact_ids, field.values, strict=True) if value]
        self.chosen[key] = with_value[(with_value.index(current) + 1) % len(with_value)]
        self._redraw()

    # --- merge, undo, skip, ignore ------------------------------------------------------------------

    def action_merge(self) -> None:
        preview, survivor, group = self.preview, self.survivor, self.shown_group
        if preview is None or survivor is None or group is None:
            return
        others = [cid for cid in preview.contact_ids if cid != survivor]
        picks = preview.picks(survivor, self.chosen)
        names = {c.contact_id: c.display_name for c in preview.contacts}
        question = _("Merge {others} into {name} (#{id})? Their deals and activities move to it; u undoes.").format(
            others=", ".join(f"{names[cid]} (#{cid})" for cid in others), name=names[survivor], id=survivor
        )
        position = self.groups.index(group)

        def confirmed(yes: bool | None) -> None:
            if yes:
                merge = partial(self.store.merge_contacts, survivor, others, prefer=picks, origin="tui")
                self.run_store_write(merge, done=lambda result: self._merged(result, group, position, names))

        self.app.push_screen(ConfirmDialog(question, _("Merge duplicates")), confirmed)

    def _merged(self, result: MergeResult, group: DuplicateGroup, position: int, names: dict[int, str]) -> None:
        self.last_merge = LastMerge(result, group, position, names)
        gone = set(result.merged_ids)
        self.gone |= gone
        self.groups = [g for g in self.groups if g != group and not gone & set(g.contact_ids)]
        others = ", ".join(f"{names.get(cid, '')} (#{cid})" for cid in result.merged_ids)
        self._status(
            _("Merged {others} into #{id}: {moved} moved — u undoes").format(
                others=others, id=result.survivor_id, moved=moved_words(result.moved)
            )
        )
        self._after_list_change(position)

    def action_undo(self) -> None:
        last = self.last_merge
        if last is None:
            self.notify(_("Nothing to undo"), timeout=2)
            return
        undo = partial(self.store.undo_merge, last.result.merge_id, origin="tui")
        self.run_store_write(undo, done=lambda outcome: self._unmerged(outcome, last))

    def _unmerged(self, outcome: MergeUndoResult, last: LastMerge) -> None:
        self.last_merge = None
        self.gone -= set(last.result.merged_ids)
        position = min(last.position, len(self.groups))
        self.groups.insert(position, last.group)
        self.names.update(last.names)
        self._status(undo_words(outcome, last.names))
        self._refresh_list()
        self.preview = None
        self._open_group(position)

    def action_skip(self) -> None:
        group = self.shown_group
        if group is None:
            return
        self.skipped.add(group.contact_ids)
        position = self.groups.index(group)
        self.groups.append(self.groups.pop(position))  # seen last, after the ones not looked at yet
        self._status(_("Skipped: it stays in the list, at the end"))
        self._after_list_change(position)

    def action_ignore(self) -> None:
        group = self.shown_group
        if group is None:
            return

        def ignore() -> None:
            for a, b in combinations(group.contact_ids, 2):
                self.store.ignore_duplicate(a, b, origin="tui")

        def done(_result: object) -> None:
            self.ignored.add(group.contact_ids)
            position = self.groups.index(group) if group in self.groups else 0
            self.groups = [g for g in self.groups if g != group]
            names = " · ".join(self.names.get(cid, f"#{cid}") for cid in group.contact_ids)
            self._status(_("Not duplicates: {names} will not be suggested again").format(names=names))
            self._after_list_change(position)

        self.run_store_write(ignore, done=done)

    def _after_list_change(self, position: int) -> None:
        self._refresh_list()
        self.preview = None
        if self.groups:
            self._open_group(min(position, len(self.groups) - 1))
        else:
            self._show_empty()
        self.refresh_bindings()

    def _status(self, message: str) -> None:
        self.query_one("#dupes-status", Static).update(Text(message))

    def action_back(self) -> None:
        self.dismiss(None)
