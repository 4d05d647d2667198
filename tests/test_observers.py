"""The built-in observers (MLflow, OpenTelemetry) against the real libraries: off unless the workspace
configures them, governed by the egress and residency policy, and saying what they did in the ledger."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from stillroom.config import parse_spec
from stillroom.errors import RunRefused
from stillroom.pipeline import STAGES, run_pipeline
from tests.test_pipeline import data_file, entries, plugins, spec  # noqa: F401  (fixtures)


def configure(workspace, section: str) -> None:
    path = workspace.root / "stillroom.toml"
    path.write_text(path.read_text() + "\n" + section + "\n")


def kinds(workspace) -> list[str]:
    return [e["kind"] for e in entries(workspace)]


# -- OpenTelemetry ------------------------------------------------------------------------------------------------


@pytest.fixture
def memory_exporter(monkeypatch):
    """OTel's in-memory exporter in place of OTLP/HTTP: what the observer hands the SDK, span for span."""
    pytest.importorskip("opentelemetry.sdk", reason="the otel extra (opentelemetry-sdk) is not installed")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from stillroom.plugins.observers import otel

    exporter = InMemorySpanExporter()
    monkeypatch.setattr(otel, "span_exporter", lambda endpoint: exporter)
    return exporter


def test_otel_traces_a_run_as_one_root_span_with_a_child_per_stage(workspace, plugins, data_file, memory_exporter):
    configure(workspace, '[observers.otel]\nendpoint = "http://127.0.0.1:4318/v1/traces"')
    run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    spans = memory_exporter.get_finished_spans()
    root = next(s for s in spans if s.parent is None)
    stages = sorted((s for s in spans if s.parent is not None), key=lambda s: s.start_time)
    assert root.name == "run t" and root.attributes["stillroom.run_id"] == run.run_id
    assert root.attributes["stillroom.status"] == "succeeded"
    assert [s.name for s in stages] == list(STAGES)  # preflight included
    assert all(s.parent.span_id == root.context.span_id for s in stages)
    assert all(root.start_time <= s.start_time <= s.end_time <= root.end_time for s in stages)
    ingest = next(s for s in stages if s.name == "ingest")
    assert ingest.attributes["stillroom.output.records"] == 40
    assert "my card" not in json.dumps([dict(s.attributes) for s in spans])  # counts and digests, never records
    ledgered = next(e for e in entries(workspace) if e["kind"] == "observer.otel")["payload"]
    assert ledgered == {"collector": "http://127.0.0.1:4318", "trace_id": f"{root.context.trace_id:032x}"}
    assert "egress.blocked" not in kinds(workspace)


def test_otel_is_off_unless_configured(workspace, plugins, data_file, memory_exporter):
    run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert memory_exporter.get_finished_spans() == ()
    assert "observer.otel" not in kinds(workspace)


def test_otel_exports_over_otlp_http_to_a_collector_on_loopback(workspace, plugins, data_file):
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the otel extra is not installed")
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        configure(workspace, f'[observers.otel]\nendpoint = "http://127.0.0.1:{server.server_port}/v1/traces"')
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    finally:
        server.shutdown()
    names = []
    for path, body in received:
        assert path == "/v1/traces"
        request = ExportTraceServiceRequest.FromString(body)
        names += [s.name for r in request.resource_spans for scope in r.scope_spans for s in scope.spans]
    assert sorted(names) == sorted(["run t", *STAGES])


@pytest.mark.parametrize("endpoint, refusal", [
    ("http://collector.internal:4318/v1/traces", "OpenTelemetry collector at http://collector.internal:4318 is not "
                                                 "in the egress allowlist"),
    ("https://collector.example.com/v1/traces", "in no region the residency policy knows"),
])
def test_otel_refuses_the_run_before_data_moves_when_the_collector_is_not_allowed(
        workspace, plugins, data_file, memory_exporter, endpoint, refusal):
    configure(workspace, f'[observers.otel]\nendpoint = "{endpoint}"')
    with pytest.raises(RunRefused, match=refusal):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert "stage.ingest" not in kinds(workspace) and kinds(workspace)[-1] == "run.end"
    assert memory_exporter.get_finished_spans() == ()


# -- MLflow --------------------------------------------------------------------------------------------------------


@pytest.fixture
def hf_spec(tmp_path):
    """A real (tiny) distillation: a random-initialised BERT classifier teacher, a one-layer student, the hf export."""
    import tinymodels as tm

    texts, labels = tm.toy_split(90, 3)
    path = tmp_path / "intents.jsonl"
    names = list(tm.INTENTS)  # the teacher's own label names
    path.write_text("".join(json.dumps({"text": t, "label": names[y]}) + "\n" for t, y in zip(texts, labels)))
    return parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
        "data": {"label_field": "label"}, "student": {"layers": 1, "epochs": 1, "batch_size": 16},
        "baseline": False, "curate": False, "evaluators": ["task"], "exporters": ["hf"]})


