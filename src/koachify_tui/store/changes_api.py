"""`Store` methods over the change log (store/changes.py records it; this reads it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase
from .changes import Cause, Change, changes_of, decode
from .contacts import refresh_search
from .errors import Conflict, NotFound
from .models import ChangeLog, Contact, ContactTag, ImportBatchItem, Tag
from .revert import Outcome, revert


def later_than(s: Session, rows: list[Change], first: int) -> set[tuple[Any, ...]]:
    """Set-like changes (tags, items) to the same contacts by other transactions after `first`."""
    txn = rows[0].txn
    contacts = sorted({r.contact_id for r in rows if r.contact_id is not None})
    out: set[tuple[Any, ...]] = set()
    if not contacts:
        return out
    for entity, entity_id, name, old, new in s.execute(
        select(
            col(ChangeLog.entity), col(ChangeLog.entity_id), col(ChangeLog.field), col(ChangeLog.old_value),
            col(ChangeLog.new_value),
        ).where(col(ChangeLog.contact_id).in_(contacts), col(ChangeLog.id) > first, col(ChangeLog.txn) != txn)
    ):  # fmt: skip
        out.add((entity, entity_id, name, decode(new) if new is not None else decode(old)))
    return out


class ChangesAPI(StoreBase):
    """Reading the change log, the facts bulk events stand for, and undo of one action."""

    def undo_changes(self, txn: str, *, origin: str | None = None) -> Outcome:
        """Revert what one write transaction (`last_txn()` after it) changed, field by field, keeping
        whatever was changed again since (listed in the outcome with the reason). Recorded in the log with
        cause "undo"; undoing the same action twice reverts nothing the second time."""
        with self.read() as s:
            rows = changes_of(s, txn=txn)
        if not rows:
            raise NotFound(f"no change {txn!r} in the log")
        merge_id = next((r.cause_id for r in rows if r.cause == "merge"), None)
        if merge_id is not None:  # field by field it would leave half a merge: undo_merge gives both back
            raise Conflict(
                _("that action is a merge: undo it as a merge (`koachify duplicates undo {id}`)").format(id=merge_id)
            )
        if any(r.field == "merged_into_id" for r in rows):  # the undo of a merge: merging again is the way back
            raise Conflict(_("that action undid a merge: merge the contacts again instead"))
        first = min(r.id for r in rows)
        with self.write(origin, cause=Cause("undo", first)) as tx:
            if not tx.changes:  # joined a bare `run_write` (the TUI's worker writes): it is still an undo
                tx.cause = Cause("undo", first)
                tx.origin = origin or tx.origin
            later = later_than(tx.session, rows, first)
            outcome = revert(tx, self, rows, later=later)
            for cid in sorted(outcome.contacts):
                contact = tx.session.get(Contact, cid)
                if contact is not None:
                    refresh_search(tx.session, contact)
            return outcome

    def changes(
        self,
        *,
        contact_id: int | None = None,
        entity: str | None = None,
        entity_id: int | None = None,
        batch_id: int | None = None,
        limit: int | None = 200,
    ) -> list[Change]:
        """Logged changes, newest first, filtered by contact, entity or import batch."""
        with self.read() as s:
            return changes_of(
                s, contact_id=contact_id, entity=entity, entity_id=entity_id, batch_id=batch_id, limit=limit
            )

    def import_tag_links(self, batch_id: int) -> list[tuple[int, str]]:
        """(contact id, tag) for every tag an import batch put on a contact: the tags of the contacts it
        created and those it added to existing ones. What one `ImportCompleted` stands for, tag-wise (the
        import publishes no per-row TagAdded; see the README's event contract)."""
        with self.read() as s:
            created = (  # the batch's new contacts are in its undo records, not one log row each (see importer)
                select(col(ImportBatchItem.contact_id), col(Tag.name))
                .join(ContactTag, col(ContactTag.contact_id) == col(ImportBatchItem.contact_id))
                .join(Tag, col(Tag.id) == col(ContactTag.tag_id))
                .where(col(ImportBatchItem.batch_id) == batch_id, col(ImportBatchItem.action) == "created")
            )
            added = select(col(ChangeLog.contact_id), col(ChangeLog.new_value)).where(
                col(ChangeLog.batch_id) == batch_id,
                col(ChangeLog.cause) == "import",
                col(ChangeLog.field) == "tag",
                col(ChangeLog.old_value).is_(None),
            )
            links = [(int(cid), str(name)) for cid, name in s.execute(created.order_by(col(ImportBatchItem.id)))]
            links += [(int(cid), str(decode(value))) for cid, value in s.execute(added.order_by(col(ChangeLog.id)))]
            return links

    def import_batch_contacts(self, batch_id: int) -> list[int]:
        """The live contacts an import batch created or updated, by id (a batch's possible duplicates are
        `batch_duplicates`, which reads only the groups' contacts in the batch)."""
        with self.read() as s:
            rows = s.execute(
                select(col(ImportBatchItem.contact_id))
                .join(Contact, col(Contact.id) == col(ImportBatchItem.contact_id))
                .where(col(ImportBatchItem.batch_id) == batch_id, col(Contact.deleted_at).is_(None))
                .distinct()
                .order_by(col(ImportBatchItem.contact_id))
            )
            return [int(cid) for cid in rows.scalars()]
