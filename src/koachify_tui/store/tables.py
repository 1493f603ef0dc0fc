"""The SQLAlchemy Core tables behind the models, for the set-based paths (import writer, change log, versions,
duplicates finder) that build statements without ORM objects. One place, so each module doesn't re-declare them."""

from __future__ import annotations

from sqlalchemy import Table

from .models import (
    ChangeLog,
    Contact,
    ContactChannel,
    ContactTag,
    CustomFieldDef,
    CustomFieldValue,
    DuplicateIgnore,
    HistoryEntry,
    ImportBatchItem,
    Tag,
)

# SQLModel types `__table__` as a class attribute it doesn't declare; it is a Table for every table=True model.
T_CONTACT: Table = Contact.__table__  # type: ignore[attr-defined]
T_CHANNEL: Table = ContactChannel.__table__  # type: ignore[attr-defined]
T_CONTACT_TAG: Table = ContactTag.__table__  # type: ignore[attr-defined]
T_TAG: Table = Tag.__table__  # type: ignore[attr-defined]
T_DEF: Table = CustomFieldDef.__table__  # type: ignore[attr-defined]
T_VALUE: Table = CustomFieldValue.__table__  # type: ignore[attr-defined]
T_HISTORY: Table = HistoryEntry.__table__  # type: ignore[attr-defined]
T_ITEM: Table = ImportBatchItem.__table__  # type: ignore[attr-defined]
T_CHANGE: Table = ChangeLog.__table__  # type: ignore[attr-defined]
T_IGNORE: Table = DuplicateIgnore.__table__  # type: ignore[attr-defined]
