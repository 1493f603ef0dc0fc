"""The contact list: the screen a coach lives in.

State lives here (the filter, the sort, the view, the undo stack); the table, the sidebar and the detail pane
only show it and post messages back. Every read runs in an exclusive thread worker, so a keystroke never
waits for SQL and a stale search is dropped as soon as a newer one starts.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ..i18n import _
from ..messages import StoreChanged
from ..store import Conflict, ContactQuery, ContactRow, NotFound, Store
from ..widgets.chrome import Footer, Header
from ..widgets.contact_table import WINDOW, ContactTable
from ..widgets.smart_lists import ALL, TRASH, SmartListsSidebar
from .base import AppAccess
from .contact_detail import (
    ContactDetailPane,
    ContactDetailScreen,
    edit_contact,
    new_opportunity,
    note_on_deal,
    tag_contact,
)
from .contact_forms import ActivityForm, ConfirmDialog, ContactForm, FilterForm, NameDialog, Target
from .quick_add import QuickAddLine
from .writes import ScreenWrites, error_text

SPLIT_MIN_WIDTH = 150  # below this the detail opens as its own screen
SEARCH_DEBOUNCE = 0.08  # seconds of typing pause before a search runs
COUNT_CAP = 10_000  # counts stop here ("10.000+"): a one-letter search never pays for a full count
PAINT_WAIT = 0.25  # seconds the count waits for its page to be painted (it slowed the paint by a third)
UNDO_WINDOW = 60.0  # seconds during which `u` undoes the last delete; after that the Trash restores it
SORTS = (("name", False), ("created", True), ("last_activity", True))
TYPE_AHEAD = frozenset({"search", "quick_add"})  # keys after which the user types at once: priority bindings
SORT_NAMES = {"name": _("name"), "created": _("created"), "last_activity": _("last activity")}


def undo_clock() -> float:
    """Seconds for the undo window (a function of its own, so tests move it without touching asyncio's clock)."""
    return time.monotonic()


def has_import_screen() -> bool:
    return importlib.util.find_spec("koachify_tui.screens.import_csv") is not None


class ContactsScreen(ScreenWrites, AppAccess, Screen[None]):
    """Contacts, searchable as you type, filtered, saved as smart lists; detail beside or on its own screen.

    | Key | Action |
    | --- | --- |
    | j, k, ↑, ↓, g, G | Move |
    | enter | Open the contact |
    | / | Search (name, email, phone in any format, company, tags) |
    | escape | Clear search, filter and smart list |
    | + | Quick add: one line `Giulia Verdi giulia@x.it 333 1234567 #lead @Form`, enter saves (ctrl+o: full form) |
    | n / e | New / edit contact |
    | t | Tag / untag |
    | o | New opportunity for this contact |
    | N / m / T / a | Add a note / log a message or call / add a task / an appointment |
    | O | Add a note to one of its deals (straight away when it has one) |
    | d / u | Delete (after confirming) / undo the last delete |
    | f | Filter (tags any/all/none, source, owner, deal pipeline/stage, created period) |
    | s | Save the current filter as a smart list |
    | l | Show / hide the smart lists |
    | r | Sort: name, created, last activity |
    | D | Trash view; R restores there |
    | i | Import a CSV (when available) |
    | M | Duplicates: review and merge likely duplicates |
    """

    TITLE = _("Contacts")
    CSS_PATH = "contacts.tcss"
    BINDINGS = [
        # Priority (handled as the key arrives, before the keys queued behind it are dispatched): "/mar" typed
        # fast reaches the box, not `m` on the list. check_action lets the key through while a box has focus.
        Binding(
            "slash",
            "search",
            _("Search"),
            id="contacts.search",
            tooltip=_("Search name, email, phone, tags"),
            priority=True,
        ),
        Binding(
            "escape", "clear_search", _("Clear"), id="contacts.clear", tooltip=_("Clear search and filters"), show=False
        ),
        Binding("enter", "open", _("Open"), id="contacts.open", tooltip=_("Open the highlighted contact")),
        Binding(
            "plus",
            "quick_add",
            _("Add"),
            id="contacts.quick_add",
            tooltip=_("Add a contact in one line"),
            priority=True,
        ),
        Binding("n", "new", _("New"), id="contacts.new", tooltip=_("Create a contact")),
        Binding("e", "edit", _("Edit"), id="contacts.edit", tooltip=_("Edit the highlighted contact")),
        Binding("t", "tag", _("Tags"), id="contacts.tag", tooltip=_("Tag or untag the highlighted contact")),
        Binding("o", "opportunity", _("New deal"), id="contacts.opportunity", tooltip=_("New opportunity for it")),
        Binding("N", "add('note')", _("Note"), id="contacts.note", tooltip=_("Add a note to the highlighted contact")),
        Binding(
            "m",
            "add('message')",
            _("Log call"),
            id="contacts.message",
            tooltip=_("Log a message or a call"),
            show=False,
        ),
        Binding(
            "O",
            "deal_note",
            _("Deal note"),
            id="contacts.deal_note",
            tooltip=_("Add a note to one of its deals"),
            show=False,
        ),
        Binding("T", "add('task')", _("Task"), id="contacts.task", tooltip=_("Add a task with a due date"), show=False),
        Binding(
            "a",
            "add('appointment')",
            _("Appointment"),
            id="contacts.appointment",
            tooltip=_("Add an appointment"),
            show=False,
        ),
        Binding("d", "delete", _("Delete"), id="contacts.delete", tooltip=_("Move the contact to the Trash")),
        Binding("u", "undo", _("Undo"), id="contacts.undo", tooltip=_("Undo the last delete"), show=False),
        Binding("f", "filter", _("Filter"), id="contacts.filter", tooltip=_("Filter by tags, source, owner, deals")),
        Binding("s", "save_list", _("Save list"), id="contacts.save_list", tooltip=_("Save the filter as a list")),
        Binding("l", "toggle_lists", _("Lists"), id="contacts.lists", tooltip=_("Show or hide the smart lists")),
        Binding("r", "sort", _("Sort"), id="contacts.sort", tooltip=_("Sort by name, created, last activity")),
        Binding("D", "trash", _("Trash"), id="contacts.trash", tooltip=_("Show deleted contacts"), show=False),
        Binding("R", "restore", _("Restore"), id="contacts.restore", tooltip=_("Restore the deleted contact")),
        Binding("i", "import_csv", _("Import CSV…"), id="contacts.import", tooltip=_("Import contacts from CSV")),
        Binding(
            "M",
            "duplicates",
            _("Duplicates"),
            id="contacts.duplicates",
            tooltip=_("Review likely duplicates"),
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = ContactQuery()  # everything but the search text, which lives in the Input
        self.active_list: str | int = ALL  # ALL, TRASH or a smart list id
        # For `u`: change-log ids of this screen's deletes, edits and tag changes (the same log-based undo as
        # `koachify import --undo`), with the contact each was about and when.
        self.undo_stack: list[tuple[str, int, str, float]] = []  # (txn, contact id, "delete" | "edit", when)
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._generation = 0  # bumps on every new query; a page from an older one is dropped
        self._shown_once = False
        self._pinned: int | None = None  # a contact to keep highlighted through reloads, until the cursor moves
        self._kept_cursor: int | None = None  # where the cursor was when the latest refresh that keeps it began
        self._selected_at = 0.0  # when select_contact last ran (its page must not be overwritten by a resume)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="contacts-body"):
            yield SmartListsSidebar()
            with Vertical(id="contacts-pane"):
                yield Input(placeholder=_("Search contacts…  (/)"), id="contact-search")
                yield Static("", id="filter-line", markup=False)
                yield QuickAddLine()
                yield ContactTable(locale=self.locale)
            yield ContactDetailPane(locale=self.locale)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SmartListsSidebar).display = False
        self.query_one(ContactDetailPane).display = False
        self.table.focus()
        self._refresh_sidebar()
        self._update_filter_line()
        # The first page is read right here, not in a worker: nothing competes for the GIL yet, so the first
        # frame already shows contacts (the thread hop would roughly double the time to first paint).
        query = self.current_query()
        rows = self.store.list_contacts(query, limit=WINDOW)
        total, capped = self.store.count_contacts_capped(query, cap=COUNT_CAP)
        self.table.show_page(rows, 0, total, capped, 0)
        self._schedule_detail()

    @property
    def table(self) -> ContactTable:
        return self.query_one(ContactTable)

    @property
    def split(self) -> bool:
        return self.query_one(ContactDetailPane).display

    def on_resize(self, event: Resize) -> None:
        pane = self.query_one(ContactDetailPane)
        wide = event.size.width >= SPLIT_MIN_WIDTH
        if wide != pane.display:
            pane.display = wide
            if wide:
                self._show_detail()

    # --- loading ------------------------------------------------------------------------------------

    def current_query(self) -> ContactQuery:
        return replace(self.filters, search=self.query_one("#contact-search", Input).value)

    def reload(self, *, start: int | None = None, cursor: int | None = None, count: bool = True) -> None:
        """Read the window holding absolute row `cursor` (default: where the cursor is)."""
        table = self.table
        if cursor is None and self._pinned is not None:  # e.g. the store's echo of a save that moved the cursor
            cursor = self._position(self._pinned)
            start = None if cursor is None else max(cursor - WINDOW // 2, 0)
        # A refresh that keeps the cursor where it is: a move made while its page is read wins (see _show).
        self._kept_cursor = table.absolute_cursor if cursor is None else None
        cursor = table.absolute_cursor if cursor is None else cursor
        if start is None:
            start = (
                table.window_start
                if table.window_start <= cursor < table.window_start + WINDOW
                else max(cursor - WINDOW // 2, 0)
            )
        self._generation += 1
        # Read on the UI thread: the worker must not query widgets (the screen may be gone by then).
        known = None if count or table.capped else table.total
        self._load(self.current_query(), start, cursor, count, known, self._generation)

    @work(thread=True, exclusive=True, group="contacts-load")
    def _load(
        self, query: ContactQuery, start: int, cursor: int, count: bool, known: int | None, generation: int
    ) -> None:
        """Page first, count after: the rows paint as soon as they are read, and the (capped) count follows
        once they have painted, off the keystroke path (run beside the paint, its SQLite work made the paint a
        third slower on 2 cores; a keystroke typed meanwhile cancels it unrun). `known` is the list's size
        when it need not be counted again."""
        store, worker = self.store, get_current_worker()
        rows = self._read_page(store, query, start, known)
        if not rows and start > 0:  # the list shrank under the cursor: show its end
            total, capped = store.count_contacts_capped(query, cap=COUNT_CAP)
            start = max(total - WINDOW // 2, 0)
            rows = self._read_page(store, query, start, None if capped else total)
            cursor, count = start + len(rows) - 1, False
            known = total
        if worker.is_cancelled:
            return
        painted = threading.Event()
        self.app.call_from_thread(self._show, generation, rows, start, known, cursor, painted.set)
        if count:
            painted.wait(PAINT_WAIT)
            if worker.is_cancelled:
                return
            total, capped = store.count_contacts_capped(query, cap=COUNT_CAP)
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_total, generation, total, capped)

    @staticmethod
    def _read_page(store: Store, query: ContactQuery, start: int, total: int | None) -> list[ContactRow]:
        """One window; in the second half of a list of known size it is read backwards, so `G` costs a short
        index walk from the end instead of an OFFSET of the whole list."""
        # Not a searched name order: its rank (name prefixes first) is kept when descending, so no exact reverse.
        reversible = not (query.search.strip() and query.sort == "name")
        if total is not None and start > total // 2 and reversible:
            n = min(WINDOW, max(total - start, 0))
            backwards = replace(query, descending=not query.descending)
            return store.list_contacts(backwards, limit=n, offset=max(total - start - n, 0))[::-1]
        return store.list_contacts(query, limit=WINDOW, offset=start)

    def _result_applies(self, generation: int) -> bool:
        """A worker's result still applies: no newer load started and the screen was not torn down meanwhile
        (results arrive through call_from_thread, possibly while the app is shutting down)."""
        gone = self._closing or self._closed or self._pruning  # (a DOM query for the table cost ~0.3 ms here)
        return generation == self._generation and self.is_attached and not gone

    def _show(
        self,
        generation: int,
        rows: list[ContactRow],
        start: int,
        total: int | None,
        cursor: int,
        painted: Callable[[], None] = lambda: None,
    ) -> None:
        if not self._result_applies(generation):
            painted()
            return
        table = self.table
        if self._kept_cursor is not None and table.absolute_cursor != self._kept_cursor:
            cursor = table.absolute_cursor  # `j` pressed while a refresh was read: not taken back
        table.show_page(rows, start, table.total if total is None else total, table.capped, cursor)
        table.after_next_paint(painted)
        if total is None:
            table.total_pending = True
            table.refresh_title()
        self._schedule_detail()

    def _show_total(self, generation: int, total: int, capped: bool) -> None:
        if self._result_applies(generation):
            self.table.set_total(total, capped)

    @on(ContactTable.NeedPage)
    def _need_page(self, event: ContactTable.NeedPage) -> None:
        self.reload(start=max(event.row - WINDOW // 2, 0), cursor=event.row, count=False)

    @on(Input.Changed, "#contact-search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self.reload(start=0, cursor=0))

    @on(Input.Submitted, "#contact-search")
    def _search_submitted(self) -> None:
        self.table.focus()

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.reload()
        if self.split:
            self.query_one(ContactDetailPane).reload()

    def on_screen_resume(self) -> None:
        if not self._shown_once:  # the first resume follows on_mount, which has just read the first page
            self._shown_once = True
            return
        if time.monotonic() - self._selected_at < 1.0:  # a jump from another screen is loading its page
            return
        if self.is_mounted:
            self.reload()
            if self.split:
                self.query_one(ContactDetailPane).reload()

    def select_contact(self, contact_id: int) -> None:
        """Show a contact from elsewhere (the opportunity detail's jump): clear filters, load its page, open it."""
        self.active_list = ALL
        self.filters = ContactQuery()
        search = self.query_one("#contact-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self._update_filter_line()
        position = self.store.contact_position(contact_id, self.filters)
        if position is None:
            return
        self._selected_at = time.monotonic()
        self._generation += 1
        self._kept_cursor = None
        self._load(self.current_query(), max(position - WINDOW // 2, 0), position, True, None, self._generation)
        if not self.split:
            self.app.push_screen(ContactDetailScreen(contact_id))

    # --- detail -------------------------------------------------------------------------------------

    @on(ContactTable.RowHighlighted, "#contact-table")
    def _highlighted(self) -> None:
        self._pinned = None  # the user moved on
        self._schedule_detail()

    def _schedule_detail(self) -> None:
        if not self.split:
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(0.1, self._show_detail)

    def _show_detail(self) -> None:
        current = self.table.current
        pane = self.query_one(ContactDetailPane)
        cid = current.id if current else None
        if cid != pane.contact_id:
            pane.show_contact(cid)

    @on(ContactTable.RowSelected, "#contact-table")
    def _selected(self, event: ContactTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # --- filter line and sidebar ----------------------------------------------------------------------

    def _update_filter_line(self) -> None:
        q = self.filters
        parts: list[str] = []
        if self.active_list == TRASH:
            parts.append(_("Trash (R restores)"))
        elif isinstance(self.active_list, int):
            names = dict(self._lists)
            parts.append(_("List: {name}").format(name=names.get(self.active_list, "?")))
        if q.tags_any:
            parts.append(_("any of: {tags}").format(tags=", ".join(q.tags_any)))
        if q.tags_all:
            parts.append(_("all of: {tags}").format(tags=", ".join(q.tags_all)))
        if q.tags_none:
            parts.append(_("none of: {tags}").format(tags=", ".join(q.tags_none)))
        if q.source:
            parts.append(_("source: {value}").format(value=q.source))
        if q.owner:
            parts.append(_("owner: {value}").format(value=q.owner))
        if q.pipeline_id is not None:
            parts.append(_("open deal in pipeline/stage"))
        if q.created_after or q.created_before:
            parts.append(_("created in period"))
        arrow = "↓" if q.descending else "↑"
        parts.append(_("sort: {sort} {arrow}").format(sort=_(SORT_NAMES.get(q.sort, q.sort)), arrow=arrow))
        self.query_one("#filter-line", Static).update(Text(" · ".join(parts)))

    def _refresh_sidebar(self) -> None:
        self._lists = [(s.id or 0, s.name) for s in self.store.list_smart_lists()]
        self.query_one(SmartListsSidebar).set_lists(self._lists, self.active_list)

    def _apply(self, query: ContactQuery, active: str | int, *, keep: int | None = None) -> None:
        """Switch to a filter (its search text goes into the box); the cursor goes to the top, or stays on
        contact `keep` when it is in the new list."""
        self.active_list = active
        self.filters = replace(query, search="")
        search = self.query_one("#contact-search", Input)
        with search.prevent(Input.Changed):
            search.value = query.search
        self._update_filter_line()
        position = self._position(keep) if keep is not None else None
        self._pinned = keep if position is not None else None
        if position is None:
            self.reload(start=0, cursor=0)
        else:
            self.reload(start=max(position - WINDOW // 2, 0), cursor=position)

    def _position(self, contact_id: int) -> int | None:
        """Where a contact sits in the current list (only the plain name order can be looked up by position: a
        search ranks the names that start with its first word first)."""
        if self.filters.sort != "name" or self.query_one("#contact-search", Input).value:
            return None
        return self.store.contact_position(contact_id, self.current_query())

    @on(SmartListsSidebar.Chosen)
    def _list_chosen(self, event: SmartListsSidebar.Chosen) -> None:
        if isinstance(event, SmartListsSidebar.Forget):
            return
        if event.ref == TRASH:
            self._apply(ContactQuery(deleted=True, sort="name"), TRASH)
        elif isinstance(event.ref, int):
            try:
                query = self.store.smart_list_query(event.ref)  # re-read every time: lists are live filters
            except NotFound:
                self._refresh_sidebar()
                return
            self._apply(query, event.ref)
        else:
            self._apply(ContactQuery(), ALL)
        self.table.focus()

    @on(SmartListsSidebar.Forget)
    def _forget_list(self, event: SmartListsSidebar.Forget) -> None:
        ref = event.ref
        name = dict(self._lists).get(ref if isinstance(ref, int) else -1, "")

        def done(yes: bool | None) -> None:
            if yes:
                self.run_store_write(partial(self.store.delete_smart_list, ref), done=forgotten)

        def forgotten(_result: object) -> None:
            if self.active_list == ref:
                self.active_list = ALL
            self._refresh_sidebar()

        self.app.push_screen(ConfirmDialog(_("Delete the smart list “{name}”?").format(name=name)), done)

    # --- actions ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TYPE_AHEAD and isinstance(self.focused, Input):
            return False  # a priority key: typed into the box that has the focus ("a/b", "+39 …")
        trash = self.active_list == TRASH
        if action == "restore":
            return trash
        if action == "import_csv":
            return has_import_screen()
        if action in {"edit", "tag", "opportunity", "add", "deal_note", "delete"}:
            if trash:
                return False
            return None if self.is_mounted and self.table.current is None else True
        if action == "open":
            return None if self.is_mounted and self.table.current is None else True
        if action == "undo":
            return bool(self.undo_stack) or None  # an old one still answers (pointing to the Trash)
        return True

    def _current(self) -> ContactRow | None:
        current = self.table.current
        if current is None:
            self.notify(_("No contact highlighted"), severity="warning", timeout=2)
        return current

    def _after_form(self, result: Any) -> None:
        if result:
            self.reload()

    def action_search(self) -> None:
        # At once, not `focus()` (deferred to the next loop turn): the keys of "/mar" typed fast arrive
        # together, and `m` would reach the list's binding before the box had the focus.
        self.set_focus(self.query_one("#contact-search", Input))

    def action_clear_search(self) -> None:
        """escape backs out one step at a time, and never silently changes which contact is highlighted:
        from the search box, the detail pane or the sidebar it goes back to the list and keeps the filter;
        on the list it clears search, filter and smart list, keeps the same contact highlighted (when it is
        in the whole list, sorted by name) and says so."""
        focused = self.focused
        if focused is not None and focused is not self.table:
            self.table.focus()
            return
        search = self.query_one("#contact-search", Input)
        if self.filters == ContactQuery(sort=self.filters.sort, descending=self.filters.descending) and not (
            self.active_list != ALL or search.value
        ):
            return
        current = self.table.current
        cleared = ContactQuery(sort=self.filters.sort, descending=self.filters.descending)
        self._apply(cleared, ALL, keep=current.id if current else None)
        self.query_one(SmartListsSidebar).set_lists(self._lists, ALL)
        if current is not None:
            message = _("Search and filters cleared: all contacts, still on {name}").format(name=current.display_name)
        else:
            message = _("Search and filters cleared: all contacts")
        self.notify(message, timeout=3, markup=False)

    def action_open(self) -> None:
        current = self._current()
        if current is None:
            return
        if self.split:
            pane = self.query_one(ContactDetailPane)
            if pane.contact_id != current.id:
                pane.show_contact(current.id)
            pane.query_one("#timeline").focus()
        else:
            self.app.push_screen(ContactDetailScreen(current.id))

    def action_new(self, prefill: dict[str, str] | None = None) -> None:
        def created(contact_id: int | None) -> None:
            if contact_id:
                self.show_new_contact(contact_id)

        self.app.push_screen(ContactForm(None, prefill=prefill), created)

    def action_quick_add(self) -> None:
        self.query_one(QuickAddLine).open()

    @on(QuickAddLine.Created)
    def _quick_added(self, event: QuickAddLine.Created) -> None:
        self.show_new_contact(event.contact_id)

    @on(QuickAddLine.Closed)
    def _quick_closed(self) -> None:
        self.table.focus()

    @on(QuickAddLine.OpenForm)
    def _quick_form(self, event: QuickAddLine.OpenForm) -> None:
        self.action_new(event.values)

    def show_new_contact(self, contact_id: int) -> None:
        """Highlight a contact just created; when the search, filter or sort hides it, they are cleared (the
        list by name) and the message says so."""
        name = self.store.contact_row(contact_id).display_name
        position = self._position(contact_id) if self.active_list != TRASH else None
        if position is not None:
            self._pinned = contact_id
            self.reload(start=max(position - WINDOW // 2, 0), cursor=position)
            self.notify(_("Created {name}").format(name=name), timeout=3, markup=False)
            return
        self._apply(ContactQuery(), ALL, keep=contact_id)
        self.query_one(SmartListsSidebar).set_lists(self._lists, ALL)
        self.notify(
            _("Created {name}: search and filters cleared to show it").format(name=name), timeout=4, markup=False
        )

    def action_edit(self) -> None:
        if current := self._current():
            edit_contact(self, current.id, self._after_form, lambda txn: self._undoable(txn, current.id, "edit"))

    def action_tag(self) -> None:
        if current := self._current():
            tag_contact(self, current.id, self._after_form, lambda txn: self._undoable(txn, current.id, "edit"))

    def _undoable(self, txn: str, contact_id: int, kind: str) -> None:
        self.undo_stack.append((txn, contact_id, kind, undo_clock()))
        self.refresh_bindings()

    def action_opportunity(self) -> None:
        if current := self._current():
            new_opportunity(self, current.id, self._after_form)

    def action_add(self, kind: str) -> None:
        """N / m / T / a: a note, message or call, task or appointment for the highlighted contact (the same
        keys as on its detail)."""
        if current := self._current():
            opps = tuple((o.id, o.title) for o in self.store.list_opportunities(contact_id=current.id))
            self.app.push_screen(ActivityForm(kind, Target(current.id, opps)), self._after_form)

    def action_deal_note(self) -> None:
        if current := self._current():
            deals = self.store.list_opportunities(contact_id=current.id)
            note_on_deal(self, current.id, deals, self._after_form)

    def action_delete(self) -> None:
        current = self._current()
        if current is None:
            return
        question = Content(_("Move “{name}” to the Trash? (u undoes)").format(name=current.display_name))

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store_write(
                    partial(self.store.delete_contact, current.id, origin="tui"), done=deleted, failed=failed
                )

        def deleted(_result: object) -> None:
            if txn := self.written_txn:
                self._undoable(txn, current.id, "delete")
            self.notify(_("Deleted {name} — u to undo").format(name=current.display_name), timeout=4, markup=False)
            self.reload()

        def failed(exc: Exception) -> None:
            if not isinstance(exc, NotFound):  # deleted meanwhile: nothing to say
                self.notify(error_text(exc), severity="error", markup=False)

        self.app.push_screen(ConfirmDialog(question, _("Delete contact")), confirmed)

    def action_undo(self) -> None:
        """Revert this screen's last delete, edit or tag change through the change log, while it is recent (its
        notice is still in mind; an older delete is restored from the Trash, where the user sees what comes
        back). A field changed again since (here, by the CLI or an automation) keeps its newer value."""
        stack = list(self.undo_stack)

        def undo() -> tuple[str, Any, str]:
            """("undone", contact, kind) | ("kept", reason, "") | ("old", contact id, "") | ("none", None, "")"""
            while stack:
                txn, contact_id, kind, when = stack[-1]
                if undo_clock() - when > UNDO_WINDOW:
                    return "old", contact_id, ""
                stack.pop()
                try:
                    outcome = self.store.undo_changes(txn, origin="tui")
                    contact = self.store.get_contact(contact_id)
                except NotFound:
                    continue
                if not outcome.reverted:
                    if outcome.kept:
                        return "kept", outcome.kept[0].reason, ""
                    continue  # already undone meanwhile (from the Trash, say): try the one before
                return "undone", contact, kind
            return "none", None, ""

        def done(result: tuple[str, Any, str]) -> None:
            self.undo_stack[:] = stack
            what, value, kind = result
            if what == "old":
                self._nothing_recent(value)
            elif what == "kept":
                self.notify(Text(_("Not undone: {why}").format(why=value)).plain, markup=False)
            elif what == "none":
                self.notify(_("Nothing to undo"), timeout=2)
            else:
                if kind == "delete":
                    self.notify(_("Undone: restored {name}").format(name=value.display_name), timeout=4, markup=False)
                else:
                    self.notify(_("Undone: {name}").format(name=value.display_name), timeout=3, markup=False)
                self.reload()

        if not stack:
            self.notify(_("Nothing to undo"), timeout=2)
            return
        if undo_clock() - stack[-1][3] > UNDO_WINDOW:  # no write needed to say so
            self._nothing_recent(stack[-1][1])
            return
        self.run_store_write(undo, done=done)

    def _nothing_recent(self, contact_id: int) -> None:
        try:
            name = self.store.contact_row(contact_id).display_name
        except NotFound:
            name = f"#{contact_id}"
        self.notify(
            _("Nothing recent to undo: restore {name} from the Trash (D, then R)").format(name=name),
            timeout=4,
            markup=False,
        )

    def action_restore(self) -> None:
        current = self._current()
        if current is None or self.active_list != TRASH:
            return

        def restored(_result: object) -> None:
            self.notify(_("Restored {name}").format(name=current.display_name), timeout=3, markup=False)
            self.reload()

        # restored meanwhile: nothing left to do
        self.run_store_write(
            partial(self.store.restore_contact, current.id, origin="tui"), done=restored, skip=(NotFound,)
        )

    def action_trash(self) -> None:
        if self.active_list == TRASH:
            self._apply(ContactQuery(), ALL)
        else:
            self._apply(ContactQuery(deleted=True), TRASH)
        self.query_one(SmartListsSidebar).set_lists(self._lists, self.active_list)

    def action_filter(self) -> None:
        def done(query: ContactQuery | None) -> None:
            if query is not None:
                self.filters = replace(query, search="")
                self._update_filter_line()
                self.reload(start=0, cursor=0)

        self.app.push_screen(FilterForm(self.current_query()), done)

    def action_save_list(self) -> None:
        query = self.current_query()

        def named(name: str | None) -> None:
            if not name:
                return

            def failed(exc: Exception) -> None:
                if isinstance(exc, Conflict):
                    question = _("A smart list named “{name}” exists. Replace its filter?").format(name=name)
                    self.app.push_screen(
                        ConfirmDialog(question, _("Replace smart list")), lambda yes: confirm_replace(name, yes)
                    )
                else:
                    self.notify(error_text(exc), severity="error", timeout=4, markup=False)

            self.run_store_write(partial(self.store.save_smart_list, name, query), done=saved, failed=failed)

        def confirm_replace(name: str, yes: bool | None) -> None:
            if yes:
                self.run_store_write(partial(self.store.save_smart_list, name, query, replace=True), done=saved)

        def saved(smart: Any) -> None:
            self.active_list = smart.id or ALL
            self._refresh_sidebar()
            self.query_one(SmartListsSidebar).display = True
            self._update_filter_line()
            self.notify(_("Saved the smart list “{name}”").format(name=smart.name), timeout=3, markup=False)

        self.app.push_screen(NameDialog(_("Save smart list"), _("Name")), named)

    def action_toggle_lists(self) -> None:
        sidebar = self.query_one(SmartListsSidebar)
        sidebar.display = not sidebar.display
        if sidebar.display:
            self._refresh_sidebar()
            sidebar.focus()
        else:
            self.table.focus()

    def action_sort(self) -> None:
        keys = [s for s, _desc in SORTS]
        index = (keys.index(self.filters.sort) + 1) % len(SORTS) if self.filters.sort in keys else 0
        sort, descending = SORTS[index]
        self.filters = replace(self.filters, sort=sort, descending=descending)
        self._update_filter_line()
        self.reload(start=0, cursor=0)

    def action_import_csv(self) -> None:
        if not has_import_screen():  # the importer's dialog ships separately; the key hides without it
            return
        from .import_csv import ImportCsvScreen

        self.app.push_screen(ImportCsvScreen(self.store), self._after_form)

    def action_duplicates(self) -> None:
        from .duplicates import DuplicatesScreen

        self.app.push_screen(DuplicatesScreen(), self._after_form)
