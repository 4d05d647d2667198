"""Per-example outcomes of student and teacher on the test split, shared by the task and slice evaluators.

Teacher outputs come through the label cache, so evaluating never pays for
the teacher twice.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from stillroom.components import Context, Dataset, Student, Teacher
from stillroom.labels import label_outputs
from stillroom.plugins.evaluators.metrics import nearest_neighbour_labels


@dataclass
class Outcomes:
    """Predicted classes (argmax, or 1-NN label for embeddings) and the raw outputs behind them."""

    student_predicted: np.ndarray | None
    teacher_predicted: np.ndarray | None
    student_outputs: np.ndarray
    teacher_outputs: np.ndarray
    labels: np.ndarray | None


# Several evaluators read the same outcomes; the student runs over the data once per dataset.
_memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def outcomes(student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Outcomes:
    cached = _memo.get(student)
    if cached is not None and cached[0] is data and cached[1] is teacher:
        return cached[2]
    result = _compute(student, teacher, data, ctx)
    _memo[student] = (data, teacher, result)
    return result


def _compute(student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Outcomes:
    texts = list(data.test.texts)
    labels = None if data.test.labels is None else np.asarray(data.test.labels)
    if student.task == "embedding":
        mine = student.predict(texts)["embeddings"]
        theirs = label_outputs(teacher, texts, ctx.artifacts).outputs["embeddings"]
        if data.train.labels is None or labels is None:
            return Outcomes(None, None, mine, theirs, labels)
        train = list(data.train.texts)
        index_labels = np.asarray(data.train.labels)
        student_index = student.predict(train)["embeddings"]
        teacher_index = label_outputs(teacher, train, ctx.artifacts).outputs["embeddings"]
        return Outcomes(
            nearest_neighbour_labels(student_index, index_labels, mine),
            nearest_neighbour_labels(teacher_index, index_labels, theirs),
            mine,
            theirs,
            labels,
        )
    mine = student.predict(texts)["logits"]
    theirs = label_outputs(teacher, texts, ctx.artifacts).outputs["logits"]
    return Outcomes(mine.argmax(axis=1), theirs.argmax(axis=1), mine, theirs, labels)
