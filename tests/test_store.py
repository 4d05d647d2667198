"""The store on SQLite and PostgreSQL: migrations, runs and stages, the single-writer lock."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, text

from stillroom.store import crud, db
from stillroom.store.models import utcnow


def test_migrate_from_empty_creates_every_table(database_url):
    engine = db.make_engine(database_url)
    assert db.current_revision(engine) is None
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"runs", "stages"} <= tables


def test_migrate_from_previous_schema_keeps_data(database_url):
    engine = db.make_engine(database_url)
    db.migrate(engine, "0001")
    with db.session(engine) as s:
        crud.create_run(s, run_id="run-old", pipeline="p", spec_digest="d" * 64, initiator="alice")
        crud.add_stage(s, run_id="run-old", position=0, name="preflight", status="succeeded", started_at=utcnow(),
                       seconds=0.5, outputs={"policy_digest": "abc"})
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    with db.session(engine) as s:
        run = crud.get_run(s, "run-old")
        assert run.initiator == "alice"
        assert [st.outputs for st in crud.list_stages(s, run_id="run-old")] == [{"policy_digest": "abc"}]


def test_migrate_twice_is_a_no_op(database_url):
    engine = db.make_engine(database_url)
    db.migrate(engine)
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_runs_round_trip_with_stages_in_order(database_url):
    engine = db.make_engine(database_url)
    db.migrate(engine)
    with db.session(engine) as s:
        crud.create_run(s, run_id="r1", pipeline="intents", spec_digest="a" * 64, initiator="op")
        for position, name in enumerate(["preflight", "ingest", "scrub"]):
            crud.add_stage(s, run_id="r1", position=position, name=name, status="succeeded", started_at=utcnow(),
                           seconds=1.0, outputs={"n": position})
        crud.finish_run(s, run_id="r1", status="succeeded", summary={"ok": True})
    with db.session(engine) as s:
        run = crud.get_run(s, "r1")
        assert run.status == "succeeded" and run.finished_at is not None and run.summary == {"ok": True}
        assert [st.name for st in crud.list_stages(s, run_id="r1")] == ["preflight", "ingest", "scrub"]
        assert [r.id for r in crud.list_runs(s)] == ["r1"]


def test_failed_write_session_rolls_back(database_url):
    engine = db.make_engine(database_url)
    db.migrate(engine)
    with pytest.raises(RuntimeError):
        with db.write_session(engine) as s:
            s.execute(text("INSERT INTO runs (id, pipeline, spec_digest, initiator, status, created_at, summary) "
                           "VALUES ('gone', 'p', 'd', 'u', 'running', CURRENT_TIMESTAMP, '{}')"))
            raise RuntimeError("crash mid-transaction")
    with db.session(engine) as s:
        assert crud.get_run(s, "gone") is None


def test_write_sessions_are_serialised(database_url):
    """A second writer waits until the first commits: the lock is taken at BEGIN, not at first write."""
    engine = db.make_engine(database_url)
    db.migrate(engine)
    order: list[str] = []
    first_has_lock = threading.Event()

    def first():
        with db.write_session(engine) as s:
            s.execute(text("SELECT 1"))
            first_has_lock.set()
            time.sleep(0.5)
            order.append("first-commit")

    def second():
        first_has_lock.wait()
        with db.write_session(engine) as s:
            s.execute(text("SELECT 1"))
            order.append("second-has-lock")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert order == ["first-commit", "second-has-lock"]


def test_sqlite_store_uses_wal(tmp_path):
    engine = db.make_engine(db.sqlite_url(tmp_path / "w.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
