"""Modal forms of the contacts screen: contact (with custom fields), activities, tags, filters, confirm, name.

Every form is a `ModalScreen[Result]`: `escape` cancels (dismiss None), `ctrl+s` validates and saves. Forms that
write do it themselves, after validating every field, so an invalid value is shown inline next to its field
and nothing reaches the store until the whole form is valid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from ..formatting import duration_short, local
from ..history_text import OUTCOMES, channel_word, outcome_key, outcome_word
from ..i18n import _
from ..store import ContactQuery
from ..store.activity_rules import due_from_text
from ..store.dates import date_hint, format_user_date, parse_date, parse_datetime
from ..store.durations import parse_duration
from ..store.errors import EditConflict, StoreError
from ..store.fields import coerce
from ..store.models import Channel, CustomFieldDef, Direction, FieldType
from ..store.normalize import InvalidValue, normalize_email, normalize_phone
from .base import AppAccess
from .contact_checks import CHECKS_CSS, NewContactChecks
from .pickers import ChoicePicker
from .writes import Deferred, ScreenWrites, error_text

FORM_CSS = """
FormScreen { align: center middle; }
FormScreen > #form {
    width: 76; max-width: 100%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 0 1;
}
FormScreen #form-body { height: auto; max-height: 1fr; }
FormScreen .field-label { color: $foreground-muted; }
FormScreen .field-error { color: $error; height: auto; display: none; }
FormScreen #form-error { color: $error; height: auto; display: none; }
FormScreen #form-hint { color: $foreground-muted; margin-top: 1; }
FormScreen TextArea { height: 5; }
FormScreen SelectionList { height: auto; max-height: 10; }
FormScreen Horizontal.pair { height: auto; }
FormScreen Horizontal.pair > Vertical { height: auto; width: 1fr; }
"""


def _text(widget: Widget) -> str:
    if isinstance(widget, Input):
        return widget.value
    if isinstance(widget, TextArea):
        return widget.text
    raise TypeError(widget)


class FormScreen(ScreenWrites, AppAccess, ModalScreen[Any]):
    """Base of the forms: a titled box, fields with inline errors, `ctrl+s` saves, `escape` cancels.

    `save()` validates and returns the result, or a `Deferred` whose store calls `run_store_write` makes: while
    they wait for the database the form says so (escape gives up), and a failure keeps the form as typed.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel without saving |
    """

    DEFAULT_CSS = FORM_CSS
    #: The change-log id of what the last save wrote (None if nothing changed): the caller's `u` undoes it.
    txn: str | None = None
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="form.save", tooltip=_("Validate and save"), priority=True),
        Binding("escape", "cancel", _("Cancel"), id="form.cancel", tooltip=_("Close without saving")),
    ]
    form_title = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="form") as box:
            box.border_title = _(self.form_title)
            box.border_subtitle = _("ctrl+s save · escape cancel")
            with VerticalScroll(id="form-body"):
                yield from self.fields()
            yield Static("", id="form-error", markup=False)

    def fields(self) -> ComposeResult:
        yield from ()

    def field(self, label: str, widget: Widget, name: str) -> ComposeResult:
        """A labelled input with its (initially hidden) inline error line `#err-<name>`."""
        yield Label(Content(label), classes="field-label")
        yield widget
        yield Static("", id=f"err-{name}", classes="field-error", markup=False)

    #: Where the cursor starts: the first of these.
    FIRST_FOCUS = "Input, TextArea, Select, SelectionList, Checkbox"

    def on_mount(self) -> None:
        inputs = self.query(self.FIRST_FOCUS)
        if inputs:
            inputs.first().focus()

    def set_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#err-{name}", Static)
        error.update(Content(message))
        error.display = True

    def clear_errors(self) -> None:
        for error in self.query(".field-error, #form-error"):
            assert isinstance(error, Static)
            error.update("")
            error.display = False

    def form_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(Content(message))
        error.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)

    def write_status_parent(self) -> Widget:
        return self.query_one("#form")

    def action_save(self) -> None:
        self.clear_errors()
        try:
            result = self.save()
        except (InvalidValue, StoreError, ValueError) as exc:
            self.form_error(str(exc))
            return
        if isinstance(result, Deferred):
            self.run_store_write(result.write, done=self._saved, failed=self.save_failed, gave_up=self._gave_up)
        elif result is not None:
            self.dismiss(result)

    def _saved(self, result: Any) -> None:
        self.txn = self.written_txn  # None when the save changed nothing
        if result is not None and self.is_attached:
            self.dismiss(result)

    def save_failed(self, exc: Exception) -> None:
        """The store refused or could not save: say why; everything typed stays for another `ctrl+s`."""
        self.form_error(error_text(exc) + " " + _("(ctrl+s saves again, escape closes)"))

    def _gave_up(self) -> None:
        self.form_error(_("Gave up waiting for the database; nothing was saved (ctrl+s tries again)"))

    def save(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


# --- contact ------------------------------------------------------------------------------------------


def custom_field_widget(definition: CustomFieldDef, value: Any, locale: str | None = None) -> Widget:
    """An input fitting the field's type, with id `cf-<key>`."""
    wid = f"cf-{definition.key}"
    kind = FieldType(definition.type)
    options = json.loads(definition.options_json)
    if kind is FieldType.BOOLEAN:
        return Checkbox(Content(definition.label), bool(value), id=wid)
    if kind is FieldType.SELECT and options:
        return Select(
            [(Content(o), o) for o in options],
            value=value if value in options else Select.NULL,
            prompt=_("Choose…"),
            id=wid,
        )
    if kind is FieldType.MULTI_SELECT and options:
        chosen = set(value or [])
        return SelectionList[str](*(Selection(Content(o), o, o in chosen) for o in options), id=wid)
    if kind is FieldType.DATE:
        shown = ""
        if value:
            shown = format_user_date(datetime.fromisoformat(str(value)).date(), locale)
        return Input(shown, placeholder=date_hint(locale), id=wid)
    if kind is FieldType.NUMBER:
        return Input("" if value is None else str(value), type="number", id=wid)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return Input("" if value is None else str(value), id=wid)


