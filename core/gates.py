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
    if gates.distillation_added_value is not None:
        results.append(added_value_gate(evidence, gates.distillation_added_value))
    if task == "causal-lm":
        results.append(_at_most("memorization", evidence.get("memorization.reproduced"), 0,
                                "planted canaries the student reproduces"))
    return results


def added_value_gate(evidence: dict[str, Any], limits: Any) -> dict[str, Any]:
    """Distillation added value: the student's accuracy gain over its labels-only baseline, and the paired test.

    Both must hold: a gain below ``min_gain`` shows distillation added too little,
    and a p-value above ``max_p_value`` means the gain, whatever its size, is not
    distinguishable from seed and sampling noise on this test split. Without a
    baseline to compare against (``baseline: false``) there is no evidence, so it fails.
    """
    gain, p_value = evidence.get("distillation.gain"), evidence.get("distillation.p_value")
    what = "student accuracy minus its labels-only baseline's on the same test items"
    if gain is None or p_value is None:
        return _gate("distillation_added_value", None, limits.min_gain, what, False, "≥")
    passed = gain >= limits.min_gain and p_value <= limits.max_p_value
    result = _gate("distillation_added_value", gain, limits.min_gain, what, passed, "≥")
    result["message"] += f", paired bootstrap p = {p_value:.3g} (needs ≤ {limits.max_p_value:g})"
    return result | {"p_value": p_value}


def added_value_evidence(student_correct: Any, baseline_correct: Any) -> dict[str, float]:
    """The evidence ``added_value_gate`` reads, from per-item correctness of student and baseline on one test split."""
    from stillroom.plugins.evaluators.metrics import paired_bootstrap

    paired = paired_bootstrap(student_correct, baseline_correct)
    return {"distillation.gain": paired["difference"], "distillation.p_value": paired["p_value"],
            "distillation.items": paired["items"]}


def added_value_verdict(evidence: dict[str, Any], *, baseline: float | None, teacher: float | None) -> str:
    """What distillation added, in one sentence from the measured figures: above the labels-only twin, or why not."""
    gain, p_value, items = (evidence[f"distillation.{k}"] for k in ("gain", "p_value", "items"))
    figures = (f"{gain * 100:+.1f} points over its labels-only twin on {items} test items "
               f"(paired bootstrap p = {p_value:.2g})")
    if gain > 0 and p_value <= 0.05:
        return f"KD student measurably above its labels-only twin: {figures}"
    if baseline is not None and teacher is not None and baseline >= teacher:
        why = (f"the twin already matches the teacher ({baseline:.3f} against {teacher:.3f}), so the teacher has "
               "nothing to teach beyond the labels")
    elif gain <= 0:
        why = "distillation did no better than the labels alone on this data"
    else:
        why = f"a gain this size cannot be told from noise on {items} test items"
    return f"KD student not measurably above its labels-only twin: {figures}; {why}"


def sample_audit_gate(audit: dict[str, Any] | None, max_misses: int, *, reason: str | None = None) -> dict[str, Any]:
    """The ``sample_audit`` gate: a completed audit of the request's sample with at most ``max_misses``
    records marked "PII left" (``audit``: ``AuditOutcome.as_dict()``; None, with ``reason``, when none can be)."""
    if audit is None or not audit["completed"]:
        why = reason or "no counted sample audit by a security reviewer (`stillroom audit sample REQ --as USER`)"
        return {"gate": "sample_audit", "passed": False, "value": None, "threshold": max_misses,
                "message": f"sample audit of scrubbed records: {why}, so the gate fails"}
    return _gate("sample_audit", audit["misses"], max_misses,
                 f"records with PII left in {audit['reviewer']}'s audit of {audit['size']} sampled scrubbed records "
                 f"(miss rate 95% upper bound {audit['miss_rate_upper_95']:.3f})",
                 audit["misses"] <= max_misses, "≤")


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
