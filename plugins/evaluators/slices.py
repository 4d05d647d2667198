"""The same metrics per slice (label, length bucket, any slice field of the data), and the worst drop.

An average can hide a slice the student fails: the release gate reads
``worst_slice_drop`` (teacher accuracy minus student accuracy on the slice
where that is largest), counting only slices with at least ``min_size`` examples.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.evaluators.charts import slice_chart
from stillroom.plugins.evaluators.metrics import length_bucket
from stillroom.plugins.evaluators.outcomes import Outcomes, outcomes


@hookimpl
def register_evaluators(register):
    register(SlicesEvaluator)


class SlicesEvaluator(Evaluator):
    name = "slices"
    accepts = frozenset({"min_size"})
    description = "Accuracy of student and teacher per slice; worst-slice drop; a PNG chart per slice field."
    tasks = ("classification", "embedding")

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        min_size = self.options.get("min_size", 5)
        if not isinstance(min_size, int) or min_size < 1:
            raise ConfigError(f"evaluator slices: min_size must be a positive integer, got {min_size!r}")
        result = outcomes(student, teacher, data, ctx)
        evaluation = Evaluation(self.name)
        if result.labels is None or result.student_predicted is None or result.teacher_predicted is None:
            return evaluation
        charts = self._chart_directory(ctx)
        drops = []
        for field, table in slice_tables(result, data).items():
            drops += [row["drop"] for row in table.values() if row["n"] >= min_size]
            evaluation.slices[field] = table
            evaluation.artifacts[f"slices-{field}.png"] = _chart(charts, field, table)
        evaluation.metrics["worst_slice_drop"] = max(drops) if drops else 0.0
        evaluation.metrics["slices_counted"] = float(len(drops))
        return evaluation

    def _chart_directory(self, ctx: Context) -> Path:
        # one directory per evaluation: two students evaluated in one run must not overwrite each other's charts
        base = (ctx.scratch or ctx.workspace / "scratch") / "charts"
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))


def slice_tables(result: Outcomes, data: Dataset) -> dict[str, dict[str, dict[str, float]]]:
    """Per slice field, per value: n, student and teacher accuracy, agreement, and the drop."""
    labels, student, teacher = result.labels, result.student_predicted, result.teacher_predicted
    assert labels is not None and student is not None and teacher is not None  # evaluate() returns first
    student_correct = student == labels
    teacher_correct = teacher == labels
    agree = student == teacher
    names = data.label_names or []
    fields = {
        "label": [names[y] if y < len(names) else str(y) for y in labels.tolist()],
        "length": [length_bucket(t) for t in data.test.texts],
        **data.test.slices,
    }
    tables = {}
    for field, values in fields.items():
        table = {}
        for value in sorted(set(values)):
            rows = np.fromiter((v == value for v in values), dtype=bool, count=len(values))
            scores = {
                "n": float(rows.sum()),
                "accuracy": float(student_correct[rows].mean()),
                "teacher_accuracy": float(teacher_correct[rows].mean()),
                "agreement": float(agree[rows].mean()),
            }
            scores["drop"] = scores["teacher_accuracy"] - scores["accuracy"]
            table[str(value)] = scores
        tables[field] = table
    return tables


def _chart(directory: Path, field: str, table: dict[str, dict[str, float]]) -> Path:
    values = list(table)
    return slice_chart(
        directory / f"slices-{re.sub(r'[^A-Za-z0-9_.-]', '_', field)}.png",
        f"accuracy by {field}",
        values,
        {"student": [table[v]["accuracy"] for v in values], "teacher": [table[v]["teacher_accuracy"] for v in values]},
    )