def custom_field_value(widget: Widget) -> Any:
    if isinstance(widget, Checkbox):
        return widget.value
    if isinstance(widget, Select):
        return None if widget.value is Select.NULL else widget.value
    if isinstance(widget, SelectionList):
        return list(widget.selected)
    return _text(widget)


def _same_value(value: Any, loaded: Any) -> bool:
    """A custom value as the form read it back equals the loaded one (an unset checkbox reads False)."""
    if value in (None, "", [], False) and loaded in (None, "", [], False):
        return True
    return bool(value == loaded)


CONTACT_INPUTS = (
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("company", _("Company")),
    ("email", _("Email")),
    ("phone", _("Phone")),
    ("source", _("Source")),
    ("owner", _("Owner")),
)


class ContactForm(NewContactChecks, FormScreen):
    """New or edit contact, with its custom fields. Dismisses with the contact id once saved.

    An edit sends only the fields the user changed, based on the version it loaded: what someone else changed
    meanwhile in other fields stays; a field both changed asks which value to keep (store/versions.py).
    A new contact shows similar names as they are typed and warns on save when its email or phone already
    belongs to a contact (screens/contact_checks.py).

    | Key | Action |
    | --- | --- |
    | ctrl+o | Open the contact that already has this email or phone (after the warning) |
    """

    DEFAULT_CSS = FORM_CSS + CHECKS_CSS
    BINDINGS = [
        Binding(
            "ctrl+o",
            "open_existing",
            _("Open existing"),
            id="form.open_existing",
            tooltip=_("Open the contact that already has this email or phone"),
        ),
    ]

    def __init__(self, contact_id: int | None = None, *, prefill: dict[str, str] | None = None) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.prefill = prefill or {}  # a new contact's first values (the quick-add line's ctrl+o)
        self.form_title = _("Edit contact") if contact_id else _("New contact")
        self._loaded: dict[str, Any] = {}  # what the form showed, to send only what the user changed
        self._version: int | None = None
        self._overwrite: set[str] = set()  # fields the user chose to keep over someone else's value

    def fields(self) -> ComposeResult:
        store = self.store
        values: dict[str, Any] = dict(self.prefill)
        custom: dict[str, Any] = {}
        if self.contact_id is not None:
            contact = store.get_contact(self.contact_id)
            values = {key: getattr(contact, key) for key, _label in CONTACT_INPUTS}
            custom = store.field_values("contact", self.contact_id)
            self._version = contact.version
        # What the form showed: saving sends only what the user changed against these, so it never reverts a
        # change another window or process made to a field the user did not touch. Custom values are keyed
        # "custom.<key>", as the conflicts name them.
        self._loaded = {**values, **{f"custom.{k}": v for k, v in custom.items()}}
        for key, label in CONTACT_INPUTS:
            yield from self.field(_(label), Input(values.get(key, ""), id=f"in-{key}"), key)
            if self.contact_id is None and key in ("last_name", "phone"):  # the duplicate checks' lines
                yield Static("", id="similar-hint" if key == "last_name" else "dup-warning", markup=False)
        if self.contact_id is None:
            tags = Input(self.prefill.get("tags", ""), id="in-tags")
            yield from self.field(_("Tags (comma separated)"), tags, "tags")
        self._defs = store.list_fields("contact")
        for definition in self._defs:
            widget = custom_field_widget(definition, custom.get(definition.key), self.locale)
            yield from self.field(definition.label, widget, f"cf-{definition.key}")

    def save(self) -> Deferred | None:
        values: dict[str, Any] = {key: self.query_one(f"#in-{key}", Input).value.strip() for key, _l in CONTACT_INPUTS}
        region = getattr(self.app.settings, "region", "IT")  # type: ignore[attr-defined]
        ok = True
        try:
            normalize_email(values["email"])
        except InvalidValue as exc:
            self.set_error("email", str(exc))
            ok = False
        try:
            normalize_phone(values["phone"], region)
        except InvalidValue as exc:
            self.set_error("phone", str(exc))
            ok = False
        custom: dict[str, Any] = {}
        for definition in self._defs:
            raw = custom_field_value(self.query_one(f"#cf-{definition.key}"))
            try:
                custom[definition.key] = coerce(definition, raw, locale=self.locale)
            except InvalidValue as exc:
                self.set_error(f"cf-{definition.key}", str(exc))
                ok = False
        if not any(values[k] for k in ("first_name", "last_name", "company", "email", "phone")):
            self.set_error("first_name", _("A contact needs a name, a company, an email or a phone"))
            ok = False
        if not ok:
            return None
        if self.contact_id is None and self.duplicate_warning(values["email"], values["phone"]):
            return None  # warned: ctrl+o opens the other contact, ctrl+s again saves anyway
        store = self.store
        tags = (
            [t.strip() for t in self.query_one("#in-tags", Input).value.split(",") if t.strip()]
            if (self.contact_id is None)
            else []
        )

        def write() -> int:
            if self.contact_id is None:
                contact = store.create_contact(**values, tags=tags, custom=custom, region=region, origin="tui")
                assert contact.id is not None
                return contact.id
            store.update_contact(
                self.contact_id,
                {k: v for k, v in values.items() if v != (self._loaded.get(k) or "")},
                custom={k: v for k, v in custom.items() if not _same_value(v, self._loaded.get(f"custom.{k}"))},
                region=region,
                origin="tui",
                expected_version=self._version,
                overwrite=self._overwrite,
            )
            return self.contact_id

        return Deferred(write)

    @on(Input.Changed, "#in-first_name, #in-last_name")
    def _name_changed(self) -> None:
        if self.contact_id is None:
            self.name_typed()

    @on(Input.Changed, "#in-email, #in-phone")
    def _key_changed(self) -> None:
        if self.contact_id is None:
            self.key_typed()

    def action_open_existing(self) -> None:
        self.open_existing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_existing":
            return bool(self.existing)
        return True

    def save_failed(self, exc: Exception) -> None:
        if not isinstance(exc, EditConflict):
            super().save_failed(exc)
            return
        field = exc.field
        label = _(dict(CONTACT_INPUTS).get(field, "")) or next(
            (d.label for d in self._defs if f"custom.{d.key}" == field), field
        )
        options = [
            (_("Keep mine: {value}").format(value=_shown(exc.mine)), "mine"),
            (_("Take theirs: {value}").format(value=_shown(exc.theirs)), "theirs"),
        ]
        title = _("{field} was changed by someone else while you edited").format(field=label)
        self.app.push_screen(ChoicePicker(title, options), lambda choice: self._resolve(exc, choice))

    def _resolve(self, exc: EditConflict, choice: str | None) -> None:
        if choice is None:
            self.form_error(_("Not saved: {field} was changed by someone else").format(field=exc.field))
            return
        if choice == "mine":
            self._overwrite.add(exc.field)
        else:  # take theirs: show it, and it is no longer a change of this form
            self._loaded[exc.field] = exc.theirs
            if not exc.field.startswith("custom."):
                self.query_one(f"#in-{exc.field}", Input).value = str(exc.theirs or "")
        self.action_save()


