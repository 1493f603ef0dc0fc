"""contact search index: FTS5 trigram over contact.search_text on SQLite

Revision ID: 0002_search
Revises: 0001_core
Create Date: 2026-11-27

On SQLite an external-content FTS5 table with the trigram tokenizer makes substring search over 100k+
contacts take milliseconds; triggers keep it in step with `contact.search_text`. Other databases (and SQLite
builds without FTS5 trigram) use the portable LIKE fallback in store/search.py, so this is a no-op there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_search"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "contact_fts_ai": """CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    "contact_fts_ad": """CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); END""",
    "contact_fts_au": """CREATE TRIGGER contact_fts_au AFTER UPDATE OF search_text ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, search_text) VALUES('delete', old.id, old.search_text);
        INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
}


def _fts5_trigram_available(bind: sa.engine.Connection) -> bool:
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp._probe_fts USING fts5(x, tokenize='trigram')")
        bind.exec_driver_sql("DROP TABLE temp._probe_fts")
        return True
    except sa.exc.DBAPIError:
        return False


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _fts5_trigram_available(bind):
        return
    op.execute(
        "CREATE VIRTUAL TABLE contact_fts USING fts5("
        "search_text, content='contact', content_rowid='id', tokenize='trigram')"
    )
    for sql in TRIGGERS.values():
        op.execute(sql)
    op.execute("INSERT INTO contact_fts(contact_fts) VALUES('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS contact_fts")
