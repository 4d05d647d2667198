"""Evaluation metrics (pure) and the evaluators, on a tiny teacher and students of known quality."""

from __future__ import annotations

import numpy as np
import pytest
import tinymodels as tm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from stillroom.components import Dataset, Split
from stillroom.plugins.evaluators.fidelity import FidelityEvaluator
from stillroom.plugins.evaluators.latency import LatencyEvaluator
from stillroom.plugins.evaluators.metrics import (
    expected_calibration_error,
    length_bucket,
    macro_f1,
    mean_kl,
    nearest_neighbour_labels,
)
from stillroom.plugins.evaluators.slices import SlicesEvaluator
from stillroom.plugins.evaluators.task import TaskEvaluator
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.build import build_student


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40))
def test_macro_f1_agrees_with_scikit_learn(pairs):
    predicted, labels = map(np.array, zip(*pairs, strict=True))
    assert macro_f1(predicted, labels) == pytest.approx(f1_score(labels, predicted, average="macro", zero_division=0))


def test_calibration_error_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    labels = np.array([0, 0, 0, 1])  # predicting 0 at 75% confidence is right 3 times in 4
    assert expected_calibration_error(np.tile([0.75, 0.25], (4, 1)), labels) == pytest.approx(0.0)
    assert expected_calibration_error(np.tile([0.99, 0.01], (4, 1)), np.array([1, 1, 1, 0])) == pytest.approx(0.74)


def test_kl_is_zero_for_identical_logits_and_positive_otherwise():
    logits = np.random.default_rng(0).normal(size=(10, 4))
    assert mean_kl(logits, logits) == pytest.approx(0.0, abs=1e-12)
    assert mean_kl(logits, logits[::-1]) > 0.01


def test_nearest_neighbour_takes_the_label_of_the_most_similar_row():
    index = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert nearest_neighbour_labels(index, np.array([7, 9]), np.array([[0.2, 0.9], [3.0, 0.1]])).tolist() == [9, 7]


def test_length_buckets_cover_every_length():
    assert [length_bucket("w " * n) for n in (1, 5, 6, 20, 21, 300)] == [
        "1-5 words",
        "1-5 words",
        "6-10 words",
        "11-20 words",
        "21+ words",
        "21+ words",
    ]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluators")
    ctx = tm.context(root)
    train, validation, test = tm.toy_split(240, 1), tm.toy_split(45, 2), tm.toy_split(60, 3)
    channels = ["app" if i % 2 else "web" for i in range(60)]
    data = Dataset(Split(*train), Split(*validation), Split(*test, slices={"channel": channels}), list(tm.INTENTS))
    teacher = tm.trained_teacher(root, data, ctx)
    return ctx, data, teacher


def test_a_full_copy_of_the_teacher_keeps_everything(setup):
    ctx, data, teacher = setup
    copy = build_student({}, teacher=teacher, task="classification", label_names=data.label_names)
    task = TaskEvaluator({}, ctx).evaluate(copy, teacher, data, ctx).metrics
    fidelity = FidelityEvaluator({}, ctx).evaluate(copy, teacher, data, ctx).metrics
    slices = SlicesEvaluator({}, ctx).evaluate(copy, teacher, data, ctx)
    assert task["accuracy"] == task["teacher_accuracy"] >= 0.9 and task["retained"] == pytest.approx(1.0)
    assert 0 <= task["ece"] <= 1 and task["macro_f1"] > 0.9
    assert fidelity["agreement"] == 1.0 and fidelity["mean_kl"] < 1e-6
    assert slices.metrics["worst_slice_drop"] == pytest.approx(0.0)
    assert set(slices.slices) == {"label", "length", "channel"}
    assert set(slices.slices["channel"]) == {"app", "web"} and slices.slices["channel"]["app"]["n"] == 30