def _shown(value: Any) -> str:
    return _("(empty)") if value in (None, "", []) else str(value)


# --- activities -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What an activity is attached to: the contact, or one of its opportunities."""

    contact_id: int
    opportunities: tuple[tuple[int, str], ...] = ()  # (id, title) of the contact's live deals
    opportunity_id: int | None = None  # preselected deal


class ActivityForm(FormScreen):
    """Add a note, task, appointment or logged message/call to a contact or one of its deals, or (with
    `item_id`) edit one: the form opens filled in and saves only the fields changed.

    Dismisses with the kind once saved. A call takes its time (default now), length (`5`, `5m`, `1h30`, `0:45`)
    and outcome (free text; answered / no answer / voicemail / call back are offered): all optional."""

    # The first field to type in: "Attach to" and the channel ("call") are preset, so `m`, the subject,
    # `ctrl+s` logs a call on the contact (shift+tab reaches them).
    FIRST_FOCUS = "Input, TextArea"

    KINDS = {
        "note": _("New note"),
        "task": _("New task"),
        "appointment": _("New appointment"),
        "message": _("Log a message or call"),
    }
    EDIT_TITLES = {
        "note": _("Edit note"),
        "task": _("Edit task"),
        "appointment": _("Edit appointment"),
        "message": _("Edit message or call"),
    }

    def __init__(self, kind: str, target: Target, *, item_id: int | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.target = target
        self.item_id = item_id
        self.form_title = self.EDIT_TITLES[kind] if item_id is not None else self.KINDS[kind]
        self.loaded: dict[str, Any] = {}  # edit: what each field showed when the form opened

    def fields(self) -> ComposeResult:
        item = self.store.get_activity(self.kind, self.item_id) if self.item_id is not None else None
        values = activity_texts(self.kind, item, self.locale)
        self.loaded = dict(values)
        options: list[tuple[Content, int]] = [(Content(_("The contact")), 0)]
        options += [(Content(_("Deal: {title}").format(title=title)), oid) for oid, title in self.target.opportunities]
        if len(options) > 1 and item is None:
            attach = Select(options, value=self.target.opportunity_id or 0, allow_blank=False, id="in-attach")
            yield from self.field(_("Attach to"), attach, "attach")
        if self.kind == "note":
            yield from self.field(_("Note"), TextArea(values["body"], id="in-body"), "body")
        elif self.kind == "task":
            yield from self.field(_("Task"), Input(values["title"], id="in-title"), "title")
            due_label = _("Due ({order}, ISO, today, +3)").format(order=date_hint(self.locale))
            yield from self.field(due_label, Input(values["due"], id="in-due"), "due")
            yield from self.field(_("Notes"), TextArea(values["notes"], id="in-notes"), "notes")
        elif self.kind == "appointment":
            yield from self.field(_("Title"), Input(values["title"], id="in-title"), "title")
            starts_label = _("Starts ({order} hh:mm)").format(order=date_hint(self.locale))
            yield from self.field(starts_label, Input(values["starts"], id="in-starts"), "starts")
            yield from self.field(_("Ends (optional)"), Input(values["ends"], id="in-ends"), "ends")
            yield from self.field(_("Location"), Input(values["location"], id="in-location"), "location")
        else:
            yield from self._message_fields(values)

    def _message_fields(self, values: dict[str, Any]) -> ComposeResult:
        channels = [(Content(channel_word(c.value)), c.value) for c in Channel]
        yield from self.field(
            _("Channel"), Select(channels, value=values["channel"], allow_blank=False, id="in-channel"), "channel"
        )
        directions = [(Content(_("Incoming")), Direction.IN.value), (Content(_("Outgoing")), Direction.OUT.value)]
        yield from self.field(
            _("Direction"),
            Select(directions, value=values["direction"], allow_blank=False, id="in-direction"),
            "direction",
        )
        # Subject stays third: "m tab tab subject ctrl+s" logs a call in as few keys as before (README's counts).
        yield from self.field(_("Subject"), Input(values["subject"], id="in-subject"), "subject")
        choices = [_(o) for o in OUTCOMES]
        with Horizontal(classes="pair"):
            with Vertical():
                outcome = Input(
                    values["outcome"],
                    placeholder=" / ".join(choices),
                    suggester=SuggestFromList(choices, case_sensitive=False),
                    id="in-outcome",
                )
                yield from self.field(_("Outcome (optional)"), outcome, "outcome")
            with Vertical():
                duration = Input(values["duration"], placeholder=_("5, 5m, 1h30, 0:45"), id="in-duration")
                yield from self.field(_("Duration (optional)"), duration, "duration")
        yield from self.field(_("What was said"), TextArea(values["body"], id="in-body"), "body")
        when = Input(values["when"], placeholder=_("now"), id="in-when")
        yield from self.field(_("When ({order} hh:mm; empty: now)").format(order=date_hint(self.locale)), when, "when")

    def _owner(self) -> tuple[int | None, int | None]:
        """(contact_id, opportunity_id) for the store: one of them, as chosen in "Attach to"."""
        selects = self.query("#in-attach")
        oid = selects.first(Select).value if selects else 0
        if isinstance(oid, int) and oid:
            return None, oid
        return self.target.contact_id, None

    def _required(self, name: str, value: str, message: str) -> bool:
        if value.strip():
            return True
        self.set_error(name, message)
        return False

    def _value(self, name: str) -> Any:
        widget = self.query_one(f"#in-{name}")
        return widget.value if isinstance(widget, Select) else _text(widget)

    def _parsed(self, name: str, parse: Callable[[str], Any]) -> tuple[bool, Any]:
        """(ok, value) of a typed field; a refused value is shown next to its field."""
        try:
            return True, parse(self._value(name))
        except InvalidValue as exc:
            self.set_error(name, str(exc))
            return False, None

    def save(self) -> Deferred | None:
        values = self._values()
        if values is None:
            return None
        store = self.store
        if self.item_id is not None:
            item_id, kind = self.item_id, self.kind
            changes = {field: value for field, value in values.items() if self._edited(field)}
            return Deferred(lambda: (store.update_activity(kind, item_id, changes, origin="tui"), kind)[1])
        cid, oid = self._owner()
        call = self._creator(values, cid, oid)
        return Deferred(lambda: (call(), self.kind)[1])

    def _edited(self, field: str) -> bool:
        """Whether the user changed the field(s) behind a store field (edits send only what was edited)."""
        sources = FIELD_SOURCES.get(self.kind, {}).get(field, (field,))
        return any(self._value(name) != self.loaded.get(name) for name in sources)

    def _values(self) -> dict[str, Any] | None:
        """The store fields the form holds, validated; None (with errors shown) when something is wrong."""
        kind, ok = self.kind, True
        if kind == "note":
            body = self._value("body")
            return {"body": body} if self._required("body", body, _("Write something")) else None
        if kind == "task":
            title = self._value("title")
            ok = self._required("title", title, _("A task needs a title"))
            good, due = self._parsed("due", lambda t: due_from_text(t, self.locale) if t.strip() else None)
            if not (ok and good):
                return None
            return {"title": title, "due_at": due, "notes": self._value("notes")}
        if kind == "appointment":
            ok = self._required("title", self._value("title"), _("An appointment needs a title"))
            good, starts = self._parsed("starts", lambda t: parse_datetime(t, locale=self.locale))
            fine, ends = self._parsed("ends", lambda t: parse_datetime(t, locale=self.locale) if t.strip() else None)
            if not (ok and good and fine):
                return None
            fields = {"title": self._value("title"), "starts_at": starts, "ends_at": ends}
            return {**fields, "location": self._value("location")}
        return self._message_values()

    def _message_values(self) -> dict[str, Any] | None:
        subject, body, outcome = self._value("subject"), self._value("body"), outcome_key(self._value("outcome"))
        ok, duration = self._parsed("duration", parse_duration)
        good, at = self._parsed("when", lambda t: parse_datetime(t, locale=self.locale) if t.strip() else None)
        if not (subject.strip() or body.strip() or outcome or duration is not None):
            self.set_error("body", _("A message needs a subject or a body"))
            ok = False
        if not (ok and good):
            return None
        return {
            "channel": str(self._value("channel")),
            "direction": str(self._value("direction")),
            "subject": subject,
            "body": body,
            "outcome": outcome,
            "duration_s": duration,
            "at": at if at is not None or self.item_id is None else self._loaded_at(),
        }

    def _loaded_at(self) -> Any:
        return self.loaded.get("_at")

    def _creator(self, values: dict[str, Any], cid: int | None, oid: int | None) -> Callable[[], object]:
        store = self.store
        owner: dict[str, Any] = {"origin": "tui", "contact_id": cid, "opportunity_id": oid}
        if self.kind == "note":
            return partial(store.add_note, values["body"], **owner)
        if self.kind == "task":
            return partial(store.add_task, values["title"], due_at=values["due_at"], notes=values["notes"], **owner)
        if self.kind == "appointment":
            return partial(
                store.add_appointment, values["title"], values["starts_at"], ends_at=values["ends_at"],
                location=values["location"], **owner,
            )  # fmt: skip
        return partial(store.log_message, values.pop("body"), **values, **owner)


#: Which inputs stand behind a store field (when they differ by name): a field is sent only if one changed.
FIELD_SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "task": {"due_at": ("due",)},
    "appointment": {"starts_at": ("starts",), "ends_at": ("ends",)},
    "message": {"duration_s": ("duration",), "at": ("when",)},
}


