"""Errors the store raises; every message is fit to show a user as one line."""

from __future__ import annotations

from .normalize import InvalidValue


class StoreError(Exception):
    """Base for errors a user can act on."""


class NotFound(StoreError):
    """No live row with that id or name."""


class Conflict(StoreError):
    """A uniqueness rule would be broken (a duplicate pipeline, stage, tag, field…)."""


__all__ = ["Conflict", "InvalidValue", "NotFound", "StoreError"]
