"""contact search: indexes on each haystack's last one and two characters (SQLite)

Revision ID: 0007_search_prefix
Revises: 0004_import_history
Create Date: 2026-12-01

A one- or two-character search term has no trigram of its own in the FTS5 index. Wherever it lies in a
haystack except the last two characters, it starts a trigram of the index (found through fts5vocab); these two
expression indexes find the rest, so a rare short term ("qq") no longer scans every haystack (store/search.py,
short_ids). Part of the "search prefix" work (store/search_plan.py). SQLite only, like the FTS index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_search_prefix"
down_revision: str | None = "0004_import_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of this revision's indexes (schema.SEARCH_TAIL holds the current ones).
INDEXES = {
    "ix_contact_search_tail2": "CREATE INDEX ix_contact_search_tail2 ON contact (substr(search_text, -2))",
    "ix_contact_search_tail1": "CREATE INDEX ix_contact_search_tail1 ON contact (substr(search_text, -1))",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in INDEXES.values():
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
