"""A regression check against the last released student of the same name: no slice may drop too far.

The previous release's evaluation (the list of evaluations a run stores, as
JSON) is named by ``previous``: a file path or an artifact digest. Each slice
present in both, with at least ``min_size`` examples now, is compared on
student accuracy; ``regression_worst_drop`` is the largest fall and
``regressions`` counts the slices that fell by more than ``max_drop`` (the
policy's allowance). The release gate reads them; this evaluator only measures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.evaluators.outcomes import outcomes
from stillroom.plugins.evaluators.slices import slice_tables

Tables = Mapping[str, Mapping[str, Mapping[str, float]]]


@hookimpl
def register_evaluators(register):
    register(RegressionEvaluator)


def slice_regressions(previous: Tables, current: Tables, min_size: int = 5) -> dict[str, dict[str, float]]:
    """``"field=value" -> {previous, current, drop, n}`` for every slice measured both times."""
    found = {}
    for field, table in current.items():
        for value, row in table.items():
            before = previous.get(field, {}).get(value)
            if before is None or row["n"] < min_size:
                continue
            found[f"{field}={value}"] = {
                "previous": before["accuracy"],
                "current": row["accuracy"],
                "drop": before["accuracy"] - row["accuracy"],
                "n": row["n"],
            }
    return found


class RegressionEvaluator(Evaluator):
    name = "regression"
    accepts = frozenset({"max_drop", "min_size", "previous"})
    description = (
        "Per-slice accuracy against the last released student; the largest drop and how many exceed the policy."
    )
    tasks = ("classification", "embedding")

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        max_drop = self.options.get("max_drop", 0.02)
        min_size = self.options.get("min_size", 5)
        if not isinstance(max_drop, (int, float)) or not 0 <= max_drop <= 1:
            raise ConfigError(f"evaluator regression: max_drop must be a number between 0 and 1, got {max_drop!r}")
        evaluation = Evaluation(self.name)
        previous = self.options.get("previous")
        if previous is None:
            return evaluation  # a first release has nothing to regress against
        result = outcomes(student, teacher, data, ctx)
        if result.labels is None or result.student_predicted is None:
            return evaluation
        found = slice_regressions(_previous_slices(previous, ctx), slice_tables(result, data), min_size)
        evaluation.slices["regression"] = found
        evaluation.metrics["regression_worst_drop"] = max((r["drop"] for r in found.values()), default=0.0)
        evaluation.metrics["regressions"] = float(sum(r["drop"] > max_drop for r in found.values()))
        evaluation.metrics["regression_slices_compared"] = float(len(found))
        return evaluation


def _previous_slices(previous: str, ctx: Context) -> Tables:
    """The ``slices`` evaluator's tables from a stored evaluation list (file path or artifact digest)."""
    path = Path(previous)
    stored: Any = json.loads(path.read_text()) if path.is_file() else ctx.artifacts.read_json(previous)
    if isinstance(stored, Mapping):  # the pipeline stores {role: [evaluations]}; the released student is "student"
        stored = stored.get("student", [])
    for entry in stored:
        if entry.get("evaluator") == "slices":
            return entry["slices"]
    raise ConfigError(f"the previous evaluation {previous} has no slices evaluation to compare against")
