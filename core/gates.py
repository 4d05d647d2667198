"""Release gates: the policy's thresholds applied to a run's evidence. Pure: no I/O.

Each gate is ``{"gate", "passed", "value", "threshold", "message"}``. A gate
whose evidence is missing fails (it is never silently passed), and says what
is missing. Plugins may add findings through ``release_checks``; they cannot
remove these.
"""

from __future__ import annotations

from typing import Any


def compute_gates(evidence: dict[str, Any], gates: Any, task: str,
                  slices: dict[str, dict[str, dict[str, float]]] | None = None) -> list[dict[str, Any]]:
    """``evidence``: the student's flat metrics (``task.retained``, ``fidelity.agreement``, ...; for causal
    LMs ``causal.retained`` and ``causal.agreement`` from the causal evaluator),
    ``residual_pii`` and, for generative students, ``memorization.reproduced``. ``slices``: the
    slice tables (field -> value -> ``{n, drop, ...}``), gated on slices of ``min_slice_size`` or more."""
    fidelity_key = {"embedding": "fidelity.cosine", "causal-lm": "causal.agreement"}.get(task, "fidelity.agreement")
    retained_key = "causal.retained" if task == "causal-lm" else "task.retained"
    worst, counted = worst_slice_drop(slices or {}, gates.min_slice_size)
    results = [
        _at_least("retained_quality", evidence.get(retained_key), gates.min_retained_quality,
                  "held-out likelihood (teacher perplexity / student perplexity) as a share of the teacher's"
                  if task == "causal-lm" else "student task quality as a share of the teacher's"),
        _at_least("fidelity", evidence.get(fidelity_key), gates.min_fidelity,
                  {"embedding": "mean cosine to the teacher",
                   "causal-lm": "next-token agreement with the teacher on its answers to held-out prompts"}.get(
                      task, "top-1 agreement with the teacher")),
        _at_most("worst_slice_drop", worst, gates.max_worst_slice_drop,
                 f"largest accuracy drop against the teacher over {counted} slices of "
                 f"{gates.min_slice_size}+ examples"),
        _at_most("residual_pii", evidence.get("residual_pii"), gates.max_residual_pii,
                 "PII findings left after scrubbing"),
    ]
    for target, limits in gates.deployment_targets.items():
        results.append(_at_most(f"size_mb[{target}]", evidence.get("latency.size_mb"), limits.max_size_mb,
                                f"student size on disk for {target}"))
        results.append(_at_most(f"latency_ms_p95[{target}]", evidence.get("latency.p95_ms"),
                                limits.max_latency_ms_p95, f"single-thread p95 latency at batch 1 for {target}"))
    if "regression.regressions" in evidence:
        results.append(_at_most("regression", evidence["regression.regressions"], 0,
                                "slices that fell against the last released student"))
    if task == "causal-lm":
        results.append(_at_most("memorization", evidence.get("memorization.reproduced"), 0,
                                "planted canaries the student reproduces"))
    return results


def worst_slice_drop(slices: dict[str, dict[str, dict[str, float]]], min_size: int) -> tuple[float | None, int]:
    """The largest drop among slices with at least ``min_size`` examples (smaller ones are noise), and how many."""
    drops = [row["drop"] for table in slices.values() for row in table.values() if row["n"] >= min_size]
    return (max(drops) if drops else None), len(drops)


def gates_pass(results: list[dict[str, Any]]) -> bool:
    return all(g["passed"] for g in results)


def _at_least(gate: str, value: float | None, threshold: float, what: str) -> dict[str, Any]:
    return _gate(gate, value, threshold, what, value is not None and value >= threshold, "≥")


def _at_most(gate: str, value: float | None, threshold: float, what: str) -> dict[str, Any]:
    return _gate(gate, value, threshold, what, value is not None and value <= threshold, "≤")


def _gate(gate: str, value: float | None, threshold: float, what: str, passed: bool, op: str) -> dict[str, Any]:
    if value is None:
        message = f"{what}: no evidence was produced, so the gate fails"
    else:
        message = f"{what}: {value:.4g} (needs {op} {threshold:g})"
    return {"gate": gate, "passed": bool(passed), "value": value, "threshold": threshold, "message": message}
