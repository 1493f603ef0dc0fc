"""versions: optimistic concurrency for contacts and opportunities

Revision ID: 0006_versions
Revises: 0005_change_log
Create Date: 2026-12-01

`version` on contact and opportunity, bumped by every committed change; `change_log.version` says which
version each logged change made, so an edit based on version N can tell which fields others changed since.
Portable SQL (SQLite, PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_versions"
down_revision: str | None = "0005_change_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("contact", "opportunity"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("change_log") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("version")
    for table in ("opportunity", "contact"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
