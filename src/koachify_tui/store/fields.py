"""Custom fields: definitions per entity (contact or opportunity) and typed values."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from ..i18n import N_, _
from .base import StoreBase, Tx
from .changes import record as log_change
from .errors import Conflict, InvalidValue, NotFound
from .events import ContactUpdated, OpportunityUpdated
from .models import Contact, CustomFieldDef, CustomFieldValue, FieldEntity, FieldType, Opportunity
from .normalize import clean_text, fold

#: The entity words that error messages name, for the catalogue (shown through `_(entity)`).
ENTITY_WORDS = (N_("contact"), N_("opportunity"))


def field_key(label: str) -> str:
    """A stable key from a label: "Data di nascita" → "data_di_nascita"."""
    import unicodedata

    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_") or "field"


def coerce(definition: CustomFieldDef, value: Any, *, locale: str | None = None) -> Any:
    """Validate and convert a value for a field's type; None/"" clears it (dates typed in `locale`'s order)."""
    if value is None or value == "" or value == []:
        return None
    options = json.loads(definition.options_json)
    kind = FieldType(definition.type)
    if kind is FieldType.TEXT:
        return clean_text(str(value), multiline=True)
    if kind is FieldType.NUMBER:
        try:
            number = float(str(value).replace(",", ".")) if not isinstance(value, int | float) else value
        except ValueError:
            raise InvalidValue(
                _("{label}: {value!r} is not a number").format(label=definition.label, value=value)
            ) from None
        return int(number) if float(number).is_integer() else number
    if kind is FieldType.DATE:
        if isinstance(value, date):
            return value.isoformat()
        from .dates import parse_date

        return parse_date(str(value), locale=locale).isoformat()
    if kind is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "y", "si", "sì", "x"}:
            return True
        if text in {"0", "false", "no", "n"}:
            return False
        raise InvalidValue(_("{label}: {value!r} is not yes/no").format(label=definition.label, value=value))
    values = value if isinstance(value, list | tuple) else [v.strip() for v in str(value).split(",")]
    values = [clean_text(str(v)) for v in values if str(v).strip()]
    if options:
        by_key = {fold(o): o for o in options}
        unknown = [v for v in values if fold(v) not in by_key]
        if unknown:
            raise InvalidValue(
                _("{label}: {value!r} is not one of {choices}").format(
                    label=definition.label, value=unknown[0], choices=", ".join(options)
                )
            )
        values = [by_key[fold(v)] for v in values]
    if kind is FieldType.SELECT:
        if len(values) != 1:
            raise InvalidValue(_("{label}: pick one value").format(label=definition.label))
        return values[0]
    return values


def values_of(s: Session, entity: str, entity_id: int) -> dict[str, Any]:
    """{key: value} of the custom fields set on one contact or opportunity."""
    rows = s.execute(
        select(col(CustomFieldDef.key), col(CustomFieldValue.value_json))
        .join(CustomFieldValue, col(CustomFieldValue.field_id) == col(CustomFieldDef.id))
        .where(col(CustomFieldDef.entity) == FieldEntity(entity).value, col(CustomFieldValue.entity_id) == entity_id)
        .order_by(col(CustomFieldDef.position))
    )
    return {key: json.loads(value) for key, value in rows}


def purge_values(s: Session, entity: str, entity_ids: Sequence[int]) -> None:
    if not entity_ids:
        return
    field_ids = select(col(CustomFieldDef.id)).where(col(CustomFieldDef.entity) == entity)
    s.execute(
        delete(CustomFieldValue).where(
            col(CustomFieldValue.field_id).in_(field_ids), col(CustomFieldValue.entity_id).in_(list(entity_ids))
        )
    )


def definition_of(s: Session, entity: str, key: str) -> CustomFieldDef:
    """The definition of custom field `key` on `entity`; NotFound otherwise."""
    definition: CustomFieldDef | None = (
        s.execute(
            select(CustomFieldDef).where(
                col(CustomFieldDef.entity) == FieldEntity(entity).value, col(CustomFieldDef.key) == key
            )
        )
        .scalars()
        .first()
    )
    if definition is None:
        raise NotFound(_("no {entity} custom field {key!r}").format(entity=_(entity), key=key))
    return definition


def write_value(tx: Tx, entity: str, entity_id: int, key: str, value: Any, *, contact_id: int | None) -> bool:
    """Set (None/"": clear) one custom value in `tx`, logging the change; False when it was already so.
    The one place custom values are written outside the importer's bulk path."""
    s = tx.session
    definition = definition_of(s, entity, key)
    coerced = coerce(definition, value)
    existing = (
        s.execute(
            select(CustomFieldValue).where(
                col(CustomFieldValue.field_id) == definition.id, col(CustomFieldValue.entity_id) == entity_id
            )
        )
        .scalars()
        .first()
    )
    old = json.loads(existing.value_json) if existing is not None else None
    if coerced is None:
        if existing is None:
            return False
        s.delete(existing)
    else:
        encoded = json.dumps(coerced, ensure_ascii=False)
        if existing is not None:
            if existing.value_json == encoded:
                return False
            existing.value_json = encoded
        else:
            s.add(CustomFieldValue(field_id=definition.id or 0, entity_id=entity_id, value_json=encoded))
    log_change(tx, entity, entity_id, f"custom.{definition.key}", old, coerced, contact_id=contact_id)
    return True