def typed_datetime(value: datetime | None, locale: str | None, *, with_time: bool = True) -> str:
    """A stored time as the user would type it back (local time, the locale's order): what an edit form shows."""
    if value is None:
        return ""
    at = local(value)
    day = format_user_date(at.date(), locale)
    return f"{day} {at:%H:%M}" if with_time else day


def activity_texts(kind: str, item: Any, locale: str | None) -> dict[str, Any]:
    """What each input of the activity form shows: empty (or the defaults) for a new item, its values to edit."""
    if kind == "note":
        return {"body": item.body if item else ""}
    if kind == "task":
        due = item.due_at if item else None
        shows_time = due is not None and local(due).strftime("%H:%M") != "23:59"
        return {
            "title": item.title if item else "",
            "due": typed_datetime(due, locale, with_time=shows_time),
            "notes": item.notes if item else "",
        }
    if kind == "appointment":
        return {
            "title": item.title if item else "",
            "starts": typed_datetime(item.starts_at if item else None, locale),
            "ends": typed_datetime(item.ends_at if item else None, locale),
            "location": item.location if item else "",
        }
    return {
        "channel": item.channel if item else Channel.CALL.value,
        "direction": item.direction if item else Direction.OUT.value,
        "subject": item.subject if item else "",
        "body": item.body if item else "",
        "outcome": outcome_word(item.outcome) if item else "",
        "duration": duration_short(item.duration_s).replace(" ", "") if item and item.duration_s is not None else "",
        "when": typed_datetime(item.at, locale) if item else "",
        "_at": item.at if item else None,
    }


