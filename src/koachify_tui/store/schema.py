"""Schema pieces that SQLAlchemy's metadata cannot describe (the SQLite search index), and creating a new
database at the newest schema without running every migration.

Changing anything here needs a new migration too. Migrations keep their own frozen copy of the table's DDL;
0002 to 0009's triggers (`FTS_TRIGGERS_0002`) are kept here for them."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

# The search index in the name order (since 0010): its rowid is the contact's rank in (name_key, id) order
# (`contact_rank`, kept by store/name_rank.py), so FTS5, which lists a trigram's rows in rowid order, lists the
# matches of a term by name and a page stops after its rows ("ario" at 1M contacts: 300 → 0.3 ms). The content
# is the view of ranked contacts, so `integrity-check` compares the index with the contacts.
# detail=none: no positions, so no phrase queries; search asks for single trigrams instead (search.fts_ids).
RANK_TABLES = {
    "contact_rank": "CREATE TABLE contact_rank (rank INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE)",
    # Contacts new or renamed since their rank was given: in no index until the store ranks them (before
    # each commit); a search adds them to the index's candidates meanwhile.
    "contact_unranked": "CREATE TABLE contact_unranked (id INTEGER PRIMARY KEY)",
}
RANKED_VIEW = (
    "CREATE VIEW contact_ranked AS SELECT contact_rank.rank AS rank, contact.search_text AS search_text "
    "FROM contact_rank JOIN contact ON contact.id = contact_rank.id"
)
FTS_TABLE = (
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_text, content='contact_ranked', content_rowid='rank', tokenize='trigram', detail=none)"
)
_UNINDEX_OLD = (
    "INSERT INTO contact_fts(contact_fts, rowid, search_text) "
    "SELECT 'delete', rank, old.search_text FROM contact_rank WHERE id = old.id;"
)
FTS_TRIGGERS = {
    "contact_fts_ai": """CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT OR IGNORE INTO contact_unranked(id) VALUES (new.id); END""",
    "contact_fts_ad": f"""CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN
        {_UNINDEX_OLD}
        DELETE FROM contact_rank WHERE id = old.id; DELETE FROM contact_unranked WHERE id = old.id; END""",
    # A new name needs a new rank: out of the index until the store gives it one.
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

# 0002 to 0009: the index keyed by contact id, its content the contact table.
FTS_TRIGGERS_0002 = {
    "contact_fts_ai": """CREATE TRIGGER contact_fts_ai AFTER INSERT ON contact BEGIN
        INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    "contact_fts_ad": """CREATE TRIGGER contact_fts_ad AFTER DELETE ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); END""",
    "contact_fts_au": """CREATE TRIGGER contact_fts_au AFTER UPDATE OF search_text ON contact BEGIN
        INSERT INTO contact_fts(contact_fts, rowid, search_text) VALUES('delete', old.id, old.search_text);
        INSERT INTO contact_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
}


# The last one and two characters of each haystack: where a one- or two-character term lies when no trigram
# starts with it (search.short_ids). SQLite only, like the FTS index; since 0007.
SEARCH_TAIL = {
    "ix_contact_search_tail2": "CREATE INDEX ix_contact_search_tail2 ON contact (substr(search_text, -2))",
    "ix_contact_search_tail1": "CREATE INDEX ix_contact_search_tail1 ON contact (substr(search_text, -1))",
}


# Each name after its first word (the last name, most often), for the name order's second part of a search
# (search_plan.py): SQLite only, since 0009. `REST` is the expression, written as the index has it so that
# SQLite's planner recognises it in a query.
REST = "substr(contact.name_key, instr(contact.name_key, ' ') + 1)"
NAME_REST = {
    "ix_contact_live_rest": "CREATE INDEX ix_contact_live_rest ON contact "
    "(deleted_at, substr(name_key, instr(name_key, ' ') + 1), name_key, id)",
}


def create_search_tail(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for sql in SEARCH_TAIL.values():
            conn.exec_driver_sql(sql)


def create_name_rest(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for sql in NAME_REST.values():
            conn.exec_driver_sql(sql)


def drop_search_tail(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name in SEARCH_TAIL:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def fts5_trigram_available(conn: Connection) -> bool:
    try:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE temp._probe_fts USING fts5(x, tokenize='trigram')")
        conn.exec_driver_sql("DROP TABLE temp._probe_fts")
        return True
    except DBAPIError:
        return False


def create_search_index_0002(conn: Connection, table_ddl: str) -> None:
    """0002 to 0009's index (keyed by contact id), filled from existing rows, for those migrations: `table_ddl`
    is their own frozen `CREATE VIRTUAL TABLE`. No-op where unsupported (PostgreSQL, SQLite without FTS5
    trigram): search falls back to LIKE there."""
    if conn.dialect.name != "sqlite" or not fts5_trigram_available(conn):
        return
    conn.exec_driver_sql(table_ddl)
    for sql in FTS_TRIGGERS_0002.values():
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES('rebuild')")


def drop_search_index_0002(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    for name in FTS_TRIGGERS_0002:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS contact_fts")


def create_search_index(conn: Connection) -> None:
    """The search index in the name order (see FTS_TABLE), every contact ranked and indexed. No-op where
    unsupported (PostgreSQL, SQLite without FTS5 trigram): search falls back to LIKE there."""
    if conn.dialect.name != "sqlite" or not fts5_trigram_available(conn):
        return
    from .name_rank import rank_all

    for sql in (*RANK_TABLES.values(), RANKED_VIEW, FTS_TABLE, *FTS_TRIGGERS.values()):
        conn.exec_driver_sql(sql)
    rank_all(conn)


def create_at_head(conn: Connection, head: str) -> None:
    """A new, empty database: every table of models.py plus the search index, stamped at `head`. The result
    equals running every migration (tests/test_store_db.py compares them) without Alembic's ~0.3 s import."""
    from sqlmodel import SQLModel

    from . import models  # noqa: F401 - registers the tables on the metadata

    SQLModel.metadata.create_all(conn)
    create_search_index(conn)
    create_search_tail(conn)
    create_name_rest(conn)
    conn.execute(
        text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
