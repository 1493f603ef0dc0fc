"""CSV export of contacts and opportunities, safe to open in Excel and re-importable.

Cells starting with = + - @, tab or CR get a leading apostrophe (OWASP CSV injection guidance); the
importer strips exactly that apostrophe again, so an export re-imports to the same contacts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlmodel import col

from .contacts import ContactQuery, ContactRow
from .models import ContactChannel, CustomFieldDef, CustomFieldValue, FieldEntity

PAGE = 1000
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CONTACT_HEADER = (
    "Koachify ID",
    "First Name",
    "Last Name",
    "Company",
    "Email",
    "Phone",
    "Other Emails",
    "Other Phones",
    "Tags",
    "Source",
    "Owner",
)


def neutralise(value: Any) -> str:
    """A cell Excel will not evaluate as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def join_tags(tags: Iterable[str]) -> str:
    """Tags in one cell, "A, B"; a tag holding a separator (`,` `;` `:::`) or a quote is double-quoted, as
    the importer reads it back: `Lead, "Roma, centro"`."""
    return ", ".join(
        '"' + tag.replace('"', '""') + '"' if any(c in tag for c in ',;"') or ":::" in tag else tag for tag in tags
    )


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _defs(store: Any, entity: str) -> list[CustomFieldDef]:
    return list(store.list_fields(entity))


def _values(store: Any, entity_ids: list[int], field_ids: list[int]) -> dict[int, dict[int, Any]]:
    out: dict[int, dict[int, Any]] = {}
    if not entity_ids or not field_ids:
        return out
    with store.read() as s:
        for eid, fid, value in s.exec(
            select(
                col(CustomFieldValue.entity_id), col(CustomFieldValue.field_id), col(CustomFieldValue.value_json)
            ).where(col(CustomFieldValue.entity_id).in_(entity_ids), col(CustomFieldValue.field_id).in_(field_ids))
        ):
            out.setdefault(eid, {})[fid] = json.loads(value)
    return out


def _channels(store: Any, ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    out: dict[int, tuple[list[str], list[str]]] = {}
    if not ids:
        return out
    with store.read() as s:
        for cid, kind, value in s.exec(
            select(col(ContactChannel.contact_id), col(ContactChannel.kind), col(ContactChannel.value))
            .where(col(ContactChannel.contact_id).in_(ids))
            .order_by(col(ContactChannel.id))
        ):
            emails, phones = out.setdefault(cid, ([], []))
            (emails if kind == "email" else phones).append(value)
    return out


def _contact_pages(store: Any, query: ContactQuery) -> Iterator[list[ContactRow]]:
    offset = 0
    while True:
        rows = store.list_contacts(query, limit=PAGE, offset=offset)
        if not rows:
            return
        yield rows
        offset += len(rows)


def export_contacts(
    store: Any,
    out: IO[str],
    *,
    delimiter: str = ",",
    tags: Iterable[str] = (),
    smart_list: str | None = None,
) -> int:
    """Write live contacts (optionally those with all `tags`, or of a smart list) as CSV; returns the count."""
    query = store.smart_list_query(smart_list) if smart_list else ContactQuery()
    query.tags_all = [*query.tags_all, *tags]
    defs = _defs(store, FieldEntity.CONTACT.value)
    field_ids = [d.id for d in defs if d.id is not None]
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in (*CONTACT_HEADER, *(d.label for d in defs))])
    count = 0
    for page in _contact_pages(store, query):
        ids = [r.id for r in page]
        custom = _values(store, ids, field_ids)
        channels = _channels(store, ids)
        for r in page:
            emails, phones = channels.get(r.id, ([], []))
            values = custom.get(r.id, {})
            row = [
                r.id,
                r.first_name,
                r.last_name,
                r.company,
                r.email,
                r.phone,
                ", ".join(emails),
                ", ".join(phones),
                join_tags(r.tags),
                r.source,
                r.owner,
                *(_cell(values.get(d.id or 0)) for d in defs),
            ]
            writer.writerow([neutralise(v) for v in row])
            count += 1
    return count


def export_opportunities(store: Any, out: IO[str], *, delimiter: str = ",") -> int:
    """Write live opportunities with their contact, pipeline, stage and custom fields as CSV."""
    defs = _defs(store, FieldEntity.OPPORTUNITY.value)
    field_ids = [d.id for d in defs if d.id is not None]
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    header = ("Koachify ID", "Title", "Contact", "Contact ID", "Pipeline", "Stage", "Status", "Value", "Currency",
              "Owner", "Source", "Lost Reason", "Created", "Closed", "Tags")  # fmt: skip
    writer.writerow([neutralise(h) for h in (*header, *(d.label for d in defs))])
    count, offset = 0, 0
    while True:
        page = store.list_opportunities(limit=PAGE, offset=offset)
        if not page:
            break
        offset += len(page)
        custom = _values(store, [o.id for o in page], field_ids)
        for o in page:
            values = custom.get(o.id, {})
            row = [
                o.id,
                o.title,
                o.contact_name,
                o.contact_id,
                o.pipeline,
                o.stage,
                o.status,
                f"{o.value_minor / 100:.2f}",
                o.currency,
                o.owner,
                o.source,
                o.lost_reason,
                o.created_at.isoformat(timespec="seconds"),
                o.closed_at.isoformat(timespec="seconds") if o.closed_at else "",
                join_tags(o.tags),
                *(_cell(values.get(d.id or 0)) for d in defs),
            ]
            writer.writerow([neutralise(v) for v in row])
            count += 1
    return count
