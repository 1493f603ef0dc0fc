"""history: drop the per-contact "Imported from" rows, now derived from import_batch_item

Revision ID: 0004_import_history
Revises: 0003_fts_detail_none
Create Date: 2026-11-27

Imports used to write a history row for every contact they created (kind "import", data_json
`{"batch_id": N, "file": …, "line": L, "action": "created"}`): 90k rows, ~20 MB, for a 100k-row file. The
importer no longer does; the timeline derives that line from the batch's `import_batch_item` rows (store/
timeline.py), so the old rows would show it twice. Rows for contacts an import updated or merged ("Updated
from …") and undo rows stay. Portable SQL (SQLite, PostgreSQL); the rows are not brought back on downgrade.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_import_history"
down_revision: str | None = "0003_fts_detail_none"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The file name is JSON-escaped in data_json (a quote becomes \"), so it cannot fake this pattern.
    op.execute(
        "DELETE FROM history_entry WHERE kind = 'import' AND contact_id IS NOT NULL"
        ' AND data_json LIKE \'%"action": "created"%\''
    )


def downgrade() -> None:
    pass
