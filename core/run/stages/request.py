"""Request: compute the release gates and open a release request bound to everything above, by digest."""

from __future__ import annotations

from typing import Any

from stillroom.run.stages.base import Skip, Stage


def request(run) -> dict[str, Any]:
    """Compute the release gates and open a release request bound to everything above."""
    from stillroom.approvals import open_request
    from stillroom.gates import added_value_verdict, compute_gates, gates_pass

    if "student" not in run.evaluations or "exports" not in run.artifacts:
        raise Skip("no evaluated, exported student to release")
    task = run.components["teacher"].task
    evidence = {f"{e.evaluator}.{k}": v for e in run.evaluations["student"] for k, v in e.metrics.items()}
    evidence["residual_pii"] = run.summaries.get("scrub", {}).get("residual", 0)
    slices: dict[str, dict[str, dict[str, float]]] = next((e.slices for e in run.evaluations["student"] if e.evaluator == "slices"), {})
    evidence |= _added_value(run)
    shipped_int8 = _int8_megabytes(run)
    if shipped_int8 is not None:  # sized for int8: the size gated is the size shipped
        evidence["latency.size_mb"] = shipped_int8
    gates = compute_gates(evidence, _release_gates(run), task, slices)
    subject = release_subject(run, gates)
    gates += [dict(f, plugin=True) for f in run.plugins.release_checks({
        "request_id": None, "run_id": run.run_id, "metrics": evidence, "artifacts": run.artifacts})]
    opened = open_request(run.workspace, kind="release", subject={**subject, "gates": gates},
                          initiator=run.initiator, policy_digest=run.policy.digest, run_id=run.run_id, gates=gates)
    outputs = {"request_id": opened.id, "digest": opened.digest, "gates_passed": gates_pass(gates),
               "gates": {g["gate"]: g["passed"] for g in gates}}
    if "distillation.gain" in evidence:
        task_metrics: dict[str, dict[str, float]] = {
            role: next((e.metrics for e in run.evaluations.get(role, []) if e.evaluator == "task"), {})
            for role in ("student", "baseline")}
        verdict = added_value_verdict(evidence, baseline=task_metrics["baseline"].get("accuracy"),
                                      teacher=task_metrics["student"].get("teacher_accuracy"))
        outputs["distillation"] = {k.removeprefix("distillation."): v for k, v in evidence.items()
                                   if k.startswith("distillation.")} | {"verdict": verdict}
    return outputs


def _added_value(run) -> dict[str, float]:
    """Student against the labels-only baseline on the same test items, for the distillation-added-value gate."""
    import numpy as np

    from stillroom.gates import added_value_evidence
    from stillroom.plugins.evaluators.outcomes import outcomes

    if "baseline" not in run.students or run.dataset.test.labels is None or not len(run.dataset.test):
        return {}
    teacher, labels = run.components["teacher"], np.asarray(run.dataset.test.labels)
    correct = [outcomes(run.students[role], teacher, run.dataset, run.ctx).student_predicted == labels
               for role in ("student", "baseline")]
    return added_value_evidence(*correct)


def _release_gates(run):
    """The policy's gates, with the spec's own deployment target beside the policy's (``preflight``)."""
    from stillroom.policy import DeploymentTarget
    from stillroom.run.stages.preflight import deployment_targets

    targets = {name: DeploymentTarget(max_size_mb=mb, max_latency_ms_p95=ms)
               for name, (mb, ms) in deployment_targets(run).items()}
    return run.policy.release_gates.model_copy(update={"deployment_targets": targets})


def _int8_megabytes(run) -> float | None:
    """The onnx-int8 export's size when preflight sized the student for int8; None otherwise."""
    exported = run.workspace.artifacts.read_json(run.artifacts["exports"])
    if not run.summaries["preflight"].get("student_size", {}).get("int8") or "onnx-int8" not in exported:
        return None
    files = exported["onnx-int8"].values()
    return sum(run.workspace.artifacts.path(digest).stat().st_size for digest in files) / 1e6


def release_subject(run, gates: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything a release request is about, by digest: any change makes a new request."""
    teacher = run.components["teacher"]
    exported = run.workspace.artifacts.read_json(run.artifacts["exports"])
    files = {f"{exporter}/{name}": digest for exporter, named in exported.items() for name, digest in named.items()}
    return {
        "run_id": run.run_id,
        "pipeline": run.spec.name,
        "spec_digest": run.spec.digest,
        "policy_digest": run.policy.digest,
        "teacher": {"name": teacher.name, "fingerprint": teacher.fingerprint()},
        "data": {"source_fingerprint": run.summaries["ingest"]["fingerprint"],
                 **{k: v for k, v in run.artifacts.items() if k not in ("exports", "model_card")}},
        "student": {"files": files},
        "model_card": run.artifacts.get("model_card"),
        "plugins": run.plugins.provenance(),
    }


STAGE = Stage("request", request, reads=("*",))
