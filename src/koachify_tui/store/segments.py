"""Smart lists: saved contact filters, re-evaluated every time they are opened."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlmodel import col

from ..i18n import _
from .base import StoreBase
from .contacts import ContactQuery
from .errors import Conflict, InvalidValue, NotFound
from .models import SmartList
from .normalize import clean_text, fold


class SegmentsAPI(StoreBase):
    def list_smart_lists(self) -> list[SmartList]:
        with self.read() as s:
            return list(s.execute(select(SmartList).order_by(col(SmartList.position), col(SmartList.id))).scalars())

    def save_smart_list(self, name: str, query: ContactQuery, *, replace: bool = False) -> SmartList:
        """Save a filter under a name (unique, case-insensitive); `replace` overwrites a list of that name."""
        name = clean_text(name)
        if not name:
            raise InvalidValue(_("a smart list needs a name"))
        with self.write() as tx:
            s = tx.session
            existing: SmartList | None = (
                s.execute(select(SmartList).where(col(SmartList.name_key) == fold(name))).scalars().first()
            )
            if existing is not None:
                if not replace:
                    raise Conflict(_("a smart list named {name!r} already exists").format(name=existing.name))
                existing.filters_json = json.dumps(query.to_dict())
                return existing
            position = int(s.execute(select(func.count()).select_from(SmartList)).one()[0])
            smart = SmartList(
                name=name, name_key=fold(name), filters_json=json.dumps(query.to_dict()), position=position
            )
            s.add(smart)
            s.flush()
            return smart

    def get_smart_list(self, ref: int | str) -> SmartList:
        with self.read() as s:
            stmt = select(SmartList).where(
                col(SmartList.id) == ref if isinstance(ref, int) else col(SmartList.name_key) == fold(ref)
            )
            smart: SmartList | None = s.execute(stmt).scalars().first()
            if smart is None:
                raise NotFound(_("no smart list {ref!r}").format(ref=ref))
            return smart

    def smart_list_query(self, ref: int | str) -> ContactQuery:
        return ContactQuery.from_dict(json.loads(self.get_smart_list(ref).filters_json))

    def delete_smart_list(self, ref: int | str) -> None:
        smart = self.get_smart_list(ref)
        with self.write() as tx:
            obj = tx.session.get(SmartList, smart.id)
            if obj is not None:
                tx.session.delete(obj)