# --- tags -----------------------------------------------------------------------------------------------


class TagPicker(FormScreen):
    """Tag and untag a contact: tick existing tags, type new ones. Dismisses with True once saved."""

    form_title = _("Tags")

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.form_title = _("Edit contact") if contact_id else _("New contact")

    def fields(self) -> ComposeResult:
        store = self.store
        self._had = set(store.contact_tags(self.contact_id))
        names = [name for name, _count in store.list_tags()]
        yield from self.field(_("New tags (comma separated)"), Input(id="in-new"), "new")
        if names:
            yield from self.field(
                _("Tags (space toggles)"),
                SelectionList[str](*(Selection(Content(n), n, n in self._had) for n in names), id="in-tags"),
                "tags",
            )

    def save(self) -> Deferred:
        wanted = set(self.query_one("#in-tags", SelectionList).selected) if self.query("#in-tags") else set()
        new = [t.strip() for t in self.query_one("#in-new", Input).value.split(",") if t.strip()]
        store = self.store

        def write() -> bool:
            store.set_contact_tags(
                self.contact_id,
                add=[*sorted(wanted - self._had), *new],
                remove=sorted(self._had - wanted),
                origin="tui",
            )
            return True

        return Deferred(write)


# --- filters --------------------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class FilterForm(FormScreen):
    """Edit the list filter. Dismisses with the new ContactQuery (the search text and sort are kept)."""

    form_title = _("Filter contacts")

    def __init__(self, query: ContactQuery) -> None:
        super().__init__()
        self.current = query

    def fields(self) -> ComposeResult:
        q = self.current
        yield from self.field(_("Has any of these tags"), Input(", ".join(q.tags_any), id="in-tags_any"), "tags_any")
        yield from self.field(_("Has all of these tags"), Input(", ".join(q.tags_all), id="in-tags_all"), "tags_all")
        yield from self.field(
            _("Has none of these tags"), Input(", ".join(q.tags_none), id="in-tags_none"), "tags_none"
        )
        with Horizontal(classes="pair"):
            with Vertical():
                yield from self.field(_("Source"), Input(q.source, id="in-source"), "source")
            with Vertical():
                yield from self.field(_("Owner"), Input(q.owner, id="in-owner"), "owner")
        stages: list[tuple[Content, str]] = []
        for pipeline in self.store.list_pipelines():
            stages.append((Content(_("{pipeline}: any stage").format(pipeline=pipeline.name)), f"p{pipeline.id}"))
            stages += [(Content(f"{pipeline.name}: {s.name}"), f"s{pipeline.id}:{s.id}") for s in pipeline.stages]
        current: str | object = Select.NULL
        if q.stage_id is not None:
            current = f"s{q.pipeline_id}:{q.stage_id}"
        elif q.pipeline_id is not None:
            current = f"p{q.pipeline_id}"
        yield from self.field(
            _("Has an open deal in"), Select(stages, value=current, prompt=_("(any)"), id="in-stage"), "stage"
        )
        with Horizontal(classes="pair"):
            with Vertical():
                after = format_user_date(q.created_after.date(), self.locale) if q.created_after else ""
                label = _("Created from ({order})").format(order=date_hint(self.locale))
                yield from self.field(label, Input(after, id="in-after"), "after")
            with Vertical():
                before = format_user_date(q.created_before.date(), self.locale) if q.created_before else ""
                yield from self.field(_("Created before"), Input(before, id="in-before"), "before")

    def save(self) -> ContactQuery | None:
        dates: dict[str, datetime | None] = {}
        ok = True
        for name in ("after", "before"):
            raw = self.query_one(f"#in-{name}", Input).value
            dates[name] = None
            if raw.strip():
                try:
                    day = parse_date(raw, locale=self.locale)
                    dates[name] = datetime(day.year, day.month, day.day).astimezone()
                except InvalidValue as exc:
                    self.set_error(name, str(exc))
                    ok = False
        if not ok:
            return None
        pipeline_id = stage_id = None
        stage = self.query_one("#in-stage", Select).value
        if isinstance(stage, str) and stage.startswith("p"):
            pipeline_id = int(stage[1:])
        elif isinstance(stage, str) and stage.startswith("s"):
            pid, sid = stage[1:].split(":")
            pipeline_id, stage_id = int(pid), int(sid)
        return ContactQuery(
            search=self.current.search,
            tags_any=_split(self.query_one("#in-tags_any", Input).value),
            tags_all=_split(self.query_one("#in-tags_all", Input).value),
            tags_none=_split(self.query_one("#in-tags_none", Input).value),
            source=self.query_one("#in-source", Input).value.strip(),
            owner=self.query_one("#in-owner", Input).value.strip(),
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            created_after=dates["after"],
            created_before=dates["before"],
            deleted=self.current.deleted,
            sort=self.current.sort,
            descending=self.current.descending,
        )


