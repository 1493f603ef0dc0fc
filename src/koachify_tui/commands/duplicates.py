"""`koachify duplicates …`: find likely duplicate contacts, merge them, undo a merge, mark a pair as not a
duplicate. The rules live in the store (store/duplicates.py finds, store/merge.py merges); this only parses
arguments and prints."""

from __future__ import annotations

from ..i18n import _
from .common import new_app

app = new_app(_("Find, merge and un-merge duplicate contacts."))
