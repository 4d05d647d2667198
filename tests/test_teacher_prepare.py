"""Teacher preparation (issue 18): ``teacher: {base, fine_tune}`` fine-tunes a classifier teacher on the run's
own training split before curation, ledgers its validation accuracy, gates on it, and caches it by the
digests of the base and the data."""

from __future__ import annotations

import json

import pytest

import tests.tinymodels as tm
from stillroom.config import parse_spec
from stillroom.errors import ConfigError, RunRefused
from stillroom.pipeline import STAGES, run_pipeline

FAST = {"epochs": 12, "lr": 5e-3, "batch_size": 16, "max_length": 16}


def spec(workspace, *, fine_tune=None, **overrides):
    texts, labels = tm.toy_split(240, 5)
    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps({"text": t, "intent": list(tm.INTENTS)[y]}) + "\n"
                            for t, y in zip(texts, labels)))
    encoder = workspace.root / "encoder"
    if not encoder.is_dir():
        tm.encoder_dir(encoder)
    return parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"base": str(encoder), "fine_tune": {**FAST, **(fine_tune or {})}},
        "data": {"label_field": "intent", "split": {"validation": 0.2, "test": 0.2}}, "curate": False,
        "student": {"layers": 1, "epochs": 1, "batch_size": 16}, "baseline": False, "evaluators": ["task"],
        "exporters": [], **overrides,
    })


def test_a_base_model_is_fine_tuned_on_the_runs_training_split_before_curation_and_ledgered(workspace):
    run = run_pipeline(workspace, spec(workspace), initiator="op", progress=False)
    assert STAGES.index("teacher") < STAGES.index("curate") < STAGES.index("label")
    prepared = run.summaries["teacher"]
    assert prepared["status"] == "succeeded" and prepared["cached"] is False
    assert prepared["validation_accuracy"] >= 0.9 and prepared["labels"] == 3
    # trained on exactly the split curate makes, never on a validation or test text
    assert prepared["train"] == run.summaries["curate"]["split"]["train"]
    assert run.summaries["label"]["fingerprint"] == prepared["fingerprint"]
    (entry,) = workspace.ledger().entries(kind="stage.teacher")
    assert entry.payload["outputs"]["validation_accuracy"] == prepared["validation_accuracy"]
    assert entry.payload["writes"] == {"teacher": prepared["teacher"]}
    assert run.summaries["preflight"]["teacher_base_fingerprint"] == prepared["base_fingerprint"]


def test_a_rerun_with_the_same_base_and_data_reuses_the_prepared_teacher(workspace):
    first = run_pipeline(workspace, spec(workspace), initiator="op", progress=False).summaries["teacher"]
    again = run_pipeline(workspace, spec(workspace, student={"layers": 2, "epochs": 1}),
                         initiator="op", progress=False).summaries["teacher"]
    assert again["cached"] is True and again["teacher"] == first["teacher"]
    assert again["fingerprint"] == first["fingerprint"]
    other = run_pipeline(workspace, spec(workspace, fine_tune={"epochs": 11}), initiator="op",
                         progress=False).summaries["teacher"]
    assert other["cached"] is False and other["teacher"] != first["teacher"]


def test_an_edited_prepared_teacher_is_rebuilt_from_the_artifact_store(workspace):
    first = run_pipeline(workspace, spec(workspace), initiator="op", progress=False).summaries["teacher"]
    (weights,) = (workspace.root / "teachers").glob("*/model.safetensors")
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    again = run_pipeline(workspace, spec(workspace), initiator="op", progress=False).summaries["teacher"]
    assert again["cached"] is True and again["fingerprint"] == first["fingerprint"]


def test_a_teacher_below_its_validation_gate_stops_the_run_before_curation(workspace):
    with pytest.raises(RunRefused, match=r"validation accuracy is 0\.\d+, below teacher.fine_tune.min_accuracy 1"):
        run_pipeline(workspace, spec(workspace, fine_tune={"epochs": 1, "lr": 1e-6, "min_accuracy": 1.0}),
                     initiator="op", progress=False)
    (entry,) = workspace.ledger().entries(kind="stage.teacher")
    assert entry.payload["status"] == "failed" and "validation accuracy" in entry.payload["message"]
    assert not workspace.ledger().entries(kind="stage.curate")


