"""How closely the student reproduces its teacher, whatever the labels say."""

from __future__ import annotations

import numpy as np

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.plugins.evaluators.metrics import cosine_rows, mean_kl
from stillroom.plugins.evaluators.outcomes import outcomes


@hookimpl
def register_evaluators(register):
    register(FidelityEvaluator)


class FidelityEvaluator(Evaluator):
    name = "fidelity"
    description = "Top-1 agreement and mean KL with the teacher (classifiers); embedding cosine (embedders)."
    tasks = ("classification", "embedding")

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        result = outcomes(student, teacher, data, ctx)
        evaluation = Evaluation(self.name)
        if student.task == "embedding":
            if result.student_outputs.shape == result.teacher_outputs.shape:
                cosines = cosine_rows(result.student_outputs, result.teacher_outputs)
                evaluation.metrics["cosine"] = float(np.mean(cosines))
                evaluation.metrics["cosine_p5"] = float(np.percentile(cosines, 5))
        else:
            evaluation.metrics["mean_kl"] = mean_kl(result.teacher_outputs, result.student_outputs)
        if result.student_predicted is not None:
            evaluation.metrics["agreement"] = float(np.mean(result.student_predicted == result.teacher_predicted))
        return evaluation
