"""Parquet and SQL sources: streaming, location, fingerprints, and every kind of bad input named precisely."""

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stillroom.artifacts import ArtifactStore, sha256_file
from stillroom.components import Context
from stillroom.errors import ConfigError, DataError
from stillroom.plugins.sources.parquet import ParquetSource
from stillroom.plugins.sources.sql import SqlSource

SECRET_VALUE = "jane.doe@example.com"


@pytest.fixture
def ctx(tmp_path):
    return Context(workspace=tmp_path, artifacts=ArtifactStore(tmp_path / "artifacts"))


def rows(n):
    return [{"text": f"query number {i}", "label": f"intent_{i % 3}"} for i in range(n)]


def read_all(source, batch_size=1000):
    return [len(batch) for batch in source.read(batch_size)], source.fingerprint()


# --- Parquet -----------------------------------------------------------------


def write_parquet(path, table):
    pq.write_table(table, path, row_group_size=7)
    return path


def test_parquet_streams_batches_and_fingerprints_the_file(ctx, tmp_path):
    path = write_parquet(tmp_path / "d.parquet", pa.Table.from_pylist(rows(25)))
    source = ParquetSource({"path": "d.parquet", "fields": ["text", "label"], "classification": "confidential"}, ctx)
    sizes, digest = read_all(source, batch_size=10)
    assert sum(sizes) == 25 and max(sizes) <= 10 and len(sizes) >= 3
    assert digest == sha256_file(path)
    assert source.location() == path.resolve().as_uri()
    assert source.classification == "confidential"


def test_parquet_reads_only_the_named_fields(ctx, tmp_path):
    table = pa.Table.from_pylist([{**r, "email": SECRET_VALUE} for r in rows(3)])
    write_parquet(tmp_path / "d.parquet", table)
    batch = next(ParquetSource({"path": "d.parquet", "fields": ["text"]}, ctx).read())
    assert batch[0] == {"text": "query number 0"}


def test_parquet_missing_column_names_the_field(ctx, tmp_path):
    write_parquet(tmp_path / "d.parquet", pa.Table.from_pylist(rows(3)))
    with pytest.raises(DataError, match=r"d\.parquet, field 'category': no such column"):
        list(ParquetSource({"path": "d.parquet", "fields": ["text", "category"]}, ctx).read())


def test_parquet_null_value_names_row_and_field(ctx, tmp_path):
    data = rows(5)
    data[3]["text"] = None
    write_parquet(tmp_path / "d.parquet", pa.Table.from_pylist(data))
    with pytest.raises(DataError, match=r"row 4, field 'text': the field is missing or empty"):
        list(ParquetSource({"path": "d.parquet", "fields": ["text"]}, ctx).read())


def test_parquet_wrong_encoding_names_row_and_field_but_not_the_value(ctx, tmp_path):
    texts = [b"fine", b"also fine", SECRET_VALUE.encode("utf-16")]
    write_parquet(tmp_path / "d.parquet", pa.table({"text": pa.array(texts, pa.binary())}))
    with pytest.raises(DataError, match=r"row 3, field 'text': the value is not valid UTF-8") as info:
        list(ParquetSource({"path": "d.parquet", "fields": ["text"]}, ctx).read())
    assert "jane" not in str(info.value)


@pytest.mark.parametrize("content", [b"", b'{"text": "not parquet"}\n'], ids=["empty", "json"])
def test_parquet_empty_or_foreign_file_is_refused(ctx, tmp_path, content):
    (tmp_path / "d.parquet").write_bytes(content)
    with pytest.raises(DataError, match=r"d\.parquet: is not a Parquet file"):
        list(ParquetSource({"path": "d.parquet"}, ctx).read())


def test_parquet_with_no_rows_is_refused(ctx, tmp_path):
    write_parquet(tmp_path / "d.parquet", pa.table({"text": pa.array([], pa.string())}))
    with pytest.raises(DataError, match="has no rows"):
        list(ParquetSource({"path": "d.parquet"}, ctx).read())


def test_parquet_missing_file_and_missing_option(ctx):
    with pytest.raises(DataError, match="cannot be opened"):
        list(ParquetSource({"path": "nowhere.parquet"}, ctx).read())
    with pytest.raises(ConfigError, match="'path' is required"):
        ParquetSource({}, ctx)


# --- SQL ---------------------------------------------------------------------


