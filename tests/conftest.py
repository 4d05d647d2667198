"""Shared fixtures: a fresh workspace per test, and PostgreSQL when STILLROOM_TEST_POSTGRES is set."""

from __future__ import annotations

import os
import secrets
import sys
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Ray's core reads its auth token once per process, when Ray is first imported (by whichever test comes first):
# set it now, so the token-authenticated test cluster (tests/test_ray.py) and every Ray client agree on it.
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))

# `make test` runs the suite on as many pytest-xdist workers as cores. Each worker then runs torch on one thread, and
# so do the commands it starts: a second OpenMP thread per worker spins against the other workers' and makes every
# torch test several times slower.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

POSTGRES_URL = os.environ.get("STILLROOM_TEST_POSTGRES")
REPO = Path(__file__).resolve().parent.parent
_MAIN_ATTRIBUTES = ("__file__", "__spec__")


# The suite's longest file (the demo, about 5.5 minutes on one worker): started last, it would run on alone.
LONGEST = "test_demo.py"


def pytest_collection_modifyitems(items):
    """Files in the order ``make test``'s workers should start them (it passes ``--no-loadscope-reorder``, so
    xdist's ``loadfile`` takes them in this order, each file whole on one worker): the demo, then the files
    with slow or Ray tests, then the rest, largest first (xdist's own order); each file's tests in theirs."""
    count = Counter(item.path for item in items)
    slow = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("ray")}
    items.sort(key=lambda item: (item.path.name != LONGEST, item.path not in slow, -count[item.path], str(item.path)))


@pytest.fixture(autouse=True)
def _main_module_restored():
    """Streamlit's AppTest runs a dashboard page as ``__main__`` and leaves it there, and a ``spawn`` child
    re-runs the parent's ``__main__``: later tests would start the dashboard in every child. Undo it."""
    main = sys.modules.get("__main__")
    saved = {name: getattr(main, name) for name in _MAIN_ATTRIBUTES if hasattr(main, name)}
    yield
    sys.modules["__main__"] = main
    for name in _MAIN_ATTRIBUTES:  # an attribute __main__ lacked stays absent (an xdist worker's has no __file__)
        if name in saved:
            setattr(main, name, saved[name])
        elif hasattr(main, name):
            delattr(main, name)


# argon2id at its cheapest for the people tests add in this process: hashing a passphrase and sealing a key at
# the production cost take 0.1 s each, thousands of times a suite. A hash and a sealed key carry the cost they were
# made at, so every check (in this process or a command it starts) reads them as it reads production ones. Tests
# about the cost itself are marked ``production_kdf`` and run at the production figures.
CHEAP_KDF = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def _cheap_kdf(request, monkeypatch):
    from stillroom import signing, users

    if not request.node.get_closest_marker("production_kdf"):
        monkeypatch.setattr(users, "PASSPHRASE_HASH", CHEAP_KDF)
        monkeypatch.setattr(signing, "ARGON2", CHEAP_KDF)
    users._decoy_hash.cache_clear()  # the unknown name's decoy is made at whichever cost is in force
    yield
    users._decoy_hash.cache_clear()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A new workspace on a fresh SQLite file."""
    from stillroom.workspace import init_workspace

    monkeypatch.delenv("STILLROOM_DATABASE_URL", raising=False)
    return init_workspace(tmp_path / "ws", name="test-ws")


@pytest.fixture
def postgres_schema():
    """A SQLAlchemy URL for a fresh, private schema on the test PostgreSQL server; dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("STILLROOM_TEST_POSTGRES is not set")
    from sqlalchemy import create_engine, text

    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each store test runs on SQLite, and on PostgreSQL where the server is configured."""
    if request.param == "sqlite":
        from stillroom.store.db import sqlite_url

        return sqlite_url(tmp_path / "store.db")
    return request.getfixturevalue("postgres_schema")


@pytest.fixture
def endpoint(tmp_path):
    """The tiny causal model served on loopback by an OpenAI-compatible test server (vLLM's API)."""
    import tinymodels as tm
    from openai_server import serve

    server = serve(tm.causal_dir(tmp_path / "served"))
    yield server
    server.shutdown()
    server.server_close()