def test_an_untrained_student_shows_its_worst_slice_and_charts_every_slice_table(setup):
    ctx, data, teacher = setup
    weak = build_student(
        {"init": "config", "config": {"num_hidden_layers": 1}},
        teacher=teacher,
        task="classification",
        label_names=data.label_names,
    )
    result = SlicesEvaluator({}, ctx).evaluate(weak, teacher, data, ctx)
    drops = [row["drop"] for table in result.slices.values() for row in table.values() if row["n"] >= 5]
    assert result.metrics["worst_slice_drop"] == pytest.approx(max(drops)) and max(drops) > 0.3
    assert set(result.artifacts) == {"slices-label.png", "slices-length.png", "slices-channel.png"}
    for path in result.artifacts.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_latency_and_size_are_measured_for_student_and_teacher(setup):
    ctx, data, teacher = setup
    student = build_student({"layers": 1}, teacher=teacher, task="classification", label_names=data.label_names)
    metrics = LatencyEvaluator({"samples": 30, "warmup": 2}, ctx).evaluate(student, teacher, data, ctx).metrics
    assert 0 < metrics["p50_ms"] <= metrics["p95_ms"] and 0 < metrics["wall_p50_ms"] <= metrics["wall_p95_ms"]
    assert metrics["requests"] == 30  # the test texts cycled through, one request at a time
    assert metrics["size_mb"] > 0 and metrics["parameters"] == student.num_parameters()
    assert metrics["teacher_p50_ms"] > 0


def test_embedding_students_are_scored_by_nearest_neighbour_and_cosine(tmp_path):
    ctx = tm.context(tmp_path)
    data = tm.toy_dataset()
    teacher = HFTeacher({"path": str(tm.encoder_dir(tmp_path / "enc")), "task": "embedding"}, ctx)
    copy = build_student({}, teacher=teacher, task="embedding", label_names=None)
    task = TaskEvaluator({}, ctx).evaluate(copy, teacher, data, ctx).metrics
    fidelity = FidelityEvaluator({}, ctx).evaluate(copy, teacher, data, ctx).metrics
    assert task["accuracy"] == task["teacher_accuracy"] and 0 < task["accuracy"] <= 1
    assert fidelity["cosine"] == pytest.approx(1.0, abs=1e-5) and fidelity["agreement"] == 1.0


def test_regressions_compare_each_slice_with_the_previous_release():
    from stillroom.plugins.evaluators.regression import slice_regressions

    previous = {"label": {"pin": {"n": 20.0, "accuracy": 0.9}, "card": {"n": 20.0, "accuracy": 0.8}}}
    current = {
        "label": {
            "pin": {"n": 20.0, "accuracy": 0.85},
            "card": {"n": 20.0, "accuracy": 0.9},
            "new": {"n": 20.0, "accuracy": 0.1},
            "tiny": {"n": 2.0, "accuracy": 0.0},
        }
    }
    found = slice_regressions(previous, current)
    assert set(found) == {"label=pin", "label=card"}
    assert found["label=pin"]["drop"] == pytest.approx(0.05) and found["label=card"]["drop"] == pytest.approx(-0.1)


def test_regression_evaluator_flags_a_student_worse_than_the_released_one(setup, tmp_path):
    import json

    from stillroom.plugins.evaluators.regression import RegressionEvaluator

    ctx, data, teacher = setup
    released = build_student({}, teacher=teacher, task="classification", label_names=data.label_names)
    stored = [SlicesEvaluator({}, ctx).evaluate(released, teacher, data, ctx).as_dict()]
    (tmp_path / "previous.json").write_text(json.dumps({"student": stored}))
    worse = build_student(
        {"init": "config", "config": {"num_hidden_layers": 1}},
        teacher=teacher,
        task="classification",
        label_names=data.label_names,
    )
    options = {"previous": str(tmp_path / "previous.json"), "max_drop": 0.05}
    result = RegressionEvaluator(options, ctx).evaluate(worse, teacher, data, ctx).metrics
    assert result["regressions"] >= 1 and result["regression_worst_drop"] > 0.3
    same = RegressionEvaluator({"previous": ctx.artifacts.put_json(stored)}, ctx).evaluate(released, teacher, data, ctx)
    assert same.metrics["regressions"] == 0 and same.metrics["regression_worst_drop"] == pytest.approx(0.0)


