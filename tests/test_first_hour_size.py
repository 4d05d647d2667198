"""Size is a product constraint (issue 18): the student is sized for its target from a prediction, preflight
refuses a target no student of the teacher can meet, warns for an oversized one, and ``stillroom run`` exits 1
naming the gates a completed run failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

import tests.tinymodels as tm
from stillroom import sizing
from stillroom.config import parse_spec
from stillroom.errors import RunRefused
from stillroom.pipeline import run_pipeline
from tests.people import setup_user

PASS = "correct horse battery"
MINILM = {"model_type": "bert", "vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
          "intermediate_size": 1536, "max_position_embeddings": 512, "type_vocab_size": 2, "architectures": ["BertModel"]}


def test_the_prediction_counts_minilm_exactly_and_picks_the_deepest_student_that_fits():
    shape = sizing.shape_of(MINILM)
    assert shape.parameters(6, shape.vocab) == 22_713_216  # what torch counts for all-MiniLM-L6-v2
    plan = sizing.plan_for(shape, 25, prunable=True, int8_allowed=False)
    assert (plan.layers, plan.prune_vocab, plan.int8) == (2, True, False) and plan.predicted_mb <= 25
    with_int8 = sizing.plan_for(shape, 25, prunable=True, int8_allowed=True)
    assert with_int8.layers == 5 and with_int8.int8 and with_int8.predicted_mb <= 25
    assert sizing.plan_for(shape, 2, prunable=True, int8_allowed=False) is None
    assert sizing.plan_for(shape, None, prunable=True, int8_allowed=False).layers == 3  # never the teacher's 6
    assert sizing.shape_of({**MINILM, "model_type": "llama"}) is None


def spec(workspace, **overrides):
    texts, labels = tm.toy_split(150, 5)
    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps({"text": t, "intent": list(tm.INTENTS)[y]}) + "\n"
                            for t, y in zip(texts, labels)))
    teacher = workspace.root / "teacher"
    if not teacher.is_dir():
        tm.classifier_dir(teacher)
    return parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"path": str(teacher)}, "data": {"label_field": "intent"}, "curate": False,
        "student": {"epochs": 1, "batch_size": 16}, "baseline": False, "evaluators": ["task", "latency"],
        "exporters": ["hf"], **overrides,
    })


def test_a_target_no_student_of_the_teacher_can_meet_is_refused_at_preflight(workspace):
    with pytest.raises(RunRefused, match=r"no student of this teacher can meet target edge \(0\.01 MB\): the "
                                         r"smallest, 1 layer with a pruned vocabulary, is predicted"):
        run_pipeline(workspace, spec(workspace, target={"name": "edge", "max_mb": 0.01, "p95_ms": 5}),
                     initiator="op", progress=False)
    assert not workspace.ledger().entries(kind="stage.ingest")


def test_the_default_student_is_sized_below_the_teacher_and_gated_on_the_specs_target(workspace):
    run = run_pipeline(workspace, spec(workspace, target={"name": "edge", "max_mb": 50, "p95_ms": 1e-6}),
                       initiator="op", progress=False)
    size = run.summaries["preflight"]["student_size"]
    assert size["chosen"] == {"layers": 3} and size["target"] == "edge" and size["teacher_layers"] == 4
    manifest = workspace.artifacts.read_json(run.artifacts["student"])
    assert manifest["student_spec"]["layers"] == 3
    gates = run.summaries["request"]["gates"]
    assert gates["size_mb[edge]"] is True and gates["latency_ms_p95[edge]"] is False  # measured, not predicted
    assert "size_mb[cpu-server]" in gates  # the policy's own target is still gated


def test_a_student_the_spec_makes_too_big_is_warned_about_at_preflight(workspace):
    run = run_pipeline(workspace, spec(workspace, student={"layers": 4, "epochs": 1},
                                       target={"name": "edge", "max_mb": 0.05, "p95_ms": 50}),
                       initiator="op", progress=False)
    warnings = run.summaries["preflight"]["student_size"]["warnings"]
    assert any("student.layers 4 is predicted at" in w and "over the 0.05 MB of target edge" in w for w in warnings)
    assert any("keeps every layer" in w for w in warnings)


def test_a_run_that_completes_with_failing_gates_exits_1_and_its_last_line_names_them(workspace):
    setup_user(workspace, "olga", ["operator"], PASS)
    pipeline = workspace.root / "pipeline.yaml"
    body = spec(workspace, target={"name": "edge", "max_mb": 50, "p95_ms": 1e-6}).model_dump(
        mode="json", exclude_defaults=True)
    pipeline.write_text(yaml.safe_dump(body))
    env = {**os.environ, "STILLROOM_USER": "olga", "STILLROOM_PASSPHRASE": PASS}
    result = subprocess.run([sys.executable, "-m", "stillroom.cli", "run", str(pipeline), "--no-progress", "--json",
                             "--workspace", str(workspace.root)], capture_output=True, text=True, env=env,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]  # under --json stdout is the JSON alone
    assert last.startswith("release gates failed: ") and "latency_ms_p95[edge]" in last
    outcome = json.loads(result.stdout)
    assert "latency_ms_p95[edge]" in outcome["failed_gates"] and outcome["gates_passed"] is False
    assert outcome["request_id"] and ", ".join(outcome["failed_gates"]) in last


def test_a_small_training_set_gets_enough_epochs_for_the_minimum_steps_and_a_large_one_the_defaults():
    from stillroom.sizing import MIN_STEPS, SMALL_DATA_LR, schedule_for

    small = schedule_for(258)  # the own-data example's training split: 9 batches of 32 an epoch
    assert small == {"epochs": -(-MIN_STEPS // 9), "lr": SMALL_DATA_LR}
    assert schedule_for(258, batch_size=16)["epochs"] == -(-MIN_STEPS // 17)
    assert schedule_for(10_003) == {} and schedule_for(0) == {}  # Banking77's whole training file: defaults