def make_db(path: Path, data, *, schema="text TEXT, label TEXT"):
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE queries ({schema})")
        conn.executemany("INSERT INTO queries VALUES (?, ?)", [tuple(r.values()) for r in data])
    return path


def test_sql_streams_batches_with_a_stable_fingerprint(ctx, tmp_path):
    db = make_db(tmp_path / "bank.db", rows(23))
    options = {"url": "sqlite:///bank.db", "query": "SELECT text, label FROM queries ORDER BY rowid", "fields": ["text"]}
    sizes, digest = read_all(SqlSource(options, ctx), batch_size=10)
    assert sizes == [10, 10, 3]
    assert read_all(SqlSource(options, ctx))[1] == digest
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE queries SET label = 'changed' WHERE rowid = 5")
    assert read_all(SqlSource(options, ctx))[1] != digest
    assert SqlSource(options, ctx).location() == db.resolve().as_uri()


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("postgresql+psycopg://alice:s3cret@db.bank.internal/warehouse", "postgresql://db.bank.internal:5432/warehouse"),
        ("mysql+pymysql://bob:pw@10.0.0.7:3307/crm", "mysql://10.0.0.7:3307/crm"),
        # libpq takes the host and port from the query string too: residency must see where it connects
        ("postgresql+psycopg://etl:pw@/bank?host=db.eu-west.example.com", "postgresql://db.eu-west.example.com:5432/bank"),
        ("postgresql+psycopg:///bank?host=10.1.2.3&port=6432", "postgresql://10.1.2.3:6432/bank"),
    ],
)
def test_sql_location_strips_credentials(ctx, url, location):
    assert SqlSource({"url": url, "query": "SELECT 1"}, ctx).location() == location


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg:///bank?service=warehouse", "service file or PGHOST"),
        ("postgresql+psycopg://db.internal/bank?host=db.elsewhere.example.com", "names its host twice"),
        ("postgresql+psycopg://db.internal/bank?hostaddr=203.0.113.9", "names its host twice"),
        ("postgresql+psycopg:///bank?host=a.internal,b.example.com", "several hosts"),
    ],
)
def test_sql_location_refuses_a_host_it_cannot_see(ctx, url, message):
    with pytest.raises(ConfigError, match=message):
        SqlSource({"url": url, "query": "SELECT 1"}, ctx).location()


def test_sql_location_refuses_a_host_from_the_environment(ctx, monkeypatch):
    monkeypatch.setenv("PGHOST", "db.elsewhere.example.com")
    with pytest.raises(ConfigError, match="service file or PGHOST"):
        SqlSource({"url": "postgresql+psycopg:///bank", "query": "SELECT 1"}, ctx).location()
    assert SqlSource({"url": "postgresql+psycopg://db.internal/bank", "query": "SELECT 1"}, ctx).location() == \
        "postgresql://db.internal:5432/bank"


def test_sql_missing_column_names_the_field(ctx, tmp_path):
    make_db(tmp_path / "bank.db", rows(3))
    source = SqlSource({"url": "sqlite:///bank.db", "query": "SELECT text FROM queries", "fields": ["label"]}, ctx)
    with pytest.raises(DataError, match="field 'label': the query returns no such column"):
        list(source.read())


def test_sql_null_value_names_row_and_field(ctx, tmp_path):
    data = rows(4)
    data[2]["label"] = None
    make_db(tmp_path / "bank.db", data)
    source = SqlSource({"url": "sqlite:///bank.db", "query": "SELECT * FROM queries", "fields": ["text", "label"]}, ctx)
    with pytest.raises(DataError, match=r"row 3, field 'label': the field is missing or empty"):
        list(source.read())


def test_sql_wrong_encoding_names_the_row_but_not_the_value(ctx, tmp_path):
    db = make_db(tmp_path / "bank.db", rows(2))
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO queries VALUES (CAST(? AS TEXT), 'x')", (SECRET_VALUE.encode("utf-16"),))
    source = SqlSource({"url": "sqlite:///bank.db", "query": "SELECT text FROM queries", "fields": ["text"]}, ctx)
    with pytest.raises(DataError, match=r"row 3, field 'text': the value is not valid UTF-8") as info:
        list(source.read())
    assert "jane" not in str(info.value) and "\x00" not in str(info.value)


