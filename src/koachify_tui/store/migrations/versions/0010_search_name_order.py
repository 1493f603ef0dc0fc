"""contact search: the trigram index keyed by each contact's rank in the name order (SQLite)

Revision ID: 0010_search_name_order
Revises: 0009_i18_name_rest
Create Date: 2026-12-01

FTS5 lists a trigram's rows in rowid order. Keyed by contact id, the matches of a term that no name starts
with had to be sorted by name, or the name index walked until they turned up ("ario" at 1M contacts: 300 ms).
Keyed by a rank in (name_key, id) order (`contact_rank`, kept by store/name_rank.py), the index lists them by
name and a page stops after its rows. Contacts new or renamed wait in `contact_unranked` until the store ranks
them before its commit. The index's content is the view of ranked contacts. SQLite only, like 0002.
"""

from collections.abc import Sequence

from alembic import op

from koachify_tui.store.name_rank import rank_all
from koachify_tui.store.schema import drop_search_index_0002, fts5_trigram_available

revision: str = "0010_search_name_order"
down_revision: str | None = "0009_i18_name_rest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of this revision's schema (schema.py holds the current one) and of 0003's index.
TABLES = (
    "CREATE TABLE contact_rank (rank INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE)",
    "CREATE TABLE contact_unranked (id INTEGER PRIMARY KEY)",
    "CREATE VIEW contact_ranked AS SELECT contact_rank.rank AS rank, contact.search_text AS search_text "
    "FROM contact_rank JOIN contact ON contact.id = contact_rank.id",
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_text, content='contact_ranked', content_rowid='rank', tokenize='trigram', detail=none)",
)
_UNINDEX_OLD = (
    "INSERT INTO contact_fts(contact_fts, rowid, search_text) "
    "SELECT 'delete', rank, old.search_text FROM contact_rank WHERE id = old.id;"
)
TRIGGERS = {
    "contact_fts_ai": """CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT OR IGNORE INTO contact_unranked(id) VALUES (new.id); END""",
    "contact_fts_ad": f"""CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN
        {_UNINDEX_OLD}
        DELETE FROM contact_rank WHERE id = old.id; DELETE FROM contact_unranked WHERE id = old.id; END""",
    "contact_fts_an": f"""CREATE TRIGGER contact_fts_an AFTER UPDATE OF name_key ON contact
        WHEN new.name_key IS NOT old.name_key BEGIN
        {_UNINDEX_OLD}
        DELETE FROM contact_rank WHERE id = old.id; INSERT OR IGNORE INTO contact_unranked(id) VALUES (new.id); END""",
    "contact_fts_au": f"""CREATE TRIGGER contact_fts_au AFTER UPDATE OF search_text ON contact
        WHEN new.name_key IS old.name_key BEGIN
        {_UNINDEX_OLD}
        INSERT INTO contact_fts(rowid, search_text) SELECT rank, new.search_text FROM contact_rank WHERE id = new.id;
        END""",
}
FTS_TABLE_0003 = (
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_text, content='contact', content_rowid='id', tokenize='trigram', detail=none)"
)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite" or not fts5_trigram_available(conn):
        return
    drop_search_index_0002(conn)
    for sql in (*TABLES, *TRIGGERS.values()):
        conn.exec_driver_sql(sql)
    rank_all(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for sql in ("DROP TABLE IF EXISTS contact_fts", "DROP VIEW IF EXISTS contact_ranked",
                "DROP TABLE IF EXISTS contact_unranked", "DROP TABLE IF EXISTS contact_rank"):  # fmt: skip
        conn.exec_driver_sql(sql)
    from koachify_tui.store.schema import create_search_index_0002

    create_search_index_0002(conn, FTS_TABLE_0003)
