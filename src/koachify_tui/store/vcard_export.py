"""vCard 3.0 export of contacts (`koachify export contacts.vcf`), written by vobject (escaping, folding), and
read back by the importer (`importer.vcard`) to the same contacts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from .contacts import ContactQuery
from .exporter import _channels, _contact_pages, _defs, _values
from .models import FieldEntity


def export_vcard(store: Any, out: IO[str], *, tags: Iterable[str] = (), smart_list: str | None = None) -> int:
    """Write live contacts (optionally those with all `tags`, or of a smart list) as vCards; returns the count.
    The `notes` custom field becomes NOTE; tags become CATEGORIES."""
    import vobject

    query = store.smart_list_query(smart_list) if smart_list else ContactQuery()
    query.tags_all = [*query.tags_all, *tags]
    notes = [d.id for d in _defs(store, FieldEntity.CONTACT.value) if d.key == "notes" and d.id is not None]
    count = 0
    for page in _contact_pages(store, query):
        ids = [r.id for r in page]
        channels = _channels(store, ids)
        custom = _values(store, ids, notes)
        for r in page:
            card = vobject.vCard()
            full = f"{r.first_name} {r.last_name}".strip() or r.company or r.email or r.phone
            card.add("n").value = vobject.vcard.Name(family=r.last_name, given=r.first_name)
            card.add("fn").value = full
            if r.company:
                card.add("org").value = [r.company]
            emails, phones = channels.get(r.id, ([], []))
            for value in [r.email, *emails]:
                if value:
                    card.add("email").value = value
            for value in [r.phone, *phones]:
                if value:
                    card.add("tel").value = value
            if r.tags:
                card.add("categories").value = list(r.tags)
            note = custom.get(r.id, {}).get(notes[0]) if notes else None
            if note:
                card.add("note").value = note if isinstance(note, str) else json.dumps(note)
            out.write(card.serialize())
            count += 1
    return count
