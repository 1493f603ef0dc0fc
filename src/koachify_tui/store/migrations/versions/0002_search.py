"""contact search index: FTS5 trigram over contact.search_text on SQLite

Revision ID: 0002_search
Revises: 0001_core
Create Date: 2026-11-27

On SQLite an external-content FTS5 table with the trigram tokenizer makes substring search over 100k+
contacts take milliseconds; triggers keep it in step with `contact.search_text`. Other databases (and SQLite
builds without FTS5 trigram) use the portable LIKE fallback in store/search.py, so this is a no-op there.
"""

from collections.abc import Sequence

from alembic import op

from koachify_tui.store.schema import create_search_index_0002, drop_search_index_0002

revision: str = "0002_search"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The index as this revision made it (frozen: 0003 recreates it with detail=none).
FTS_TABLE = (
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_text, content='contact', content_rowid='id', tokenize='trigram')"
)


def upgrade() -> None:
    create_search_index_0002(op.get_bind(), FTS_TABLE)


def downgrade() -> None:
    drop_search_index_0002(op.get_bind())
