"""Task metrics for student and teacher: accuracy, macro-F1, calibration, and the share of teacher accuracy kept.

Embedding students are scored by 1-nearest-neighbour label accuracy over the
training texts' embeddings: what a retrieval or intent lookup built on them would get.
"""

from __future__ import annotations

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.plugins.evaluators.metrics import (
    accuracy,
    expected_calibration_error,
    macro_f1,
    retained,
    softmax,
)
from stillroom.plugins.evaluators.outcomes import outcomes


@hookimpl
def register_evaluators(register):
    register(TaskEvaluator)


class TaskEvaluator(Evaluator):
    name = "task"
    description = "Accuracy, macro-F1 and ECE of student and teacher on the test split; accuracy retained."
    tasks = ("classification", "embedding")

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        result = outcomes(student, teacher, data, ctx)
        evaluation = Evaluation(self.name)
        if result.labels is None or result.student_predicted is None or result.teacher_predicted is None:
            return evaluation
        for prefix, predicted in (("", result.student_predicted), ("teacher_", result.teacher_predicted)):
            evaluation.metrics[f"{prefix}accuracy"] = accuracy(predicted, result.labels)
            evaluation.metrics[f"{prefix}macro_f1"] = macro_f1(predicted, result.labels)
        if student.task == "classification":
            evaluation.metrics["ece"] = expected_calibration_error(softmax(result.student_outputs), result.labels)
            evaluation.metrics["teacher_ece"] = expected_calibration_error(
                softmax(result.teacher_outputs), result.labels
            )
        if evaluation.metrics["teacher_accuracy"] > 0:
            evaluation.metrics["retained"] = retained(evaluation.metrics["accuracy"],
                                                      evaluation.metrics["teacher_accuracy"], lower_is_better=False)
        return evaluation
