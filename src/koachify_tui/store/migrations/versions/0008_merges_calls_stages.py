"""merges, calls, stages: the schema for duplicates merging, call details and won-on-entry stages

Revision ID: 0008_merges_calls_stages
Revises: 0006_versions
Create Date: 2026-12-01

- `contact.merged_into_id`: a contact merged away into another (kept, hidden, so a merge can be undone).
- `contact_merge`: one merge (survivor, the others, the change-log transaction that did it, its undo).
- `duplicate_ignore`: pairs the user marked "not a duplicate" (lower id first), never suggested again.
- `message.duration_s` / `message.outcome`: a logged call's length and result.
- `stage.won_on_entry`: moving a deal into this stage also wins it.
Portable (SQLite, PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_merges_calls_stages"
down_revision: str | None = "0006_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_index("ix_contact_merged_into_id", ["merged_into_id"])
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("duration_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("stage") as batch:
        batch.add_column(sa.Column("won_on_entry", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "contact_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_ids_json", sa.String(), nullable=False),
        sa.Column("txn", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undo_txn", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_merge_survivor_id", "contact_merge", ["survivor_id"])
    op.create_table(
        "duplicate_ignore",
        sa.Column("contact_a_id", sa.Integer(), nullable=False),
        sa.Column("contact_b_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("contact_a_id", "contact_b_id"),
    )


def downgrade() -> None:
    op.drop_table("duplicate_ignore")
    op.drop_index("ix_contact_merge_survivor_id", table_name="contact_merge")
    op.drop_table("contact_merge")
    with op.batch_alter_table("stage") as batch:
        batch.drop_column("won_on_entry")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("outcome")
        batch.drop_column("duration_s")
    with op.batch_alter_table("contact") as batch:
        batch.drop_index("ix_contact_merged_into_id")
        batch.drop_column("merged_into_id")