def test_sql_empty_result_bad_query_and_missing_database(ctx, tmp_path):
    make_db(tmp_path / "bank.db", [])
    with pytest.raises(DataError, match="the query returned no rows"):
        list(SqlSource({"url": "sqlite:///bank.db", "query": "SELECT * FROM queries"}, ctx).read())
    with pytest.raises(DataError, match="the query failed: no such table: absent"):
        list(SqlSource({"url": "sqlite:///bank.db", "query": "SELECT * FROM absent"}, ctx).read())
    with pytest.raises(DataError, match="no such database file"):
        list(SqlSource({"url": "sqlite:///absent.db", "query": "SELECT 1"}, ctx).read())


def test_sql_bad_options_are_config_errors(ctx):
    with pytest.raises(ConfigError, match="'query' is required"):
        SqlSource({"url": "sqlite:///x.db"}, ctx)
    with pytest.raises(ConfigError, match="in-memory SQLite"):
        SqlSource({"url": "sqlite://", "query": "SELECT 1"}, ctx)
    with pytest.raises(ConfigError, match="not a SQLAlchemy database URL"):
        SqlSource({"url": "not a url", "query": "SELECT 1"}, ctx)


def test_sources_register_through_the_hook():
    from stillroom.plugins.sources import parquet, sql

    seen = []
    parquet.register_sources(seen.append)
    sql.register_sources(seen.append)
    assert [cls.name for cls in seen] == ["parquet", "sql"]


# --- SQL and the egress policy: the driver's socket is opened in C, below the audit hook --------------


def egress_allowing(*rules):
    from stillroom.policy import Egress

    return Egress.model_validate({"allow": [{"host": host, "port": port} for host, port in rules]})


def test_sql_to_a_port_the_egress_policy_does_not_allow_is_refused_before_any_connection(ctx):
    import socket

    from stillroom.egress import EgressBlocked, guard

    attempts = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        source = SqlSource({"url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", "query": "SELECT 1"}, ctx)
        with guard(egress_allowing(("127.0.0.1", 1)), on_block=attempts.append), \
                pytest.raises(EgressBlocked, match=rf"127\.0\.0\.1:{port} \(stillroom.connect\) is not in the egress"):
            next(source.read())
        with pytest.raises(TimeoutError):
            listener.accept()
    assert [(a["event"], a["target"]) for a in attempts] == [("stillroom.connect", f"127.0.0.1:{port}")]


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1/test",
    "postgresql+psycopg://postgres@/test?host=127.0.0.1&port=5432",
    "postgresql+psycopg://postgres@/test?host=127.0.0.1",
], ids=["port", "default-port", "query-host-and-port", "query-host"])
def test_the_real_postgresql_is_refused_when_the_egress_policy_does_not_allow_5432(ctx, url):
    from stillroom.egress import EgressBlocked, guard

    attempts = []
    source = SqlSource({"url": url, "query": "SELECT 1 AS text", "fields": ["text"]}, ctx)
    with guard(egress_allowing(("127.0.0.1", 6543)), on_block=attempts.append), \
            pytest.raises(EgressBlocked, match=r"127\.0\.0\.1:5432 \(stillroom.connect\) is not in the egress"):
        next(source.read())
    assert [a["target"] for a in attempts] == ["127.0.0.1:5432"]


def test_the_real_postgresql_is_read_when_the_egress_policy_allows_it(ctx):
    from stillroom.egress import guard

    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    source = SqlSource({"url": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        "query": "SELECT 'hello' AS text", "fields": ["text"]}, ctx)
    with guard(egress_allowing(("127.0.0.1", 5432)), on_block=lambda attempt: pytest.fail(str(attempt))):
        assert [batch for batch in source.read()] == [[{"text": "hello"}]]


def test_a_unix_socket_url_is_not_an_egress_and_a_connect_timeout_is_checked(ctx, tmp_path):
    from stillroom.egress import guard

    source = SqlSource({"url": f"postgresql+psycopg://postgres@/test?host={tmp_path}", "query": "SELECT 1"}, ctx)
    with guard(egress_allowing(), on_block=lambda attempt: pytest.fail(str(attempt))), \
            pytest.raises(DataError, match="cannot connect to the database"):
        next(source.read())
    with pytest.raises(ConfigError, match="option 'connect_timeout' must be a positive number of seconds, got 'soon'"):
        SqlSource({"url": "postgresql+psycopg://db/x", "query": "SELECT 1", "connect_timeout": "soon"}, ctx)
