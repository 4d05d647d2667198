"""Evaluate: every chosen evaluator scores each trained student (loaded by digest) on held-out data."""

from __future__ import annotations

from typing import Any

from stillroom.errors import ConfigError
from stillroom.run.stages.base import Skip, Stage
from stillroom.run.stages.choose import chosen as _chosen


def evaluate(run) -> dict[str, Any]:
    task = run.components["teacher"].task
    chosen = _chosen(run, "evaluator", task)
    if not chosen:
        raise Skip(f"no evaluator registered for {task} students")
    if not run.dataset.test.texts:  # every score would be 0/0: say why instead of writing NaN
        split = run.spec.data.split
        raise ConfigError(f"the test split is empty: data.split.test = {split.test} put none of the records in it "
                          f"(seed {split.seed}); add records or raise data.split.test")
    results: dict[str, Any] = {}
    for role, student in run.students.items():
        evaluations = []
        for name, options in chosen:
            if name == "regression" and "previous" not in options:
                options = {**options, "previous": _last_released_evaluation(run)}
            if "canaries" in run.artifacts and hasattr(run.plugins.component("evaluator", name), "planting"):
                planted = run.workspace.artifacts.read_json(run.artifacts["canaries"])
                options = {**options, "canaries": planted["canaries"]}  # exactly the set the curate stage planted
            evaluator = run.plugins.component("evaluator", name)(options, run.ctx)
            evaluations.append(evaluator.evaluate(student, run.components["teacher"], run.dataset, run.ctx))
        run.evaluations[role] = evaluations
        results[role] = {e.evaluator: e.metrics for e in evaluations}
    digest = run.workspace.artifacts.put_json(
        {role: [e.as_dict() for e in evals] for role, evals in run.evaluations.items()})
    run.artifacts["evaluation"] = digest
    return {"evaluators": [name for name, _ in chosen], "metrics": results, "report": digest}


def _last_released_evaluation(run) -> str | None:
    """The evaluation digest of the last released student of this pipeline, for the regression check."""
    from stillroom.approvals import list_requests

    released = [r for r in list_requests(run.workspace, status="released", kind="release")
                if r.subject.get("pipeline") == run.spec.name]
    return released[-1].subject["data"].get("evaluation") if released else None


STAGE = Stage("evaluate", evaluate, reads=("dataset", "student", "baseline", "canaries"), writes=("evaluation",))
