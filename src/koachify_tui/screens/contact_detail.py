"""Contact detail: header, opportunities and the merged timeline. A pane beside the list on wide terminals,
its own screen (`ContactDetailScreen`) on narrow ones; both host the same `ContactDetailPane`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ..formatting import date_short, money, phone
from ..i18n import _
from ..messages import StoreChanged
from ..store import ContactRow, NotFound, OpportunityRow, Store, TimelineItem
from ..store.timeline import KIND_GROUPS
from ..widgets.chrome import Footer, Header
from ..widgets.timeline import PAGE, TimelineView
from .activity_keys import ItemActions, item_ref
from .base import AppAccess
from .contact_forms import ActivityForm, ContactForm, TagPicker, Target
from .writes import ScreenWrites

KIND_FILTERS: tuple[str | None, ...] = (None, "notes", "tasks", "appointments", "messages", "changes")
KIND_NAMES = {
    None: _("everything"),
    "notes": _("notes"),
    "tasks": _("tasks"),
    "appointments": _("appointments"),
    "messages": _("messages"),
    "changes": _("changes"),
}
STATUS_NAMES = {"open": _("open"), "won": _("won"), "lost": _("lost"), "abandoned": _("abandoned")}


@dataclass
class DetailData:
    """Everything the pane shows, read in one worker pass."""

    row: ContactRow
    custom: list[tuple[str, str]] = field(default_factory=list)
    opportunities: list[OpportunityRow] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)
    automations: list[str] = field(default_factory=list)


def automation_lines(store: Store, contact_id: int) -> list[str]:
    """Active sequences and rules that ran on the contact, from the automations package when present."""
    try:
        from ..automations import contact_automations
    except ImportError:
        return []
    info = contact_automations(store, contact_id)
    lines = [
        _("Sequence “{name}” step {step}/{steps}").format(name=e.sequence, step=e.next_step + 1, steps=e.steps)
        for e in info.sequences
        if e.status == "active"
    ]
    lines += [_("Rule “{name}” ran {n}×").format(name=r.name, n=r.runs) for r in info.rules if r.enabled]
    return lines


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def load_detail(
    store: Store,
    contact_id: int,
    kinds: str | None,
    opportunity_id: int | None,
    limit: int = PAGE,
    locale: str = "it_IT",
) -> DetailData:
    row = store.contact_row(contact_id)
    labels = {d.key: d.label for d in store.list_fields("contact")}
    custom = [(labels.get(k, k), _field_text(v)) for k, v in store.field_values("contact", contact_id).items()]
    opps = store.list_opportunities(contact_id=contact_id)
    items = store.timeline(
        contact_id,
        kinds=KIND_GROUPS[kinds] if kinds else None,
        opportunity_id=opportunity_id,
        limit=limit,
        locale=locale,
    )
    return DetailData(row, custom, opps, items, automation_lines(store, contact_id))


class ContactDetailPane(Vertical):
    """One contact: header, deals and merged timeline, with keys to add to it.

    | Key | Action |
    | --- | --- |
    | N | Add a note |
    | T | Add a task (with due date) |
    | a | Add an appointment |
    | m | Log a message or call |
    | O | Add a note to one of its deals (the highlighted or only one; else pick it) |
    | e | Timeline: edit the highlighted note, task, appointment or message (other lines: the contact) |
    | d | Timeline: delete it — u undoes right after |
    | x, space | Timeline: complete / reopen the highlighted task |
    | z | Timeline: snooze the task (1…9 days, w a week, or a date) |
    | u | Timeline: undo the last of these (else the screen's u) |
    | f | Timeline: cycle kind (notes, tasks, appointments, messages, changes) |
    | p | Timeline: cycle deal |
    | enter (on a deal) | Open the deal |
    | enter (on the timeline) | The line in full (a note, a message…), or the deal for its history |
    """

    DEFAULT_CSS = """
    ContactDetailPane { height: 1fr; }
    ContactDetailPane #detail-header { height: auto; max-height: 14; padding: 0 1; }
    ContactDetailPane #detail-opps { height: auto; max-height: 8; }
    ContactDetailPane #timeline-filter { height: 1; padding: 0 1; color: $foreground-muted; }
    ContactDetailPane #timeline { height: 1fr; }
    """
    BINDINGS = [
        Binding("N", "add('note')", _("Note"), id="detail.note", tooltip=_("Add a note to the contact or a deal")),
        Binding("T", "add('task')", _("Task"), id="detail.task", tooltip=_("Add a task with a due date")),
        Binding("a", "add('appointment')", _("Appointment"), id="detail.appointment", tooltip=_("Add an appointment")),
        Binding("m", "add('message')", _("Log message"), id="detail.message", tooltip=_("Log a message or a call")),
        Binding("O", "deal_note", _("Deal note"), id="detail.deal_note", tooltip=_("Add a note to one of its deals")),
        Binding("f", "cycle_kind", _("Kind"), id="detail.kind", tooltip=_("Filter the timeline by kind")),
        Binding("p", "cycle_deal", _("Deal"), id="detail.deal", tooltip=_("Filter the timeline by deal")),
    ]

    class Loaded(Message):
        """The pane finished showing a contact (tests and the screen wait on it)."""

    def __init__(self, *, locale: str = "it_IT", id: str | None = "contact-detail") -> None:
        super().__init__(id=id)
        self.locale = locale
        self.contact_id: int | None = None
        self.kinds: str | None = None
        self.opportunity_id: int | None = None
        self.data: DetailData | None = None
        self.border_title = _("Contact")
        self.items = ItemActions(self, self.reload)

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-header", markup=False)
        yield DataTable(id="detail-opps", cursor_type="row")
        yield Static("", id="timeline-filter", markup=False)
        yield TimelineView(locale=self.locale)

    def on_mount(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.item_keys = True
        timeline.undoable = lambda: self.items.can_undo(self.contact_id)
        self._reset_deals()

    def _reset_deals(self) -> DataTable[Any]:
        """The deals table emptied with fresh columns: a DataTable's auto widths only grow, so the columns
        kept the widest cell of every contact shown before (and a snapshot depended on which that was)."""
        opps = self.query_one("#detail-opps", DataTable)
        opps.clear(columns=True)
        for label, key in (
            (_("Deal"), "title"),
            (_("Pipeline"), "pipeline"),
            (_("Stage"), "stage"),
            (_("Value"), "value"),
            (_("Status"), "status"),
        ):
            opps.add_column(label, key=key)
        return opps

    @property
    def store(self) -> Store:
        return self.app.store  # type: ignore[attr-defined, no-any-return]

    # --- loading ------------------------------------------------------------------------------------

    def show_contact(self, contact_id: int | None, *, keep_filters: bool = False) -> None:
        if contact_id != self.contact_id and not keep_filters:
            self.kinds, self.opportunity_id = None, None
        self.contact_id = contact_id
        if contact_id is None:
            self.data = None
            self.query_one("#detail-header", Static).update("")
            self.query_one("#detail-opps", DataTable).clear()
            self.query_one(TimelineView).reset([])
            return
        self._load(contact_id, self.kinds, self.opportunity_id)

    def reload(self) -> None:
        self.show_contact(self.contact_id, keep_filters=True)

    @work(thread=True, exclusive=True, group="contact-detail")
    def _load(self, contact_id: int, kinds: str | None, opportunity_id: int | None) -> None:
        try:
            data = load_detail(self.store, contact_id, kinds, opportunity_id, locale=self.locale)
        except NotFound:
            data = None
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, contact_id, data)

    def _show(self, contact_id: int, data: DetailData | None) -> None:
        if contact_id != self.contact_id:
            return  # a newer contact was asked for meanwhile
        same = self.data is not None and self.data.row.id == contact_id  # reloaded: the cursor stays put
        self.data = data
        if data is None:
            self.query_one("#detail-header", Static).update(Text(_("This contact no longer exists.")))
            return
        self.query_one("#detail-header", Static).update(self._header(data))
        opps = self._reset_deals()
        for o in data.opportunities:
            opps.add_row(
                Text(o.title),
                Text(o.pipeline),
                Text(o.stage),
                Text(money(o.value_minor, o.currency, self.locale), justify="right"),
                Text(_(STATUS_NAMES.get(o.status, o.status))),
                key=str(o.id),
            )
        opps.display = bool(data.opportunities)
        self.query_one(TimelineView).reset(data.timeline, keep_cursor=same)
        self._update_filter_line()
        self.post_message(self.Loaded())

    def _header(self, data: DetailData) -> Text:
        r = data.row
        accent = self.app.current_theme.primary or "cyan"
        text = Text(r.display_name, style="bold")
        if r.company and r.company != r.display_name:
            text.append("  ·  ").append(r.company)
        if r.deleted_at is not None:
            text.append("  " + _("(in the Trash)"), style="bold red")
        lines: list[tuple[str, str]] = [
            (_("Email"), r.email),
            (_("Phone"), phone(r.phone_e164, r.phone)),
            (_("Owner"), r.owner),
            (_("Source"), r.source),
            (_("Created"), date_short(r.created_at, self.locale)),
            *data.custom,
        ]
        for label, value in lines:
            if value:
                text.append("\n")
                text.append(f"{label}: ", style="dim")
                text.append(value)
        if r.tags:
            text.append("\n")
            for tag in r.tags:
                text.append(f" {tag} ", style=f"bold reverse {accent}")
                text.append(" ")
        for line in data.automations:
            text.append("\n")
            text.append("⚙ ", style=accent)
            text.append(line, style="italic")
        return text

    def _update_filter_line(self) -> None:
        deal = _("all deals and the contact")
        if self.opportunity_id is not None and self.data is not None:
            titles = {o.id: o.title for o in self.data.opportunities}
            deal = _("deal “{title}”").format(title=titles.get(self.opportunity_id, "?"))
        line = Text(_("Timeline: {kind} · {deal}").format(kind=_(KIND_NAMES[self.kinds]), deal=deal))
        line.append("   " + _("(f kind, p deal)"), style="dim")
        self.query_one("#timeline-filter", Static).update(line)

    @on(TimelineView.NeedMore)
    def _more(self, event: TimelineView.NeedMore) -> None:
        event.stop()
        if self.contact_id is not None:
            self._load_more(self.contact_id, self.kinds, self.opportunity_id, event.last)

    @work(thread=True, exclusive=True, group="contact-detail-more")
    def _load_more(self, contact_id: int, kinds: str | None, opp: int | None, last: TimelineItem) -> None:
        # `before` is strict; step 1 µs past the last item so equal timestamps are not skipped (dupes are dropped).
        items = self.store.timeline(
            contact_id,
            kinds=KIND_GROUPS[kinds] if kinds else None,
            opportunity_id=opp,
            before=last.at + timedelta(microseconds=1),
            limit=PAGE,
            locale=self.locale,
        )
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._append, contact_id, items)

    def _append(self, contact_id: int, items: list[TimelineItem]) -> None:
        if contact_id == self.contact_id:
            self.query_one(TimelineView).append(items)

    # --- actions ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"add", "deal_note", "cycle_kind", "cycle_deal"} and (
            self.data is None or self.data.row.deleted_at is not None
        ):
            return False
        return not (action == "cycle_deal" and self.data is not None and not self.data.opportunities)

    def target(self) -> Target:
        assert self.data is not None
        opps = tuple((o.id, o.title) for o in self.data.opportunities if o.deleted_at is None)
        preselected = self.opportunity_id
        table = self.query_one("#detail-opps", DataTable)
        if preselected is None and table.has_focus and self.data.opportunities:
            preselected = self.data.opportunities[table.cursor_row].id
        return Target(self.data.row.id, opps, preselected)

    def action_add(self, kind: str) -> None:
        if self.data is None:
            return
        self.app.push_screen(ActivityForm(kind, self.target()), self._after_add)

    def action_deal_note(self) -> None:
        if self.data is None:
            return
        target = self.target()
        note_on_deal(self.screen, target.contact_id, self.data.opportunities, self._after_add, target.opportunity_id)

    def _after_add(self, kind: str | None) -> None:
        if kind:
            self.notify(_("Saved"), timeout=2)
            self.reload()

    @on(TimelineView.ItemKey)
    def _item_key(self, event: TimelineView.ItemKey) -> None:
        """e / d / x / z / u on the timeline (screens/activity_keys.py does them)."""
        event.stop()
        if self.data is None or self.data.row.deleted_at is not None or self.contact_id is None:
            return
        if event.action == "undo":
            self.items.undo(self.contact_id)
            return
        assert event.item is not None
        ref = item_ref(event.item, self.contact_id)
        getattr(self.items, event.action)(ref, self.contact_id)

    def action_cycle_kind(self) -> None:
        self.kinds = KIND_FILTERS[(KIND_FILTERS.index(self.kinds) + 1) % len(KIND_FILTERS)]
        self.reload()

    def action_cycle_deal(self) -> None:
        if self.data is None:
            return
        ids: list[int | None] = [None, *(o.id for o in self.data.opportunities)]
        current = ids.index(self.opportunity_id) if self.opportunity_id in ids else 0
        self.opportunity_id = ids[(current + 1) % len(ids)]
        self.reload()

    @on(DataTable.RowSelected, "#detail-opps")
    def _deal_selected(self, event: DataTable.RowSelected) -> None:
        """`enter` on a deal opens it (the board's opportunity detail)."""
        event.stop()
        from .opportunity_detail import OpportunityDetail

        self.app.push_screen(OpportunityDetail(int(str(event.row_key.value))), lambda _r: self.reload())

    @on(DataTable.RowSelected, "#timeline")
    def _item_selected(self, event: DataTable.RowSelected) -> None:
        """`enter` on the timeline opens what the line refers to: the deal for its own history (created, stage,
        status), the line in full for a note, task, appointment or message (`o` there opens its deal)."""
        event.stop()
        item = self.query_one(TimelineView).current
        if item is None:
            return
        from .opportunity_detail import OpportunityDetail
        from .timeline_item import DEAL_KINDS, TimelineItemScreen

        def open_deal(opportunity_id: int | None) -> None:
            if opportunity_id is not None:
                self.app.push_screen(OpportunityDetail(opportunity_id), lambda _r: self.reload())

        if item.kind in DEAL_KINDS and item.opportunity_id is not None:
            open_deal(item.opportunity_id)
        else:
            self.app.push_screen(TimelineItemScreen(item, locale=self.locale), open_deal)


# --- contact-level commands shared by the list and the detail screen --------------------------------------


def _with_txn(form: ContactForm | TagPicker, done: Any, undoable: Any) -> Any:
    """The form's dismiss callback, telling `undoable` the change-log id of what it saved (for `u`)."""

    def callback(result: Any) -> None:
        if undoable is not None and result and form.txn:
            undoable(form.txn)
        if done is not None:
            done(result)

    return callback


def edit_contact(screen: Screen[Any], contact_id: int, done: Any = None, undoable: Any = None) -> None:
    form = ContactForm(contact_id)
    screen.app.push_screen(form, _with_txn(form, done, undoable))


def tag_contact(screen: Screen[Any], contact_id: int, done: Any = None, undoable: Any = None) -> None:
    form = TagPicker(contact_id)
    screen.app.push_screen(form, _with_txn(form, done, undoable))


def note_on_deal(
    screen: Screen[Any], contact_id: int, deals: list[OpportunityRow], done: Any = None, chosen: int | None = None
) -> None:
    """`O`: a note on one of the contact's deals: straight to the note when it has one deal (or `chosen`), else
    a picker of them, open deals first (enter takes the first, typing filters)."""
    live = sorted((o for o in deals if o.deleted_at is None), key=lambda o: (o.status != "open", o.title.casefold()))
    if not live:
        screen.notify(_("No deals yet: o creates one"), severity="warning", timeout=3)
        return
    target = partial(Target, contact_id, tuple((o.id, o.title) for o in live))

    def write(opportunity_id: int | None) -> None:
        if opportunity_id is not None:
            screen.app.push_screen(ActivityForm("note", target(opportunity_id)), done)

    if chosen in {o.id for o in live} or len(live) == 1:
        write(chosen if chosen is not None else live[0].id)
        return
    from .pickers import ChoicePicker

    status = {o.id: "" if o.status == "open" else f" ({_(STATUS_NAMES.get(o.status, o.status))})" for o in live}
    options = [(f"{o.title} · {o.stage}{status[o.id]}", o.id) for o in live]
    screen.app.push_screen(ChoicePicker(_("Note on which deal?"), options), write)


def new_opportunity(screen: Screen[Any], contact_id: int, done: Any = None) -> None:
    from .opportunity_form import OpportunityForm

    screen.app.push_screen(OpportunityForm(screen.app.store, contact_id=contact_id), done)  # type: ignore[attr-defined]


class ContactDetailScreen(ScreenWrites, AppAccess, Screen[None]):
    """A contact on its own screen (narrow terminals, or `enter` from the list).

    | Key | Action |
    | --- | --- |
    | escape | Back to the list |
    | E | Edit the contact (`e` edits the highlighted timeline line, or the contact on other lines) |
    | t | Tag / untag |
    | o | New opportunity for this contact |
    | N, T, a, m, O, x, f, p | See the detail pane |
    """

    BINDINGS = [
        Binding("escape", "back", _("Back"), id="detail.back", tooltip=_("Back to the contact list")),
        Binding("E", "edit", _("Edit contact"), id="detail.edit", tooltip=_("Edit the contact")),
        # `e` on a timeline line that is not a note, task, appointment or message falls through to here too
        Binding(
            "e", "edit_fallback", _("Edit contact"), id="detail.edit_any", tooltip=_("Edit the contact"), show=False
        ),
        Binding("t", "tag", _("Tags"), id="detail.tags", tooltip=_("Tag or untag the contact")),
        Binding("o", "opportunity", _("New deal"), id="detail.opportunity", tooltip=_("New opportunity")),
    ]

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield ContactDetailPane(locale=self.locale)
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Contact")
        pane = self.query_one(ContactDetailPane)
        pane.show_contact(self.contact_id)
        pane.query_one(TimelineView).focus()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.query_one(ContactDetailPane).reload()

    def on_contact_detail_pane_loaded(self) -> None:
        pane = self.query_one(ContactDetailPane)
        self.sub_title = pane.data.row.display_name if pane.data else ""

    def _refresh(self, result: object = None) -> None:
        if result:
            self.query_one(ContactDetailPane).reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        edit_contact(self, self.contact_id, self._refresh)

    def action_edit_fallback(self) -> None:
        self.action_edit()

    def action_tag(self) -> None:
        tag_contact(self, self.contact_id, self._refresh)

    def action_opportunity(self) -> None:
        new_opportunity(self, self.contact_id, self._refresh)
