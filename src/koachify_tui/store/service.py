"""`Store`: the one service object the CLI, the TUI, the importer and automations talk to."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from ..i18n import _
from .activities import ActivitiesAPI
from .board import BoardAPI
from .changes_api import ChangesAPI
from .contacts import ContactsAPI
from .db import DatabaseError, busy_timeout, ensure_schema, make_engines, resolve_url
from .duplicates import DuplicatesAPI
from .fields import FieldsAPI
from .merge import MergeAPI
from .models import Contact, Opportunity
from .opportunities import OpportunitiesAPI
from .pipelines import PipelinesAPI
from .reports import ReportsAPI
from .rules import RulesAPI
from .segments import SegmentsAPI
from .sequences import SequencesAPI
from .timeline import TimelineAPI


class Store(
    ContactsAPI,
    PipelinesAPI,
    OpportunitiesAPI,
    ActivitiesAPI,
    TimelineAPI,
    FieldsAPI,
    SegmentsAPI,
    RulesAPI,
    BoardAPI,
    ChangesAPI,
    SequencesAPI,
    ReportsAPI,
    DuplicatesAPI,
    MergeAPI,
):
    """The CRM's data and rules. Create with `Store.open(db)`; nothing touches a database at import time.

    Every write runs in one transaction (`with store.write(): …` groups several calls atomically) and
    publishes domain events to `store.subscribe(...)` handlers after it commits."""

    def __init__(self, url: str, *, origin: str = "api", region: str = "IT", timeout: float | None = None) -> None:
        self.url = url
        #: Seconds a write waits for another writer before failing (see db.busy_timeout).
        self.busy_timeout = busy_timeout(timeout)
        write_engine, read_engine = make_engines(url, self.busy_timeout)
        self._init_base(write_engine, read_engine, origin, region)

    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        *,
        origin: str = "api",
        region: str = "IT",
        seed: bool = True,
        busy_timeout: float | None = None,
    ) -> Store:
        """Open (creating or upgrading) the database at a path or URL; `None` means $KOACHIFY_DB or the
        default file. A new database gets the default pipeline and the seed automation rule. Opening an
        up-to-date database only reads (it never waits for a writer). `busy_timeout`: seconds a write waits
        for the lock (None: $KOACHIFY_BUSY_TIMEOUT or 60)."""
        url = resolve_url(db)
        try:
            store = cls(url, origin=origin, region=region, timeout=busy_timeout)
        except ModuleNotFoundError as exc:
            raise DatabaseError(
                _("no driver for {value}: {exc} (pip install 'koachify-tui[postgres]')").format(
                    value=url.split(":", 1)[0], exc=exc
                )
            ) from None
        except DatabaseError:
            raise
        except Exception as exc:
            raise DatabaseError(_("cannot open the database: {exc}").format(exc=exc)) from exc
        try:
            ensure_schema(store._write_engine, store._read_engine)
            if seed:
                store.ensure_default_pipeline()
                store.ensure_seed_rule()
        except DatabaseError:
            store.close()
            raise
        except Exception as exc:
            store.close()
            raise DatabaseError(_("cannot open the database: {exc}").format(exc=exc)) from exc
        return store

    def create_opportunity_with_contact(
        self, contact: Mapping[str, Any], title: str, pipeline: int | str, **kwargs: Any
    ) -> Opportunity:
        """A new contact (`contact`: create_contact's fields) and a deal for it, in one transaction."""
        origin = kwargs.get("origin")
        with self.write(origin):
            created = self.create_contact(**contact, origin=origin)
            return self.create_opportunity(created.id or 0, title, pipeline, **kwargs)

    def is_empty(self) -> bool:
        """True when the database holds no contact at all (deleted ones included)."""
        with self.read() as s:
            return not s.execute(select(func.count()).select_from(Contact)).one()[0]
