"""contact search: an index of each live name after its first word, in name order (SQLite)

Revision ID: 0009_i18_name_rest
Revises: 0008_merges_calls_stages
Create Date: 2026-12-01

A search in the name order lists the names starting with its first term first, then the names whose rest
(after the first word: most often the last name) starts with it, then the other matches. This index answers
the second part in name order for each distinct rest (store/search_plan.py), so a last name ("rossi") is a
range read that stops at the page instead of 90k candidates sorted by name at 1M contacts. SQLite only, like
the FTS index (PostgreSQL runs one query with the same order).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_i18_name_rest"
down_revision: str | None = "0008_merges_calls_stages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of this revision's index (schema.NAME_REST holds the current one).
INDEXES = {
    "ix_contact_live_rest": "CREATE INDEX ix_contact_live_rest ON contact "
    "(deleted_at, substr(name_key, instr(name_key, ' ') + 1), name_key, id)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in INDEXES.values():
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