def test_mlflow_logs_metrics_and_the_student_to_a_store_inside_the_workspace(workspace, hf_spec):
    pytest.importorskip("mlflow", reason="the mlflow extra (mlflow-skinny) is not installed")
    import mlflow
    import mlflow.transformers

    from stillroom.plugins.trainers.student import load_student

    configure(workspace, '[observers.mlflow]\ntracking_uri = "sqlite:///mlflow/mlflow.db"\nexperiment = "intents"')
    run = run_pipeline(workspace, hf_spec, initiator="op", progress=False)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{workspace.root / 'mlflow' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("intents")
    assert experiment.artifact_location == (workspace.root / "mlflow" / "artifacts").as_uri()
    (tracked,) = client.search_runs([experiment.experiment_id])
    assert tracked.info.run_name == run.run_id and tracked.info.status == "FINISHED"
    assert tracked.data.tags["stillroom.spec_digest"] == hf_spec.digest
    accuracy = run.summaries["evaluate"]["metrics"]["student"]["task"]["accuracy"]
    assert tracked.data.metrics["student.task.accuracy"] == pytest.approx(accuracy)
    assert "stage.train.seconds" in tracked.data.metrics

    logged = next(e for e in entries(workspace) if e["kind"] == "observer.mlflow.model")["payload"]
    assert logged["flavour"] == "transformers" and logged["files"] == run.summaries["export"]["files"]["hf"]
    assert logged["model_uri"] == f"runs:/{tracked.info.run_id}/student"
    local = mlflow.artifacts.download_artifacts(run_id=tracked.info.run_id, artifact_path="student",
                                                tracking_uri=client.tracking_uri)
    pipeline = mlflow.transformers.load_model(local)
    exported = load_student(workspace.root / "exports" / run.run_id / "hf")
    texts = run.dataset.test.texts[:8]
    names = exported.net.backbone.config.id2label
    assert [p["label"] for p in pipeline(texts)] == [names[int(i)] for i in exported.predict(texts)["logits"].argmax(1)]
    assert "egress.blocked" not in kinds(workspace)


@pytest.mark.parametrize("uri, refusal", [
    ("http://mlflow.internal:5000", "MLflow tracking store at http://mlflow.internal:5000 is not in the egress allowlist"),
    ("https://mlflow.example.com", "in no region the residency policy knows"),
    ("databricks://profile", "is not a store Stillroom can check"),
])
def test_mlflow_refuses_the_run_when_the_tracking_uri_is_not_allowed(workspace, plugins, data_file, uri, refusal):
    pytest.importorskip("mlflow", reason="the mlflow extra (mlflow-skinny) is not installed")
    configure(workspace, f'[observers.mlflow]\ntracking_uri = "{uri}"')
    with pytest.raises(RunRefused, match=refusal):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert "stage.ingest" not in kinds(workspace)


def test_mlflow_logs_an_embedding_student_with_the_sentence_transformers_flavour(workspace, hf_spec, tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra (mlflow-skinny) is not installed")
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    import mlflow
    import mlflow.sentence_transformers
    import numpy as np
    import tinymodels as tm

    from stillroom.plugins.trainers.student import load_student

    embedding = parse_spec({
        **hf_spec.model_dump(mode="json", exclude_unset=True),
        "teacher": {"type": "hf", "path": str(tm.encoder_dir(tmp_path / "encoder", hidden_size=48)), "task": "embedding"},
        "student": {"init": "config", "epochs": 1, "batch_size": 16,  # narrower than the teacher: a projection head
                    "config": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}},
        "evaluators": []})
    configure(workspace, '[observers.mlflow]\ntracking_uri = "sqlite:///mlflow/mlflow.db"')
    run = run_pipeline(workspace, embedding, initiator="op", progress=False)
    logged = next(e for e in entries(workspace) if e["kind"] == "observer.mlflow.model")["payload"]
    assert logged["flavour"] == "sentence_transformers"
    local = mlflow.artifacts.download_artifacts(run_id=logged["mlflow_run_id"], artifact_path="student",
                                                tracking_uri=f"sqlite:///{workspace.root / 'mlflow' / 'mlflow.db'}")
    texts = run.dataset.test.texts[:8]
    theirs = mlflow.sentence_transformers.load_model(local).encode(texts)
    ours = load_student(workspace.root / "exports" / run.run_id / "hf").predict(texts)["embeddings"]
    assert theirs.shape == (8, 48)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
