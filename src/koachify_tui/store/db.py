"""Database URLs, engines and schema upgrades.

SQLite is opened with WAL, foreign keys, `synchronous=FULL` and a busy timeout. Write transactions start
with `BEGIN IMMEDIATE`: a deferred transaction that later upgrades to a write fails at once with
"database is locked" whatever the busy timeout, so the TUI and a CLI import could not write to one file at
the same time. Reads use a second engine with plain deferred transactions (WAL snapshots), so a long import
never blocks the screens from reading; opening the store reads the schema revision through the read engine too,
and takes the write lock only when an upgrade is needed.

How long a write waits for the lock is the busy timeout: `busy_timeout` in the config file or
$KOACHIFY_BUSY_TIMEOUT (seconds, default 60). On PostgreSQL it is the `lock_timeout` of every session, so a
write queued behind another transaction's row locks fails the same way instead of waiting for ever.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from ..i18n import _
from . import commit_seq

ENV_VAR = "KOACHIFY_DB"
BUSY_TIMEOUT_ENV = "KOACHIFY_BUSY_TIMEOUT"
BUSY_TIMEOUT = 60.0  # seconds
# The newest migration; kept here so opening an up-to-date database does not import Alembic
# (tests/test_store_db.py checks it against the scripts).
SCHEMA_HEAD = "0010_search_name_order"


#: Per thread: the next write transaction must not wait for the lock (Store.write(wait=False)).
NOWAIT = threading.local()


class DatabaseError(RuntimeError):
    """The database cannot be opened or upgraded; the message is fit for a user."""


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("koachify", appauthor=False)) / "koachify.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """`--db` value (path or URL), else $KOACHIFY_DB, else the default SQLite file."""
    value = str(db) if db else os.environ.get(ENV_VAR) or ""
    if not value:
        value = str(default_db_path())
    if "://" in value:
        return value
    if value == ":memory:":
        return "sqlite://"
    return f"sqlite:///{Path(value).expanduser().absolute()}"


def busy_timeout(value: float | None = None) -> float:
    """Seconds a write waits for the lock: `value` (the setting), else $KOACHIFY_BUSY_TIMEOUT, else 60."""
    if value is None:
        raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
        try:
            value = float(raw) if raw else BUSY_TIMEOUT
        except ValueError:
            raise DatabaseError(f"${BUSY_TIMEOUT_ENV} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise DatabaseError(f"the busy timeout must be zero or more seconds, not {value}")
    return value


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_engine(url: str, *, write: bool, timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        if make_url(url).database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        # A bulk write turned automatic checkpoints off for its commit (see `defer_checkpoint`): back on
        # before the connection serves anyone else.
        previous = record.info.pop(AUTOCHECKPOINT_KEY, None)
        if previous is not None and dbapi_conn is not None:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={int(previous)}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not write:
            conn.exec_driver_sql("BEGIN")
        elif getattr(NOWAIT, "on", False):
            # Try the lock once: SQLITE_BUSY at once instead of waiting (the TUI then waits in a worker).
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        if write:  # the rows it changes tell whether its commit is numbered (commit_seq)
            commit_seq.mark_begin(conn)

    return engine


AUTOCHECKPOINT_KEY = "koachify_wal_autocheckpoint"


def defer_checkpoint(conn: Connection) -> None:
    """Let this SQLite transaction's commit skip the automatic checkpoint (copying the WAL into the
    database file, as long again as writing the WAL after a bulk write): the caller runs it in the
    background afterwards (`Checkpointer`). Restored when the connection goes back to the pool."""
    raw = conn.connection.dbapi_connection
    if raw is None or AUTOCHECKPOINT_KEY in conn.info:
        return
    conn.info[AUTOCHECKPOINT_KEY] = int(raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    raw.execute("PRAGMA wal_autocheckpoint=0")


class Checkpointer:
    """A PASSIVE WAL checkpoint in a thread of its own, on a connection of its own: it never blocks readers
    or writers, and SQLite does the copying with the GIL released, so the caller's work after a bulk commit
    (events, the duplicates count) goes on meanwhile. `join()` waits for it (before the engines close)."""

    def __init__(self, path: str, timeout: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(path, timeout), name="koachify-checkpoint", daemon=True)
        self._thread.start()

    @staticmethod
    def _run(path: str, timeout: float) -> None:
        import sqlite3

        try:
            with contextlib.closing(sqlite3.connect(path, timeout=timeout, check_same_thread=False)) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:  # the next commit's automatic checkpoint does it instead
            pass

    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join()


def is_lock_timeout(exc: BaseException) -> bool:
    """True for "another writer holds the lock": SQLite's SQLITE_BUSY, PostgreSQL's lock_timeout (55P03)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlite_errorname", "") in {"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"}:
        return True
    if getattr(orig, "sqlstate", None) == "55P03":
        return True
    return "database is locked" in str(orig)


def make_engines(url: str, timeout: float = BUSY_TIMEOUT) -> tuple[Engine, Engine]:
    """(write engine, read engine). On PostgreSQL both are the same engine. `timeout`: the busy timeout."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            path = Path(database)
            if path.parent.exists():
                _check_sqlite_file(path)  # a foreign file is refused before anything touches it
            make_private(path)
            return _sqlite_engine(url, write=True, timeout=timeout), _sqlite_engine(url, write=False, timeout=timeout)
        # An in-memory database exists per connection: share one connection between both roles.
        from sqlalchemy.pool import StaticPool

        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

        return engine, engine
    connect_args = {"options": f"-c lock_timeout={int(timeout * 1000)}"} if "psycopg" in url else {}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    return engine, engine


def make_private(path: Path) -> None:
    """Personal data is private by default: the database (and so the WAL and SHM SQLite creates with its
    mode) is created 0600, the default data dir 0700. Looser modes found on open are tightened (group and
    other bits removed, nothing added: a read-only file stays read-only) with a one-line notice on stderr."""
    default_dir = default_db_path().parent
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent == default_dir:
            path.parent.chmod(0o700)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    targets = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]
    if path.parent == default_dir:
        targets.append(path.parent)
    for target in targets:
        try:
            mode = target.stat().st_mode & 0o777
            if mode & 0o077:
                target.chmod(mode & 0o700)
                sys.stderr.write(f"koachify: made {target} private (it was {mode:o}, now {mode & 0o700:o})\n")
        except OSError:  # not ours to change (another user's file, a read-only mount): leave it
            continue


def _check_sqlite_file(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise DatabaseError(_("{path} is not a Koachify database (not an SQLite file)").format(path=path))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (a new database is created from the first migration)."""
    from alembic import command
    from alembic.config import Config

    migrations = Path(__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_schema(engine: Engine, read_engine: Engine | None = None) -> None:
    """Create or upgrade the schema; a database already at head costs one query on the read engine (a
    deferred transaction: it never waits for a writer) and no Alembic import."""
    from sqlalchemy.exc import DatabaseError as SADatabaseError

    try:
        if read_engine is not None and current_revision(read_engine) == SCHEMA_HEAD:
            return
        revision = current_revision(engine)
        if revision == SCHEMA_HEAD:
            return
        if revision is None:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
            if tables:
                raise DatabaseError(_("the database has tables but no Koachify schema version; refusing to touch it"))
            from .schema import create_at_head

            with engine.begin() as conn:
                create_at_head(conn, SCHEMA_HEAD)
            return
        upgrade(engine)
    except SADatabaseError as exc:
        raise DatabaseError(_("cannot open the database: {orig}").format(orig=exc.orig)) from exc
