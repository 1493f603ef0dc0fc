"""App-wide Textual messages."""

from __future__ import annotations

from textual.message import Message

from .store.events import DomainEvent


class StoreChanged(Message):
    """Committed store changes (coalesced): sent to the active screen so it can refresh what it shows."""

    def __init__(self, events: tuple[DomainEvent, ...]) -> None:
        super().__init__()
        self.events = events
