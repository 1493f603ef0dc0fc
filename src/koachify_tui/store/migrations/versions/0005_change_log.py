"""change_log: the field-level change log (the one source for undo and the timeline's "changes")

Revision ID: 0005_change_log
Revises: 0007_search_prefix
Create Date: 2026-12-01

Contacts a batch creates stay recorded in import_batch_item (so older batches' undo still removes them);
contacts that batches from before this revision merged into are not reverted by their undo (their snapshots
are not field-level changes). Portable (SQLite, PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_change_log"
down_revision: str | None = "0007_search_prefix"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("cause", sa.String(), nullable=False),
        sa.Column("cause_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_change_log_contact", "change_log", ["contact_id", "id"])
    op.create_index("ix_change_log_batch", "change_log", ["batch_id"])
    op.create_index("ix_change_log_txn", "change_log", ["txn"])


def downgrade() -> None:
    op.drop_index("ix_change_log_txn", table_name="change_log")
    op.drop_index("ix_change_log_batch", table_name="change_log")
    op.drop_index("ix_change_log_contact", table_name="change_log")
    op.drop_table("change_log")