# --- small dialogs --------------------------------------------------------------------------------------


class NameDialog(FormScreen):
    """Ask for a name (e.g. of a smart list); `validate` may raise to show an inline error."""

    def __init__(self, title: str, label: str, value: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.label = label
        self.value = value

    def fields(self) -> ComposeResult:
        yield from self.field(self.label, Input(self.value, id="in-name"), "name")

    @on(Input.Submitted, "#in-name")
    def _submitted(self) -> None:
        self.action_save()

    def save(self) -> str | None:
        name = self.query_one("#in-name", Input).value.strip()
        if not name:
            self.set_error("name", _("Type a name"))
            return None
        return name


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no question: `y`/`enter` confirms, `n`/`escape` cancels.

    | Key | Action |
    | --- | --- |
    | y, enter | Confirm |
    | n, escape | Cancel |
    """

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmDialog #confirm-hint { color: $foreground-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("y,enter", "answer(True)", _("Yes"), id="confirm.yes", tooltip=_("Confirm")),
        Binding("n,escape", "answer(False)", _("No"), id="confirm.no", tooltip=_("Cancel")),
    ]

    def __init__(self, question: str | Content, title: str = "") -> None:
        super().__init__()
        self.question = question if isinstance(question, Content) else Content(question)
        self.title_text = title or _("Confirm")

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(self.question, id="confirm-question")
            yield Static(_("y / enter: yes · n / escape: no"), id="confirm-hint", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
