"""Errors the store raises; every message is fit to show a user as one line."""

from __future__ import annotations

from .normalize import InvalidValue


class StoreError(Exception):
    """Base for errors a user can act on."""


class NotFound(StoreError):
    """No live row with that id or name."""


class Conflict(StoreError):
    """A uniqueness rule would be broken (a duplicate pipeline, stage, tag, field…)."""


class Busy(StoreError):
    """Another process held the database's write lock longer than the busy timeout (or, with `wait=False`,
    at all): nothing was written and the same write can be tried again."""

    def __init__(self, message: str, *, waited: float = 0.0) -> None:
        super().__init__(message)
        self.waited = waited


class WriteCancelled(StoreError):
    """The caller gave up on a write while it waited for the lock: nothing was written."""


class EditConflict(Conflict):
    """Someone else changed `field` of the record since this edit loaded it: `theirs` is what they saved,
    `mine` what this edit wanted. Nothing was written; the caller decides which value to keep."""

    def __init__(self, entity: str, entity_id: int, field: str, mine: object, theirs: object) -> None:
        super().__init__(
            f"{field} of {entity} {entity_id} was changed by someone else meanwhile "
            f"(now {theirs!r}, yours {mine!r}); nothing saved"
        )
        self.entity, self.entity_id, self.field, self.mine, self.theirs = entity, entity_id, field, mine, theirs


__all__ = [
    "Busy",
    "Conflict",
    "EditConflict",
    "InvalidValue",
    "NotFound",
    "StoreError",
    "WriteCancelled",
    "database_errors",
]


def database_errors() -> tuple[type[Exception], ...]:
    """The database layer's error base (SQLAlchemy's), for the screens that show such an error as a message:
    only the store imports SQLAlchemy (imported here on first call, keeping this module light)."""
    from sqlalchemy.exc import SQLAlchemyError

    return (SQLAlchemyError,)