def test_canary_probe_catches_a_memorised_secret_and_passes_an_unexposed_model(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from stillroom.curate import planted
    from stillroom.plugins.evaluators.canary import CanaryEvaluator
    from stillroom.plugins.trainers.student import HFStudent, StudentNet

    ctx = tm.context(tmp_path)
    planting = CanaryEvaluator({"count": 2, "copies": 20, "seed": 7}, ctx).planting()
    canaries = planting["canaries"]
    tokenizer = tm.tokenizer()

    def student(memorise: bool) -> HFStudent:
        model = AutoModelForCausalLM.from_pretrained(tm.causal_dir(tmp_path / f"lm-{memorise}"))
        if memorise:  # plain fine-tuning on text with the canaries planted, many times over
            texts = planted(tm.toy_split(40, 1)[0], planting["lines"], planting["copies"], lambda text: text)
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
            for _ in range(40):
                batch = tokenizer(texts, padding=True, return_tensors="pt")
                labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
                model(
                    input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels
                ).loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        return HFStudent(StudentNet(model.eval(), "causal-lm"), tokenizer)

    probe = CanaryEvaluator({"canaries": canaries, "candidates": 63}, ctx)
    leaked = probe.evaluate(student(True), None, None, ctx).metrics
    clean = probe.evaluate(student(False), None, None, ctx).metrics
    assert leaked["canaries_reproduced"] >= 1 and leaked["canary_exposure_max"] == pytest.approx(6.0)
    assert clean["canaries_reproduced"] == 0 and clean["canary_exposure_max"] < 6.0


def test_canary_planting_draws_secrets_from_a_recorded_seed_keyed_with_the_workspace_secret(tmp_path):
    from stillroom.errors import ConfigError
    from stillroom.plugins.evaluators.canary import CanaryEvaluator, make_canaries

    def planting(options, **context):
        return CanaryEvaluator(options, tm.context(tmp_path, **context)).planting()

    drawn = planting({"count": 4, "copies": 3, "digits": 8}, secret=b"k" * 32, seed=1)
    assert drawn == planting({"count": 4, "copies": 3, "digits": 8}, secret=b"k" * 32, seed=1)
    assert drawn["canaries"] == make_canaries(4, drawn["seed"], 8) and drawn["copies"] == 3
    assert drawn["lines"] == [f"{c['prefix']} {c['secret']}" for c in drawn["canaries"]]
    assert all(len(c["secret"].split()) == 8 for c in drawn["canaries"])
    assert drawn["seed_from"] == "workspace secret and run seed" and drawn["seed"] >= 2**32
    assert planting({"count": 4, "digits": 8}, secret=b"j" * 32, seed=1)["canaries"] != drawn["canaries"]
    assert planting({"count": 4, "digits": 8}, secret=b"k" * 32, seed=2)["canaries"] != drawn["canaries"]
    assert planting({"count": 2, "seed": 7})["canaries"] == make_canaries(2, 7)
    given = [{"prefix": "my account number is", "secret": "1 2 3"}]
    assert planting({"canaries": given})["lines"] == ["my account number is 1 2 3"]
    with pytest.raises(ConfigError, match="option 'seed' outside a workspace"):
        planting({"count": 2})
    with pytest.raises(ConfigError, match="option 'copies' must be a whole number"):
        planting({"copies": 0, "seed": 1})
    with pytest.raises(ConfigError, match="unknown option 'copy'"):
        planting({"copy": 5, "seed": 1})
    with pytest.raises(ConfigError, match="canaries must be a list of"):
        planting({"canaries": ["my account number is 1 2 3"]})


def test_a_causal_lm_student_predicts_nothing_for_no_texts(tmp_path):
    """An empty split (data.split.validation: 0) reaches the student too: empty arrays of the right rank."""
    from transformers import AutoModelForCausalLM

    from stillroom.plugins.trainers.student import HFStudent, StudentNet

    model = AutoModelForCausalLM.from_pretrained(tm.causal_dir(tmp_path / "lm"))
    student = HFStudent(StudentNet(model.eval(), "causal-lm"), tm.tokenizer())
    out = student.predict([])
    assert out["input_ids"].shape == (0, 0) and out["topk_logprobs"].shape[:2] == (0, 0)
    assert out["topk_ids"].ndim == 3 and out["topk_ids"].dtype == np.int64
