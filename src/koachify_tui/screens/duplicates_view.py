"""The Duplicates screen's two panes, as pure views: the ranked group list and the side-by-side comparison.

Both only show what the screen hands them and post what the keys ask for (the screen owns the state: the
groups, the survivor, the picks). Every stored string goes in as `rich.text.Text`, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, OptionList
from textual.widgets.option_list import Option

from ..duplicate_text import moved_phrase, reason_text
from ..formatting import date_short
from ..i18n import _
from ..store.duplicate_types import DuplicateGroup, MergeUndoResult
from ..store.merge_preview import MergePreview

MOVED_KINDS = ("opportunity", "note", "task", "appointment", "message", "tag")


def moved_words(moved: Mapping[str, int]) -> str:
    """ "2 deals, 5 notes" (only what was moved)."""
    parts = [moved_phrase(kind, int(moved[kind])) or "" for kind in MOVED_KINDS if moved.get(kind)]
    return ", ".join(parts) if parts else _("no deals or activities")


def undo_words(outcome: MergeUndoResult, names: Mapping[int, str]) -> str:
    """ "Merge undone: Mario Rossi (#42) back with…", then each later edit the undo kept, with the reason."""
    back = ", ".join(f"{names.get(cid, '')} (#{cid})" for cid in outcome.restored_ids)
    lines = [_("Merge undone: {contacts} back with their own deals and activities").format(contacts=back)]
    for kept in outcome.kept:
        lines.append(_("kept on #{id}: {field}, {why}").format(id=kept.contact_id, field=kept.field, why=kept.reason))
    return "\n".join(lines)


def group_prompt(group: DuplicateGroup, names: Mapping[int, str], *, skipped: bool = False) -> Text:
    """Two lines: the score and the names, then the reasons (and "weak" when only the names are alike)."""
    who = " · ".join(names.get(cid, f"#{cid}") for cid in group.contact_ids)
    text = Text(f"{group.score:>3.0f} ", style="bold")
    text.append(who)
    text.append("\n    ")
    text.append("; ".join(reason_text(r) for r in group.reasons), style="dim")
    if not group.strong:
        text.append(" · ", style="dim")
        text.append(_("weak"), style="bold")
    if skipped:
        text.append(" · ", style="dim")
        text.append(_("skipped"), style="italic")
    return text


class GroupList(OptionList):
    """The groups, best first (`j`/`k` besides the arrows)."""

    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, id="duplicates.groups.down"),
        Binding("k", "cursor_up", _("Up"), show=False, id="duplicates.groups.up"),
    ]

    def show_groups(
        self, groups: list[DuplicateGroup], names: Mapping[int, str], skipped: set[tuple[int, ...]]
    ) -> None:
        highlighted = self.highlighted
        self.set_options(
            Option(group_prompt(g, names, skipped=g.contact_ids in skipped), id=",".join(map(str, g.contact_ids)))
            for g in groups
        )
        if groups:
            self.highlighted = min(highlighted or 0, len(groups) - 1)


class CompareTable(DataTable[Text]):
    """The contacts side by side, one row per field, then what hangs on each (deals, activities, tags, dates).

    `enter`/`space` on a conflicting field asks for the next contact's value; `←`/`→` (and `h`/`l`) ask for
    the survivor to move to the contact on the left / right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"compare--conflict", "compare--picked", "compare--other", "compare--count"}
    DEFAULT_CSS = """
    CompareTable > .compare--conflict { color: $text-warning; text-style: bold; }
    CompareTable > .compare--picked { color: $text-success; text-style: bold; }
    CompareTable > .compare--other { color: $foreground-muted; text-style: strike; }
    CompareTable > .compare--count { color: $foreground-muted; }
    """
    BINDINGS = [
        Binding("left,h", "shift(-1)", _("Survivor ←"), show=False, id="duplicates.survivor_left"),
        Binding("right,l", "shift(1)", _("Survivor →"), show=False, id="duplicates.survivor_right"),
        Binding("space", "select_cursor", _("Pick"), show=False, id="duplicates.pick_space"),
        Binding("j", "cursor_down", _("Down"), show=False, id="duplicates.compare.down"),
        Binding("k", "cursor_up", _("Up"), show=False, id="duplicates.compare.up"),
    ]

    class ShiftSurvivor(Message):
        """`←`/`→`: the survivor moves this many contacts to the right (negative: left)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]

    _shown: tuple[MergePreview, int, Mapping[str, int], str] | None = None

    def on_resize(self) -> None:
        """The contacts' columns share the width: a new width lays them out again."""
        if self._shown is not None:
            self.show(*self._shown)

    def action_shift(self, step: int) -> None:
        self.post_message(self.ShiftSurvivor(step))

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"compare--{name}", partial=True)

    def show(self, preview: MergePreview, survivor: int, picks: Mapping[str, int], locale: str) -> None:
        """Redraw for this survivor and these picks, keeping the cursor on the same row."""
        self._shown = (preview, survivor, picks, locale)
        row = self.cursor_row
        self.clear(columns=True)
        counts = _count_rows(preview, locale)
        labels = [_("Field"), *(f.label for f in preview.fields if any(f.values)), *(label for _k, label, _c in counts)]
        label_width = min(max(map(len, labels)), 18)
        self.add_column(Text(_("Field")), key="field", width=label_width)
        width = self._value_width(label_width, len(preview.contacts))
        for summary in preview.contacts:
            head = Text(f"#{summary.contact_id} ")
            head.append(summary.display_name)
            if summary.contact_id == survivor:
                head.append(" ★", style="bold")
            self.add_column(head, key=str(summary.contact_id), width=width)
        for field in preview.fields:
            if any(field.values):
                self.add_row(*self._field_cells(preview, field.key, picks), key=field.key)
        for key, label, cells in counts:
            self.add_row(Text(label, style=self._style("count")), *(Text(c) for c in cells), key=key)
        if self.row_count:
            self.move_cursor(row=min(max(row, 0), self.row_count - 1))

    def _value_width(self, label_width: int, contacts: int) -> int | None:
        """Each contact's column shares what the labels leave, so every contact fits (a long value is cut)."""
        available = self.scrollable_content_region.width
        if available <= 0:
            return None  # not laid out yet: the columns size to their content
        return max((available - label_width - 2 * (contacts + 1) - 1) // contacts, 8)

    def _field_cells(self, preview: MergePreview, key: str, picks: Mapping[str, int]) -> list[Text]:
        field = next(f for f in preview.fields if f.key == key)
        label = Text(field.label, style=self._style("conflict") if field.conflict else "")
        cells = [label]
        for cid, value in zip(preview.contact_ids, field.values, strict=True):
            if not field.conflict or not value:
                cells.append(Text(value))
            elif picks.get(key) == cid:
                cells.append(Text("▸ " + value, style=self._style("picked")))
            else:
                cells.append(Text(value, style=self._style("other")))
        return cells


def _count_rows(preview: MergePreview, locale: str) -> list[tuple[str, str, list[str]]]:
    """(row key, label, one cell per contact) for what hangs on each contact."""
    contacts = preview.contacts

    def when(value: datetime | None) -> str:
        return date_short(value, locale) if value is not None else "–"

    rows = [
        ("count:deals", _("Deals"), [str(c.deals) for c in contacts]),
        ("count:notes", _("Notes"), [str(c.notes) for c in contacts]),
        ("count:tasks", _("Tasks"), [str(c.tasks) for c in contacts]),
        ("count:appointments", _("Appointments"), [str(c.appointments) for c in contacts]),
        ("count:messages", _("Messages"), [str(c.messages) for c in contacts]),
        ("count:tags", _("Tags"), [", ".join(c.tags) or "–" for c in contacts]),
        ("count:created", _("Created"), [when(c.created_at) for c in contacts]),
        ("count:last", _("Last activity"), [when(c.last_activity_at) for c in contacts]),
    ]
    if any(c.extra_emails or c.extra_phones for c in contacts):
        rows.append(
            (
                "count:extra",
                _("Other emails/phones"),
                [", ".join((*c.extra_emails, *c.extra_phones)) or "–" for c in contacts],
            )
        )
    return rows
