"""Release gates: thresholds from the policy applied to the evidence; missing evidence never passes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stillroom.gates import added_value_evidence, added_value_verdict, compute_gates, gates_pass, worst_slice_drop
from stillroom.policy import AddedValue, DeploymentTarget, ReleaseGates

GATES = ReleaseGates(min_retained_quality=0.95, min_fidelity=0.85, max_worst_slice_drop=0.1, max_residual_pii=0,
                     min_slice_size=20, deployment_targets={"edge": DeploymentTarget(max_size_mb=20, max_latency_ms_p95=5)})
GOOD = {"task.retained": 0.98, "fidelity.agreement": 0.9, "fidelity.cosine": 0.95, "residual_pii": 0,
        "latency.size_mb": 15.0, "latency.p95_ms": 4.0}
SLICES = {"label": {"card": {"n": 40, "drop": 0.05}, "refund": {"n": 3, "drop": 0.67}},
          "length": {"short": {"n": 100, "drop": 0.02}}}


def by_name(results):
    return {g["gate"]: g for g in results}


def test_a_good_student_passes_every_gate():
    results = compute_gates(GOOD, GATES, "classification", SLICES)
    assert gates_pass(results), [g for g in results if not g["passed"]]
    assert set(by_name(results)) == {"retained_quality", "fidelity", "worst_slice_drop", "residual_pii",
                                     "size_mb[edge]", "latency_ms_p95[edge]"}


def test_small_slices_are_not_gated_but_large_ones_are():
    assert worst_slice_drop(SLICES, 20) == (0.05, 2)
    assert worst_slice_drop(SLICES, 1) == (0.67, 3)


@pytest.mark.parametrize(("change", "gate"), [
    ({"task.retained": 0.94}, "retained_quality"),
    ({"fidelity.agreement": 0.5}, "fidelity"),
    ({"residual_pii": 1}, "residual_pii"),
    ({"latency.size_mb": 20.5}, "size_mb[edge]"),
    ({"latency.p95_ms": 5.01}, "latency_ms_p95[edge]"),
])
def test_each_threshold_fails_its_own_gate(change, gate):
    results = by_name(compute_gates({**GOOD, **change}, GATES, "classification", SLICES))
    assert not results[gate]["passed"]
    assert [name for name, g in results.items() if not g["passed"]] == [gate]


def test_embedding_fidelity_is_the_cosine():
    results = by_name(compute_gates({**GOOD, "fidelity.cosine": 0.8}, GATES, "embedding", SLICES))
    assert not results["fidelity"]["passed"] and "mean cosine" in results["fidelity"]["message"]


def test_missing_evidence_fails_and_says_so():
    results = by_name(compute_gates({}, GATES, "classification", None))
    assert all(not g["passed"] for name, g in results.items() if name != "residual_pii")
    assert "no evidence was produced" in results["fidelity"]["message"]


def test_a_regression_against_the_last_release_fails_its_gate():
    results = by_name(compute_gates({**GOOD, "regression.regressions": 2.0}, GATES, "classification", SLICES))
    assert not results["regression"]["passed"]


def test_causal_lm_students_are_gated_on_memorization():
    results = by_name(compute_gates({**GOOD, "memorization.reproduced": 1}, GATES, "causal-lm", SLICES))
    assert not results["memorization"]["passed"]


@given(st.floats(0, 1), st.floats(0, 1))
def test_retained_gate_is_exactly_the_threshold(value, threshold):
    gates = GATES.model_copy(update={"min_retained_quality": threshold})
    gate = by_name(compute_gates({**GOOD, "task.retained": value}, gates, "classification", SLICES))["retained_quality"]
    assert gate["passed"] == (value >= threshold)


# -- distillation added value: the student against its labels-only baseline on the same test items -------------

ADDED = GATES.model_copy(update={"distillation_added_value": AddedValue(min_gain=0.01, max_p_value=0.05)})


@pytest.mark.parametrize(("gain", "p_value", "passed"), [
    (0.03, 0.01, True),
    (0.005, 0.01, False),   # significant, but below the policy's margin
    (0.03, 0.2, False),     # large enough, but not distinguishable from noise
    (-0.02, 0.01, False),   # distillation hurt
])
def test_distillation_must_beat_the_labels_only_baseline_by_the_policys_margin_and_test(gain, p_value, passed):
    evidence = {**GOOD, "distillation.gain": gain, "distillation.p_value": p_value}
    gate = by_name(compute_gates(evidence, ADDED, "classification", SLICES))["distillation_added_value"]
    assert gate["passed"] is passed and gate["value"] == gain and gate["p_value"] == p_value
    assert f"p = {p_value:.3g} (needs ≤ 0.05)" in gate["message"]


def test_without_a_baseline_the_added_value_gate_fails_and_without_the_policy_section_it_is_not_computed():
    gate = by_name(compute_gates(GOOD, ADDED, "classification", SLICES))["distillation_added_value"]
    assert not gate["passed"] and "no evidence was produced" in gate["message"]
    assert "distillation_added_value" not in by_name(compute_gates(GOOD, GATES, "classification", SLICES))


def test_added_value_evidence_is_a_paired_test_on_the_same_items():
    rng = np.random.default_rng(0)
    baseline = rng.random(400) < 0.7
    better = baseline | (rng.random(400) < 0.3)  # right wherever the baseline is, and on a third of the rest
    evidence = added_value_evidence(better, baseline)
    assert evidence["distillation.gain"] == pytest.approx(better.mean() - baseline.mean())
    assert evidence["distillation.p_value"] < 0.01 and evidence["distillation.items"] == 400
    assert added_value_evidence(baseline, baseline)["distillation.p_value"] == 1.0


@pytest.mark.parametrize("baseline", [True, False])
def test_a_tiny_run_gates_on_its_student_against_its_labels_only_baseline(workspace, tmp_path, baseline):
    import json

    import tinymodels as tm

    from stillroom.approvals import list_requests
    from stillroom.cli import _stage_detail
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from tests.people import adopt_policy

    gates_file = workspace.policy_dir / "release_gates.yaml"
    gates_file.write_text(gates_file.read_text() + "  distillation_added_value: {min_gain: 0.0, max_p_value: 0.5}\n")
    adopt_policy(workspace)
    texts, labels = tm.toy_split(200, 5)
    path = tmp_path / "intents.jsonl"
    rows = [{"text": t, "label": list(tm.INTENTS)[y]} for t, y in zip(texts, labels)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher")), "task": "classification"},
        "data": {"label_field": "label"}, "curate": False, "baseline": baseline,
        "student": {"layers": 1, "epochs": 1, "batch_size": 16}, "evaluators": ["task"], "exporters": ["hf"]})
    run = run_pipeline(workspace, spec, initiator="op", progress=False)

    request = next(r for r in list_requests(workspace, kind="release") if r.subject["run_id"] == run.run_id)
    gate = by_name(request.subject["gates"])["distillation_added_value"]
    if not baseline:  # turning the baseline off leaves nothing to compare with: the gate fails, it is not skipped
        assert not gate["passed"] and "no evidence was produced" in gate["message"]
        return
    metrics = run.summaries["evaluate"]["metrics"]
    gain = metrics["student"]["task"]["accuracy"] - metrics["baseline"]["task"]["accuracy"]
    assert gate["value"] == pytest.approx(gain)
    assert gate["passed"] == (gain >= 0.0 and gate["p_value"] <= 0.5)
    # the run's report says what distillation added, or why not, from the same figures
    reported = run.summaries["request"]["distillation"]
    assert reported["gain"] == pytest.approx(gain) and f"{gain * 100:+.1f} points" in reported["verdict"]
    assert reported["verdict"] in _stage_detail(run.summaries["request"])


@pytest.mark.parametrize(("gain", "p_value", "baseline", "teacher", "says"), [
    (0.03, 0.01, 0.80, 0.90, "measurably above its labels-only twin: +3.0 points"),
    (0.001, 0.9, 0.814, 0.814, "the twin already matches the teacher (0.814 against 0.814)"),
    (-0.01, 0.4, 0.80, 0.90, "did no better than the labels alone"),
    (0.01, 0.3, 0.80, 0.90, "cannot be told from noise on 500 test items"),
])
def test_the_verdict_says_what_distillation_added_or_why_not_from_the_figures(gain, p_value, baseline, teacher, says):
    evidence = {"distillation.gain": gain, "distillation.p_value": p_value, "distillation.items": 500}
    verdict = added_value_verdict(evidence, baseline=baseline, teacher=teacher)
    assert says in verdict and f"p = {p_value:.2g}" in verdict