@pytest.mark.parametrize(("teacher", "data", "message"), [
    ({"path": "t", "fine_tune": {"epochs": 1}}, {"label_field": "intent"}, "teacher.fine_tune needs teacher.base"),
    ({"base": "b", "path": "t"}, {"label_field": "intent"}, "teacher.base and teacher.path exclude each other"),
    ({"base": "b", "task": "embedding"}, {"label_field": "intent"}, "teacher.task must be classification"),
    ({"base": "b"}, {}, "data.label_field must name the label column"),
    ({"base": "b", "fine_tune": {"epoch": 1}}, {"label_field": "intent"},
     "teacher.fine_tune.epoch: unknown key; did you mean `epochs`?"),
])
def test_a_teacher_base_spec_that_cannot_work_is_refused_at_load(teacher, data, message):
    with pytest.raises(ConfigError, match=message.replace("`", ".").replace("?", r"\?")):
        parse_spec({"name": "x", "source": {"type": "jsonl", "path": "d"}, "teacher": teacher, "data": data})


def stillroom(workspace, *args, env=None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args, "--workspace", str(workspace.root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "STILLROOM_USER": "olga", "STILLROOM_PASSPHRASE": PASS, **(env or {})})


PASS = "correct horse battery"


def test_teacher_prepare_runs_only_the_teacher_stage_and_the_next_run_reuses_it(workspace):
    import yaml

    from tests.people import setup_user

    setup_user(workspace, "olga", ["operator"], PASS)
    pipeline = workspace.root / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(spec(workspace).model_dump(mode="json", exclude_defaults=True)))
    prepared = stillroom(workspace, "teacher", "prepare", str(pipeline), "--no-progress", "--json")
    assert prepared.returncode == 0, prepared.stderr
    summary = json.loads(prepared.stdout[prepared.stdout.index("{"):])
    assert summary["cached"] is False and summary["validation_accuracy"] >= 0.9
    stages = [e.kind for e in workspace.ledger().entries() if e.kind.startswith("stage.")]
    assert sorted(stages) == sorted(["stage.preflight", "stage.ingest", "stage.scrub", "stage.teacher"])
    again = stillroom(workspace, "teacher", "prepare", str(pipeline), "--no-progress")
    assert again.returncode == 0 and f"teacher {summary['teacher'][:12]} (from cache)" in again.stdout


def test_teacher_prepare_without_a_base_is_a_usage_error(workspace):
    pipeline = workspace.root / "pipeline.yaml"
    pipeline.write_text("source: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\n")
    result = stillroom(workspace, "teacher", "prepare", str(pipeline))
    assert result.returncode == 2 and "names no teacher.base to fine-tune" in result.stderr


def test_data_with_labels_the_teacher_does_not_know_is_refused_before_labelling(workspace):
    teacher = tm.classifier_dir(workspace.root / "ready")
    ready = spec(workspace).model_dump(mode="json")
    ready["teacher"] = {"path": str(teacher)}
    path = workspace.root / "queries.jsonl"
    path.write_text(path.read_text().replace('"pin"', '"pin_reset"'))
    with pytest.raises(RunRefused, match="has labels the teacher has no class for: 'pin_reset'; the teacher "
                                         "knows 3 labels"):
        run_pipeline(workspace, parse_spec(ready), initiator="op", progress=False)
    assert not workspace.ledger().entries(kind="stage.label")


def test_data_limit_is_a_seeded_sample_stratified_by_label_not_the_first_rows():
    from stillroom.run.sample import quotas, stratified_sample

    rows = [{"text": f"{label} query {i}", "label": label} for label, n in (("a", 600), ("b", 300), ("c", 100))
            for i in range(n)]  # sorted by label, as Banking77's file is
    sample = stratified_sample(rows, 100, text_field="text", label_field="label", seed=0)
    assert len(sample) == 100 and [r["label"] for r in sample].count("c") == 10
    assert {r["label"] for r in sample[:20]} == {"a", "b", "c"}  # spread, not a block of one label
    assert stratified_sample(list(reversed(rows)), 100, text_field="text", label_field="label", seed=0) == sample
    assert stratified_sample(rows, 100, text_field="text", label_field="label", seed=1) != sample
    assert quotas({"a": 98, "b": 1, "c": 1}, 10) == {"a": 8, "b": 1, "c": 1}  # every label kept while it can be
    assert len(stratified_sample(rows[:5], 100, text_field="text", label_field="label", seed=0)) == 5
