"""New / edit opportunity: a modal form that dismisses with the opportunity id (None when cancelled).

Used by the board (`n`, `e`) and by the contacts screen (`o`):

    form = OpportunityForm(app.store, contact_id=42)
    opportunity_id = await app.push_screen_wait(form)   # inside a worker, or push_screen(form, callback)
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..formatting import money
from ..i18n import _
from ..store import ContactQuery, Store, StoreError
from ..store.dates import date_hint
from ..store.models import CustomFieldDef, FieldType
from ..store.normalize import InvalidValue, parse_money
from .writes import ScreenWrites, error_text

NEW_CONTACT = "new"  # option id of the "create a contact" entry of the picker


def split_name(text: str) -> tuple[str, str]:
    """ "Mario Rossi" → ("Mario", "Rossi"); "Rossi" → ("Rossi", "")."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text.strip(), "")


def field_input_text(value: Any) -> str:
    """A stored custom field value as the user would type it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class OpportunityForm(ScreenWrites, ModalScreen[int | None]):
    """Create (opportunity_id None) or edit an opportunity; picks or creates the contact when none is given.

    | Key | Action |
    | --- | --- |
    | ctrl+s | Save |
    | escape | Cancel |
    | tab, shift+tab | Next / previous field |
    """

    DEFAULT_CSS = """
    OpportunityForm { align: center middle; }
    OpportunityForm #opp-form { width: 84; max-width: 100%; height: auto; max-height: 90%;
        background: $panel; border: thick $primary; padding: 0 1; }
    OpportunityForm #opp-form-body { height: auto; max-height: 1fr; }
    OpportunityForm .field-label { color: $foreground-muted; margin-top: 1; }
    OpportunityForm .field-error { color: $error; height: auto; }
    OpportunityForm .field-error.-empty { display: none; }
    OpportunityForm #contact-results { height: auto; max-height: 7; }
    OpportunityForm .row { height: auto; }
    OpportunityForm .row > Vertical { height: auto; width: 1fr; }
    OpportunityForm #opp-currency { width: 10; }
    OpportunityForm #opp-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    OpportunityForm #opp-buttons Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="opportunity_form.cancel", tooltip=_("Close without saving")),
        Binding(
            "ctrl+s",
            "save",
            _("Save"),
            id="opportunity_form.save",
            tooltip=_("Save the opportunity"),
            priority=True,
        ),
    ]

    def __init__(
        self,
        store: Store,
        contact_id: int | None = None,
        opportunity_id: int | None = None,
        *,
        pipeline_id: int | None = None,
        stage_id: int | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.opportunity_id = opportunity_id
        self.contact_id = contact_id
        self._new_contact_name = ""
        self._pipelines = store.list_pipelines()
        self._fields: list[CustomFieldDef] = store.list_fields("opportunity")
        self._row = store.opportunity_row(opportunity_id) if opportunity_id is not None else None
        # The version this edit is based on: fields others change meanwhile merge, a clash is refused.
        self._version = store.get_opportunity(opportunity_id).version if opportunity_id is not None else None
        self._values: dict[str, Any] = store.field_values("opportunity", opportunity_id) if opportunity_id else {}
        if self._row is not None:
            self.contact_id = self._row.contact_id
            pipeline_id, stage_id = self._row.pipeline_id, self._row.stage_id
        self._pipeline_id = pipeline_id or (self._pipelines[0].id if self._pipelines else None)
        self._stage_id = stage_id

    # --- layout ------------------------------------------------------------------------------------

    @property
    def _locale(self) -> str:
        settings = getattr(self.app, "settings", None)
        return str(getattr(settings, "locale", "it_IT"))

    def _setting(self, name: str, default: str) -> str:
        return str(getattr(getattr(self.app, "settings", None), name, default) or default)

    def compose(self) -> ComposeResult:
        row = self._row
        with Vertical(id="opp-form") as box:
            box.border_title = _("Edit opportunity") if row else _("New opportunity")
            box.border_subtitle = _("ctrl+s saves · escape cancels")
            with VerticalScroll(id="opp-form-body"):
                yield Label(_("Contact"), classes="field-label")
                if self.contact_id is not None:
                    yield Static(Text(self._contact_name(self.contact_id)), id="opp-contact")
                else:
                    yield Input(placeholder=_("Search a contact, or type a new name"), id="opp-contact-search")
                    yield OptionList(id="contact-results")
                    yield Static(Text(_("No contact chosen")), id="opp-contact")
                yield Static("", id="err-contact", classes="field-error -empty")
                yield Label(_("Title"), classes="field-label")
                yield Input(value=row.title if row else "", id="opp-title", placeholder=_("e.g. Coaching package"))
                yield Static("", id="err-title", classes="field-error -empty")
                with Horizontal(classes="row"):
                    with Vertical():
                        yield Label(_("Pipeline"), classes="field-label")
                        yield Select(
                            [(Text(p.name), p.id) for p in self._pipelines],
                            value=self._pipeline_id if self._pipeline_id is not None else Select.NULL,
                            allow_blank=False,
                            id="opp-pipeline",
                        )
                    with Vertical():
                        yield Label(_("Stage"), classes="field-label")
                        yield Select(self._stage_options(), allow_blank=False, id="opp-stage")
                with Horizontal(classes="row"):
                    with Vertical():
                        yield Label(_("Value"), classes="field-label")
                        yield Input(
                            value=self._value_text(row.value_minor) if row else "",
                            placeholder="1.500,50",
                            id="opp-value",
                        )
                    with Vertical(id="opp-currency"):
                        yield Label(_("Currency"), classes="field-label")
                        yield Input(value=row.currency if row else self._setting("currency", "EUR"), id="opp-curr")
                yield Static("", id="err-value", classes="field-error -empty")
                yield Label(_("Owner"), classes="field-label")
                yield Input(value=row.owner if row else self._setting("owner", ""), id="opp-owner")
                yield Label(_("Tags (comma separated)"), classes="field-label")
                yield Input(value=", ".join(row.tags) if row else "", id="opp-tags")
                for definition in self._fields:
                    yield from self._field_widgets(definition)
                yield Static("", id="err-form", classes="field-error -empty")
            with Horizontal(id="opp-buttons"):
                yield Button(_("Cancel"), id="opp-cancel")
                yield Button(_("Save"), id="opp-save", variant="primary")

    def _field_widgets(self, definition: CustomFieldDef) -> ComposeResult:
        kind = FieldType(definition.type)
        options: list[str] = json.loads(definition.options_json)
        value = self._values.get(definition.key)
        widget_id = f"cf-{definition.key}"
        if kind is FieldType.BOOLEAN:
            yield Checkbox(Text(definition.label), value=bool(value), id=widget_id, classes="custom-field")
            return
        yield Label(Text(definition.label), classes="field-label")
        if kind is FieldType.SELECT:
            yield Select(
                [(Text(o), o) for o in options],
                value=value if value in options else Select.NULL,
                id=widget_id,
                classes="custom-field",
            )
        else:
            placeholder = {
                FieldType.DATE: date_hint(self._locale),
                FieldType.NUMBER: _("a number"),
                FieldType.MULTI_SELECT: ", ".join(options),
            }.get(kind, "")
            yield Input(value=field_input_text(value), placeholder=placeholder, id=widget_id, classes="custom-field")
        yield Static("", id=f"err-{widget_id}", classes="field-error -empty")

    def on_mount(self) -> None:
        stage = self.query_one("#opp-stage", Select)
        if self._stage_id is not None:
            stage.value = self._stage_id
        target = "#opp-contact-search" if self.contact_id is None else "#opp-title"
        self.query_one(target, Input).focus()
        if self.contact_id is None:
            self._search_contacts("")

    def _value_text(self, minor: int) -> str:
        # Shown as the user types money in their locale, without the symbol: 1.500,50
        text = money(minor, "EUR", self._locale)
        return "".join(ch for ch in text if ch.isdigit() or ch in ".,").strip(".,")

    def _contact_name(self, contact_id: int) -> str:
        try:
            return self.store.contact_row(contact_id).display_name
        except StoreError:
            return f"#{contact_id}"

    def _stage_options(self) -> list[tuple[Text, int]]:
        for p in self._pipelines:
            if p.id == self._pipeline_id:
                return [(Text(s.name), s.id) for s in p.stages]
        return []

    # --- contact picker ----------------------------------------------------------------------------

    def _search_contacts(self, text: str) -> None:
        results = self.query_one("#contact-results", OptionList)
        results.clear_options()
        rows = self.store.list_contacts(ContactQuery(search=text.strip()), limit=6)
        for r in rows:
            label = Text(r.display_name)
            if r.email or r.company:
                label.append(f"  {r.company or r.email}", style="dim")
            results.add_option(Option(label, id=str(r.id)))
        if text.strip():
            results.add_option(Option(Text(_("+ New contact: {name}").format(name=text.strip())), id=NEW_CONTACT))

    @on(Input.Changed, "#opp-contact-search")
    def _contact_search_changed(self, event: Input.Changed) -> None:
        self._search_contacts(event.value)

    @on(Input.Submitted, "#opp-contact-search")
    def _contact_search_submitted(self) -> None:
        results = self.query_one("#contact-results", OptionList)
        if results.option_count:
            self._choose_contact(results.get_option_at_index(results.highlighted or 0).id)
            self.query_one("#opp-title", Input).focus()

    @on(OptionList.OptionSelected, "#contact-results")
    def _contact_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose_contact(event.option.id)
        self.query_one("#opp-title", Input).focus()

    def _choose_contact(self, option_id: str | None) -> None:
        label = self.query_one("#opp-contact", Static)
        if option_id == NEW_CONTACT:
            self.contact_id = None
            self._new_contact_name = self.query_one("#opp-contact-search", Input).value.strip()
            label.update(Text(_("New contact: {name}").format(name=self._new_contact_name)))
        elif option_id is not None:
            self.contact_id = int(option_id)
            self._new_contact_name = ""
            label.update(Text(_("Contact: {name}").format(name=self._contact_name(self.contact_id))))
        self._set_error("err-contact", "")

    # --- validation --------------------------------------------------------------------------------

    def _set_error(self, error_id: str, message: str) -> None:
        widget = self.query_one(f"#{error_id}", Static)
        widget.update(Text(message))
        widget.set_class(not message, "-empty")

    @on(Select.Changed, "#opp-pipeline")
    def _pipeline_changed(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self._pipeline_id:
            return
        self._pipeline_id = int(str(event.value))
        stage = self.query_one("#opp-stage", Select)
        stage.set_options(self._stage_options())

    @on(Input.Changed, "#opp-value")
    def _value_changed(self, event: Input.Changed) -> None:
        self._set_error("err-value", self._check_value(event.value)[1])

    @on(Input.Changed, "#opp-title")
    def _title_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._set_error("err-title", "")

    def _check_value(self, text: str) -> tuple[int, str]:
        try:
            minor = parse_money(text, self._locale)
        except InvalidValue:
            return 0, _("Type an amount like 1.500,50")
        if minor < 0:
            return 0, _("The value cannot be negative")
        return minor, ""

    def _custom_values(self) -> tuple[dict[str, Any], bool]:
        """The custom field values typed, validated one by one (errors shown inline)."""
        from ..store.fields import coerce

        values: dict[str, Any] = {}
        ok = True
        for definition in self._fields:
            widget = self.query_one(f"#cf-{definition.key}")
            if isinstance(widget, Checkbox):
                values[definition.key] = widget.value
                continue
            raw: Any = widget.value if isinstance(widget, Input | Select) else None
            if raw is Select.NULL:
                raw = None
            try:
                values[definition.key] = coerce(definition, raw, locale=self._locale)
                self._set_error(f"err-cf-{definition.key}", "")
            except InvalidValue as exc:
                ok = False
                self._set_error(f"err-cf-{definition.key}", str(exc))
        return values, ok

    # --- actions -----------------------------------------------------------------------------------

    @on(Button.Pressed, "#opp-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#opp-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        title = self.query_one("#opp-title", Input).value.strip()
        minor, value_error = self._check_value(self.query_one("#opp-value", Input).value)
        custom, custom_ok = self._custom_values()
        stage_value = self.query_one("#opp-stage", Select).value
        ok = custom_ok and not value_error
        self._set_error("err-value", value_error)
        if not title:
            self._set_error("err-title", _("A title is needed"))
            ok = False
        if self.contact_id is None and not self._new_contact_name:
            self._set_error("err-contact", _("Choose a contact or type a new name and pick “New contact”"))
            ok = False
        if stage_value is Select.NULL or self._pipeline_id is None:
            self._set_error("err-form", _("Choose a pipeline and a stage"))
            ok = False
        if not ok:
            return
        fields = {
            "title": title,
            "value_minor": minor,
            "currency": self.query_one("#opp-curr", Input).value.strip().upper() or "EUR",
            "owner": self.query_one("#opp-owner", Input).value.strip(),
        }
        tags = [t.strip() for t in self.query_one("#opp-tags", Input).value.split(",") if t.strip()]
        self.run_store_write(
            partial(self._write, fields, tags, custom, int(stage_value)),  # type: ignore[arg-type]
            done=self.dismiss,
            failed=lambda exc: self._set_error("err-form", error_text(exc)),
            gave_up=lambda: self._set_error("err-form", _("Gave up waiting for the database; nothing was saved")),
        )

    def _write(self, fields: dict[str, Any], tags: list[str], custom: dict[str, Any], stage_id: int) -> int:
        """One store call, so one transaction: a half-saved deal is worse than an error message. An edit sends
        only what differs from the values the form loaded."""
        assert self._pipeline_id is not None
        store = self.store
        if self._row is None:
            custom_set = {k: v for k, v in custom.items() if v not in (None, False)}
            title = fields.pop("title")
            if self.contact_id is None:
                first, last = split_name(self._new_contact_name)
                opp = store.create_opportunity_with_contact(
                    {"first_name": first, "last_name": last}, title, self._pipeline_id, stage=stage_id, tags=tags,
                    custom=custom_set or None, origin="tui", **fields,
                )  # fmt: skip
            else:
                opp = store.create_opportunity(
                    self.contact_id, title, self._pipeline_id, stage=stage_id, tags=tags, custom=custom_set or None,
                    origin="tui", **fields,
                )  # fmt: skip
            return opp.id or 0
        row = self._row
        changes = {k: v for k, v in fields.items() if getattr(row, k) != v}
        old = {t.casefold(): t for t in row.tags}
        new = {t.casefold(): t for t in tags}
        custom_changes = {
            k: v for k, v in custom.items() if v != self._values.get(k) and not (v is False and k not in self._values)
        }
        moved = stage_id != row.stage_id
        store.update_opportunity(
            row.id, changes, stage=stage_id if moved else None, pipeline=self._pipeline_id if moved else None,
            custom=custom_changes, add_tags=[new[k] for k in new.keys() - old.keys()],
            remove_tags=[old[k] for k in old.keys() - new.keys()], origin="tui", expected_version=self._version,
        )  # fmt: skip
        return row.id
