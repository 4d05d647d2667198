"""Every built-in component passes the conformance kit a vendor's plugin is held to (``stillroom.testing``)."""

from __future__ import annotations

import csv
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tinymodels as tm

from stillroom.plugin_manager import DEFAULT_PLUGINS
from stillroom.policy import Egress, EgressRule
from stillroom.testing.contracts import *  # noqa: F403  (the contracts, collected here for the built-ins)
from stillroom.testing.plugin import builtin

STILLROOM_PLUGINS = [name for name in DEFAULT_PLUGINS if ".executors." not in name]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The built-in ``openai`` teacher's counterpart: a real OpenAI-compatible server on loopback."""
    from openai_server import serve

    server = serve(tm.causal_dir(tmp_path_factory.mktemp("served") / "llama"))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def stillroom_teachers(stillroom_teachers, stillroom_session_context, tmp_path_factory):
    """The kit's classifier, and tiny embedding and causal-LM teachers for the trainers that distill those."""
    root, hf = tmp_path_factory.mktemp("teachers"), builtin("teacher", "hf")
    return {**stillroom_teachers,
            "embedding": hf({"path": str(tm.encoder_dir(root / "enc")), "task": "embedding"}, stillroom_session_context),
            # a byte-level BPE tokenizer, as SmolLM2's: the gguf exporter writes no other kind
            "causal-lm": hf({"path": str(tm.byte_level_causal_dir(root / "llama")), "task": "causal-lm", "top_k": 4},
                            stillroom_session_context)}


@pytest.fixture
def stillroom_options(request, stillroom_teachers):
    def options(component, materials):
        family, name = component.family, component.name
        records, directory = materials.records, materials.directory
        if family == "source" and name == "jsonl":
            return {"path": str(materials.jsonl())}
        if family == "source" and name == "csv":
            with open(directory / "records.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=["text", "label"])
                writer.writeheader()
                writer.writerows(records)
            return {"path": str(directory / "records.csv")}
        if family == "source" and name == "parquet":
            pq.write_table(pa.Table.from_pylist(records), directory / "records.parquet")
            return {"path": str(directory / "records.parquet")}
        if family == "source" and name == "sql":
            with sqlite3.connect(directory / "records.db") as db:
                db.execute("CREATE TABLE queries (text TEXT, label TEXT)")
                db.executemany("INSERT INTO queries VALUES (:text, :label)", records)
            return {"url": f"sqlite:///{directory / 'records.db'}", "query": "SELECT text, label FROM queries"}
        if family == "teacher" and name == "hf":
            return {"path": str(stillroom_teachers["classification"].path)}
        if family == "teacher" and name == "openai":
            server = request.getfixturevalue("served")
            return {"url": server.url, "model": "tiny-llama", "top_k": 4}
        if family == "evaluator" and name == "canary":
            return {"canaries": [{"prefix": "account number is", "secret": "4 2 7 1"}], "candidates": 9}
        if family == "evaluator" and name == "regression":
            return {"previous": released_slices(request, materials.ctx)}
        return {}

    return options


def released_slices(request, ctx) -> str:
    """A previous release's stored evaluations (the kit's student scored by ``slices``), as an artifact digest."""
    students, data = request.getfixturevalue("stillroom_students"), request.getfixturevalue("stillroom_dataset")
    teacher = request.getfixturevalue("stillroom_teachers")["classification"]
    slices = builtin("evaluator", "slices")({}, ctx).evaluate(students("classification"), teacher, data, ctx)
    return ctx.artifacts.put_json([slices.as_dict()])


@pytest.fixture
def stillroom_egress():
    """The ``openai`` teacher talks to its server on loopback, and nowhere else."""
    return lambda component: Egress(allow=[EgressRule(host="127.0.0.1")] if component.name == "openai" else [])