class FieldsAPI(StoreBase):
    """Custom field definitions and values."""

    def list_fields(self, entity: str = FieldEntity.CONTACT.value) -> list[CustomFieldDef]:
        with self.read() as s:
            return list(
                s.execute(
                    select(CustomFieldDef)
                    .where(col(CustomFieldDef.entity) == FieldEntity(entity).value)
                    .order_by(col(CustomFieldDef.position), col(CustomFieldDef.id))
                ).scalars()
            )

    def define_field(
        self,
        entity: str,
        label: str,
        *,
        type: str = FieldType.TEXT.value,
        key: str | None = None,
        options: Sequence[str] = (),
    ) -> CustomFieldDef:
        """Define a custom field for contacts or opportunities; keys are unique per entity."""
        entity = FieldEntity(entity).value
        try:
            type = FieldType(type).value
        except ValueError:
            raise InvalidValue(
                _("unknown field type {type!r}: {choices}").format(
                    type=type, choices=", ".join(t.value for t in FieldType)
                )
            ) from None
        label = clean_text(label)
        if not label:
            raise InvalidValue(_("a custom field needs a label"))
        key = field_key(key or label)
        if type in {FieldType.SELECT.value, FieldType.MULTI_SELECT.value} and not options:
            raise InvalidValue(_("a select field needs options"))
        with self.write() as tx:
            s = tx.session
            if s.execute(
                select(CustomFieldDef).where(col(CustomFieldDef.entity) == entity, col(CustomFieldDef.key) == key)
            ).first():
                raise Conflict(_("a {entity} field with key {key!r} already exists").format(entity=_(entity), key=key))
            position = int(
                s.execute(
                    select(func.count()).select_from(CustomFieldDef).where(col(CustomFieldDef.entity) == entity)
                ).one()[0]
            )
            definition = CustomFieldDef(
                entity=entity,
                key=key,
                label=label,
                type=type,
                position=position,
                options_json=json.dumps([clean_text(o) for o in options]),
            )
            s.add(definition)
            s.flush()
            return definition

    def delete_field(self, entity: str, key: str) -> None:
        with self.write() as tx:
            tx.session.delete(definition_of(tx.session, entity, key))

    def set_field_value(self, entity: str, entity_id: int, key: str, value: Any, *, origin: str | None = None) -> None:
        """Set (or, with None/"", clear) a custom field value on a contact or an opportunity."""
        with self.write(origin) as tx:
            target: Any = tx.session.get(Contact if entity == "contact" else Opportunity, entity_id)
            if target is None or target.deleted_at is not None:
                raise NotFound(_("no {entity} with id {entity_id}").format(entity=_(entity), entity_id=entity_id))
            contact_id = entity_id if entity == "contact" else target.contact_id
            if not write_value(tx, entity, entity_id, key, value, contact_id=contact_id):
                return
            if entity == "contact":
                tx.emit(ContactUpdated, contact_id=entity_id, changed=(f"custom.{key}",))
            else:
                tx.emit(
                    OpportunityUpdated,
                    contact_id=target.contact_id,
                    opportunity_id=entity_id,
                    pipeline_id=target.pipeline_id,
                    stage_id=target.stage_id,
                    status=target.status,
                    changed=(f"custom.{key}",),
                )

    def field_values(self, entity: str, entity_id: int) -> dict[str, Any]:
        """{key: value} of the custom fields set on one contact or opportunity."""
        with self.read() as s:
            return values_of(s, entity, entity_id)
