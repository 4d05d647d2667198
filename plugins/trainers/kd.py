"""Logit distillation for classifiers: KL at temperature T, plus cross-entropy on labels.

``loss = alpha · T² · KL(teacher_T ‖ student_T) + (1 − alpha) · CE(student, label)``;
without labels, the KL term alone. ``method: labels`` trains the same student
on labels alone: the baseline a report sets beside every KD result, so a
reviewer sees what distillation added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from typing import TYPE_CHECKING

import numpy as np

from stillroom import hookimpl
from stillroom.components import Dataset
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.base import StudentTrainer
from stillroom.plugins.trainers.options import TrainOptions
from stillroom.plugins.trainers.preflight import PreflightFailed, check_teacher_outputs

if TYPE_CHECKING:
    from stillroom.plugins.trainers.student import HFStudent


@hookimpl
def register_trainers(register):
    register(LogitKDTrainer)


class LogitKDTrainer(StudentTrainer):
    name = "logit-kd"
    description = "Classifier distillation: KL at temperature T plus cross-entropy with weight 1 - alpha."
    tasks = ("classification",)
    task = "classification"
    option_keys = {"temperature", "alpha", "method"}
    supports_baseline = True

    def check_inputs(self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions) -> None:
        super().check_inputs(data, teacher_outputs, options)
        if options.method == "labels":
            if data.train.labels is None:
                raise ConfigError("the labels baseline needs labelled training data, and this training split has none")
            return
        logits = teacher_outputs.get("train", {}).get("logits")
        if logits is None or len(logits) != len(data.train):
            raise ConfigError("logit-kd needs the teacher's logits for every training text (teacher_outputs['train']['logits'])")
        if data.label_names and logits.shape[1] != len(data.label_names):
            raise PreflightFailed(
                f"the teacher predicts {logits.shape[1]} classes but the data has {len(data.label_names)} labels"
            )
        check_teacher_outputs(logits, "logits")

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        if options.method == "labels":
            return {"labels": torch.as_tensor(data.train.labels, dtype=torch.long)}
        targets = {"teacher_logits": torch.as_tensor(np.asarray(teacher_outputs["train"]["logits"], dtype=np.float32))}
        if data.train.labels is not None:
            targets["labels"] = torch.as_tensor(data.train.labels, dtype=torch.long)
        return targets

    def loss_fn(self, options: TrainOptions):
        from torch.nn import functional as F

        from stillroom.plugins.trainers.losses import logit_kd

        if options.method == "labels":
            options = replace(options, alpha=0.0)

        def loss(net, batch):
            logits = net(batch["input_ids"], batch["attention_mask"])
            if "labels" not in batch:
                return logit_kd(logits, batch["teacher_logits"], options.temperature)
            distill = logit_kd(logits, batch["teacher_logits"], options.temperature) if options.alpha else 0.0
            return options.alpha * distill + (1 - options.alpha) * F.cross_entropy(logits.float(), batch["labels"])

        return loss

    def score(self, student: HFStudent, data: Dataset, teacher_outputs) -> float | None:
        """Validation accuracy on labels; without them, top-1 agreement with the teacher."""
        if len(data.validation) == 0:
            return None
        predicted = student.predict(list(data.validation.texts))["logits"].argmax(axis=1)
        if data.validation.labels is not None:
            return float((predicted == np.asarray(data.validation.labels)).mean())
        teacher = teacher_outputs.get("validation", {}).get("logits")
        return None if teacher is None else float((predicted == np.asarray(teacher).argmax(axis=1)).mean())
