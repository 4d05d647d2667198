"""The store's engine, sessions and schema migrations.

SQLite (a file in the workspace, WAL) by default; PostgreSQL when
``STILLROOM_DATABASE_URL`` says so. Writers that need a total order (the
ledger's seq) take the dialect's single-writer lock through
``write_session`` (or ``write_cursor``, the same without the ORM): SQLite
``BEGIN IMMEDIATE``, PostgreSQL a transaction-scoped advisory lock. Readers
never take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

# An arbitrary constant: the key of the advisory lock every writer takes on PostgreSQL.
WRITER_LOCK_KEY = 0x5715_100D
_WRITE_OPTION = "stillroom_write"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the single-writer lock until commit.

    Commits on success, rolls back on any exception: all or nothing.
    """
    with Session(engine, expire_on_commit=False) as s:
        conn = s.connection(execution_options={_WRITE_OPTION: True})
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


@contextmanager
def write_cursor(engine: Engine) -> Iterator[Any]:
    """``write_session`` without the ORM: a bare DB-API cursor whose transaction holds the writer lock.

    For the ledger's one-durable-commit-per-entry path, where building a
    session and its statements cost more than the commit's fsync. Statements
    use the driver's own placeholder (``placeholder``).
    """
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))
        else:
            cursor.execute("BEGIN IMMEDIATE")  # the connection runs with isolation_level=None: we begin
        try:
            yield cursor
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
    finally:
        raw.close()


def placeholder(engine: Engine) -> str:
    """The placeholder a ``write_cursor`` statement uses: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if engine.dialect.loaded_dbapi.paramstyle == "qmark" else "%s"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (a new database starts empty)."""
    from alembic import command

    with engine.begin() as conn:
        config = _alembic_config(conn)
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def _sqlite_transactions(engine: Engine) -> None:
    # pysqlite's own BEGIN handling is deferred and cannot take the write lock
    # up front; turn it off and begin ourselves (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "BEGIN")
