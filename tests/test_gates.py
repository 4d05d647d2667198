"""Release gates: thresholds from the policy applied to the evidence; missing evidence never passes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stillroom.gates import compute_gates, gates_pass, worst_slice_drop
from stillroom.policy import DeploymentTarget, ReleaseGates

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
