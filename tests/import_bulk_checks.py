"""Shared by the SQLite and PostgreSQL bulk-import tests: a generated file and what its import must leave."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from koachify_tui.store.models import Contact, ContactTag, CustomFieldValue, HistoryEntry, ImportBatchItem

HEADER = ["First Name", "Last Name", "Organization Name", "Labels", "E-mail 1 - Value", "E-mail 2 - Value",
          "Phone 1 - Value", "Address 1 - Formatted", "Notes", "Title"]  # fmt: skip
FIRST = ["Mario", "Zoë", "Søren", "ŞAHİN", "Anna", "", "Straße"]
LAST = ["Rossi", "D'Amico", "Müller", "", "Ωmega"]
LABELS = ["* myContacts", "* myContacts ::: Clienti", "VIP, vip; Prospect", "", "Tag Uno ::: Due"]


def write_file(path: Path, rows: int, seed: int = 3) -> int:
    """`rows` records with duplicates by email case and by phone format (also across chunks), Italian mobiles
    starting with 39, non-ASCII names, multi-line and formula-looking text. Returns the distinct contacts."""
    rnd = random.Random(seed)
    originals: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            if originals and rnd.random() < 0.2:
                row = list(rnd.choice(originals))
                if rnd.random() < 0.5:
                    row[4] = row[4].upper()
                else:
                    digits = row[6].replace(" ", "")
                    row[6] = f"+39 {digits[:3]} {digits[3:]}"
                row[3] = rnd.choice(LABELS)  # a duplicate brings other tags: merged
            else:
                phone = f"3{rnd.choice([2, 3, 4, 9])}{rnd.randint(0, 9)} {rnd.randint(1000000, 9999999)}"
                row = [rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(["", "Acme srl", "ÉCOLE"]),
                       rnd.choice(LABELS), f"user{i}@Example.com", rnd.choice(["", f"alt{i}@example.org"]),
                       phone, rnd.choice(["", f"Via Roma {i}\nMilano"]), rnd.choice(["", "=SUM(A1)", "<b>x</b>"]),
                       rnd.choice(["", "Coach"])]  # fmt: skip
                originals.append(row)
            out.writerow(row)
    return len(originals)


def check_store(store: Any, batch_id: int, created: int) -> None:
    """Derived columns equal the store's own, and every created contact has its undo row (from which its
    timeline's "Imported from" line is derived: no history row per created contact)."""
    with store.write() as tx:
        s = tx.session
        contacts = list(s.exec(select(Contact).order_by(Contact.id)).scalars())  # type: ignore[arg-type]
        assert len(contacts) == created
        for contact in contacts:
            stored = (contact.search_text, contact.name_key)
            store._refresh_search(s, contact)
            assert (contact.search_text, contact.name_key) == stored, contact.id
        assert list(s.exec(select(HistoryEntry.contact_id))) == []
        items = s.exec(select(ImportBatchItem.contact_id).where(ImportBatchItem.batch_id == batch_id)).scalars()
        assert sorted(items) == [c.id for c in contacts]
        assert s.exec(select(func.count()).select_from(ContactTag)).one()[0] > 0
        assert s.exec(select(func.count()).select_from(CustomFieldValue)).one()[0] > 0
        tx.session.rollback()  # _refresh_search must not write anything here
