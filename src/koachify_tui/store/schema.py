"""Schema pieces that SQLAlchemy's metadata cannot describe (the SQLite search index), and creating a new
database at the newest schema without running every migration.

Changing anything here needs a new migration too. Migrations keep their own frozen copy of the table's DDL
(0002: detail=full, 0003: detail=none); the triggers, unchanged since 0002, are shared from here."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

# detail=none: no positions, so no phrase queries; search asks for single trigrams instead (search.fts_ids).
# At 100k contacts: 7.7 MB instead of 22.3 MB, rebuilt in 0.43 s instead of 0.79 s.
FTS_TABLE = (
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_text, content='contact', content_rowid='id', tokenize='trigram', detail=none)"
)
FTS_TRIGGERS = {
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


def create_search_index(conn: Connection, table_ddl: str = FTS_TABLE) -> None:
    """The FTS5 trigram index over contact.search_text, filled from existing rows. No-op where unsupported
    (PostgreSQL, SQLite without FTS5 trigram): search falls back to LIKE there. Migrations pass the
    `CREATE VIRTUAL TABLE` of their own revision."""
    if conn.dialect.name != "sqlite" or not fts5_trigram_available(conn):
        return
    conn.exec_driver_sql(table_ddl)
    for sql in FTS_TRIGGERS.values():
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts) VALUES('rebuild')")


def drop_search_index(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    for name in FTS_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS contact_fts")


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
