"""A SQL query against any database SQLAlchemy reaches, streamed in batches."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from stillroom import hookimpl
from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.components import Batch, Source
from stillroom.egress import announce_connection
from stillroom.errors import ConfigError, PluginError
from stillroom.plugins.sources.malformed import check_text, checked, malformed

# Where a URL names no port, the backend's own default is the one connected to,
# and the residency policy must see it to match host:port rules.
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
# The drivers' own connect-timeout argument, per backend; seconds.
TIMEOUT_ARGUMENTS = {"postgresql": "connect_timeout", "mysql": "connect_timeout", "mariadb": "connect_timeout"}
CONNECT_TIMEOUT = 10


class SqlSource(Source):
    """Options: ``url`` (a SQLAlchemy URL), ``query`` (one SELECT), ``fields``
    (the columns each row must have) and ``connect_timeout`` (seconds, default 10).
    Credentials in the URL never appear in ``location()``, the ledger or an error
    message.

    The driver opens its socket in C, below the egress guard's audit hook, so the
    host and port it will connect to are put to the guard first
    (``announce_connection``): one the egress policy does not allow is refused
    and ledgered before any connection is tried.
    """

    name = "sql"
    description = "rows of a SQL query (SQLAlchemy URL), streamed in batches"
    accepts = frozenset({"url", "query", "fields", "connect_timeout"})

    def __init__(self, options, ctx) -> None:
        super().__init__(options, ctx)
        import sqlalchemy as sa

        for required in ("url", "query"):
            if not self.options.get(required):
                raise ConfigError(f"source sql: option {required!r} is required")
        try:
            url = sa.engine.make_url(self.options["url"])
        except sa.exc.ArgumentError:
            raise ConfigError("source sql: option 'url' is not a SQLAlchemy database URL") from None
        if url.get_backend_name() == "sqlite":
            if url.database in (None, "", ":memory:"):
                raise ConfigError("source sql: an in-memory SQLite database has nothing to read; name a file")
            path = Path(url.database).expanduser()
            url = url.set(database=str(path if path.is_absolute() else ctx.workspace / path))
        self.url = url
        self.query = self.options["query"]
        self.fields: list[str] = list(self.options.get("fields") or [])
        timeout = self.options.get("connect_timeout", CONNECT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(f"source sql: option 'connect_timeout' must be a positive number of seconds, got {timeout!r}")
        self.connect_timeout = timeout
        self._digest: str | None = None

    def _sqlite_file(self) -> Path:
        assert self.url.database  # __init__ refuses an in-memory SQLite database
        return Path(self.url.database)

    def location(self) -> str:
        backend = self.url.get_backend_name()
        if backend == "sqlite":
            return self._sqlite_file().resolve().as_uri()
        host, port = self._address()
        port = port or DEFAULT_PORTS.get(backend)
        netloc = f"{host}:{port}" if port else host
        return f"{backend}://{netloc}/{self.url.database or ''}"

    def _address(self) -> tuple[str, int | None]:
        """The host and port the driver will really connect to, or a ConfigError where that is not in the URL.

        Drivers also take the host from the query string (``?host=``, as libpq and
        psycopg do) and from the environment (``PGHOST``, service files); the
        residency check must see the same host the connection goes to.
        """
        query = {k.lower(): v for k, v in self.url.query.items()}
        if "host" in query and self.url.host and query["host"] != self.url.host or "hostaddr" in query:
            raise ConfigError("source sql: the URL names its host twice (in the address and in ?host= or "
                              "?hostaddr=); name the one database host once")
        if "service" in query or (not self.url.host and "host" not in query and
                                  any(os.environ.get(v) for v in ("PGHOST", "PGSERVICE", "PGSERVICEFILE"))):
            raise ConfigError("source sql: the database host comes from a service file or PGHOST, which the "
                              "residency check cannot see; name the host in the URL")
        named = query.get("host") or self.url.host or "localhost"
        hosts = [named] if isinstance(named, str) else list(named)
        if len(hosts) != 1 or "," in hosts[0]:
            raise ConfigError("source sql: the URL names several hosts; name the one database host to read from")
        port = query.get("port")
        if isinstance(port, str) and port.isdigit():
            return hosts[0], int(port)
        return hosts[0], self.url.port

    def _endpoint(self) -> tuple[str | None, int | None]:
        """Where the driver's socket goes: a host and port, or a Unix socket (a path, or no host at all)."""
        query = {k.lower(): v for k, v in self.url.query.items()}
        named = query.get("host") or self.url.host
        host, port = self._address()
        if not named or host.startswith("/"):
            return None, None  # libpq and MySQL clients use their Unix socket when no host is named
        return host, port or DEFAULT_PORTS.get(self.url.get_backend_name())

    def read(self, batch_size: int = 1000) -> Iterator[Batch]:
        import sqlalchemy as sa

        where = self.location()
        backend = self.url.get_backend_name()
        if backend == "sqlite" and not self._sqlite_file().is_file():
            raise malformed(where, "no such database file")
        connect_args = {}
        if backend != "sqlite":
            announce_connection(*self._endpoint())
            if backend in TIMEOUT_ARGUMENTS:
                connect_args[TIMEOUT_ARGUMENTS[backend]] = max(1, round(self.connect_timeout))
        try:
            engine = sa.create_engine(self.url, connect_args=connect_args)
        except (sa.exc.NoSuchModuleError, ImportError):
            raise ConfigError(f"source sql: no database driver installed for {self.url.drivername!r}") from None
        if self.url.get_backend_name() == "sqlite":
            # SQLite stores whatever bytes it is given; taking TEXT as bytes lets
            # ``checked`` name the exact row and field that is not UTF-8.
            sa.event.listen(engine, "connect", lambda dbapi_conn, _: setattr(dbapi_conn, "text_factory", bytes))
        digest = hashlib.sha256()
        row = 0
        try:
            with engine.connect() as conn:
                try:
                    result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(
                        sa.text(self.query)
                    )
                except sa.exc.DBAPIError as exc:
                    # The driver's message is about the query (a syntax error, a
                    # missing table), not about row values, so it is safe to show.
                    raise malformed(where, f"the query failed: {_first_line(exc.orig or exc)}") from None
                missing = [name for name in self.fields if name not in result.keys()]
                if missing:
                    raise malformed(where, "the query returns no such column", field=missing[0])
                rows = result.mappings()
                while True:
                    try:
                        part = rows.fetchmany(batch_size)
                    except sa.exc.DBAPIError:
                        # The driver may quote the value, and a batch fails as a whole:
                        # name the first row it could be, never the value.
                        raise malformed(
                            where, f"a value at or after row {row + 1} cannot be read (wrong encoding or type)"
                        ) from None
                    if not part:
                        break
                    batch = []
                    for mapping in part:
                        row += 1
                        record = checked(dict(mapping), self.fields, where=where, row=row)
                        check_text(record, self.ctx.text_fields, where=where, row=row)
                        digest.update(canonical_json(record, default=str) + b"\n")
                        batch.append(record)
                    yield batch
        except sa.exc.OperationalError:
            raise malformed(where, "cannot connect to the database") from None
        finally:
            engine.dispose()
        if row == 0:
            raise malformed(where, "the query returned no rows")
        self._digest = digest.hexdigest()

    def identity(self) -> str:
        """The database (its URL without credentials) and the query: what a residency exception admits.

        A live database's rows change, so what reviewers approve is this query on that database.
        """
        address = self.url.set(username=None, password=None).render_as_string(hide_password=False)
        return sha256_bytes(canonical_json({"url": address, "query": self.query, "fields": self.fields}))

    def fingerprint(self) -> str:
        if self._digest is None:
            raise PluginError("source sql: fingerprint() is known only once read() has been exhausted")
        return self._digest


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


@hookimpl
def register_sources(register) -> None:
    register(SqlSource)
