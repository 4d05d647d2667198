"""Logit distillation for classifiers: KL at temperature T, plus cross-entropy on labels.

``loss = alpha · T² · KL(teacher_T ‖ student_T) + (1 − alpha) · CE(student, label)``;
without labels, the KL term alone. ``hidden_weight`` > 0 adds hidden-state
matching: each student block's output, through a learned projection, is
pulled towards the teacher block it came from, with the teacher run live
because hidden states are too large to cache. The projection starts as the
identity when student and teacher are as wide (a block copied from the teacher
then starts with no error), and each layer's squared error is divided by the
spread of that teacher layer's states (:func:`losses.normalised_hidden_mse`),
so every layer weighs the same in the mean whatever its activations' scale. ``method: labels`` trains the same student
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
    from stillroom.plugins.trainers.loop import Score
    from stillroom.plugins.trainers.student import HFStudent


@hookimpl
def register_trainers(register):
    register(LogitKDTrainer)


class LogitKDTrainer(StudentTrainer):
    name = "logit-kd"
    description = "Classifier distillation: KL at temperature T plus cross-entropy with weight 1 - alpha."
    tasks = ("classification",)
    task = "classification"
    option_keys = {"temperature", "alpha", "method", "hidden_weight"}
    supports_baseline = True

    def train(self, student_spec, data, teacher_outputs, ctx):
        """With ``student.search``, temperature and alpha are chosen on validation (:mod:`.search`); with
        ``student.layers: {keep: N, by: importance}``, which teacher layers to keep (:mod:`.importance`)."""
        from stillroom.plugins.trainers.importance import choose_layers

        student_spec, importance = choose_layers(student_spec, ctx.teacher, data)
        student = self._train_or_search(student_spec, data, teacher_outputs, ctx)
        if importance is not None:
            student.layer_importance = importance
        return student

    def _train_or_search(self, student_spec, data, teacher_outputs, ctx):
        if "search" not in student_spec:
            return super().train(student_spec, data, teacher_outputs, ctx)
        from stillroom.plugins.trainers.search import SEARCHED, best_on_validation, candidates

        base = {k: v for k, v in student_spec.items() if k != "search"}
        if base.get("method", "kd") != "kd":
            raise ConfigError(f"student.search tunes KD's temperature and alpha, and method: {base['method']} uses "
                              "neither; remove student.search")
        fixed = sorted(set(SEARCHED) & set(base))
        if fixed:
            raise ConfigError(f"student.{fixed[0]} is both fixed and searched; remove it or student.search")
        if len(data.validation) == 0:
            raise ConfigError("student.search chooses on the validation split, and this run has none; give it one "
                              "(data.split.validation) or remove student.search")
        trials = candidates(student_spec["search"], seed=int(base.get("seed", ctx.seed)))
        return best_on_validation(lambda params: super(LogitKDTrainer, self).train({**base, **params}, data,
                                                                                    teacher_outputs, ctx), trials)

    def check_inputs(
        self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> None:
        super().check_inputs(data, teacher_outputs, options)
        if options.method == "sequence":
            raise ConfigError("method: sequence is for causal-LM students (token-kd); use kd or labels here")
        if options.method == "labels":
            if data.train.labels is None:
                raise ConfigError("the labels baseline needs labelled training data, and this training split has none")
            return
        logits = teacher_outputs.get("train", {}).get("logits")
        if logits is None or len(logits) != len(data.train):
            raise ConfigError(
                "logit-kd needs the teacher's logits for every training text (teacher_outputs['train']['logits'])"
            )
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

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        from torch.nn import functional as F

        from stillroom.plugins.trainers.losses import logit_kd

        if options.method == "labels":
            options = replace(options, alpha=0.0, hidden_weight=0.0)
        match_hidden = _hidden_matcher(student, ctx) if options.hidden_weight else None

        def loss(net, batch):
            if match_hidden is None:
                logits, hidden = net(batch["input_ids"], batch["attention_mask"]), 0.0
            else:
                logits, hidden = match_hidden(net, batch)
            if "labels" not in batch:
                return logit_kd(logits, batch["teacher_logits"], options.temperature) + options.hidden_weight * hidden
            distill = logit_kd(logits, batch["teacher_logits"], options.temperature) if options.alpha else 0.0
            ce = F.cross_entropy(logits.float(), batch["labels"])
            return options.alpha * distill + (1 - options.alpha) * ce + options.hidden_weight * hidden

        return loss

    def score(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> Score | None:
        """Validation accuracy on labels; without them, top-1 agreement with the teacher, except for the
        labels baseline, which never reads the teacher."""
        from stillroom.plugins.trainers.loop import Score

        if len(data.validation) == 0:
            return None
        teacher = teacher_outputs.get("validation", {}).get("logits") if options.method != "labels" else None
        if data.validation.labels is not None:
            metric, reference = "accuracy", np.asarray(data.validation.labels)
        elif teacher is not None:
            metric, reference = "teacher_agreement", np.asarray(teacher).argmax(axis=1)
        else:
            return None
        predicted = student.predict(list(data.validation.texts))["logits"].argmax(axis=1)
        return Score(metric, float((predicted == reference).mean()))


def _hidden_matcher(student: HFStudent, ctx):
    """``(net, batch) -> (logits, hidden loss)``, with a learned projection registered on the student's net."""
    import numpy as np
    import torch

    from stillroom.plugins.trainers.build import require_local
    from stillroom.plugins.trainers.losses import normalised_hidden_mse
    from stillroom.plugins.trainers.preflight import check_vocabularies

    teacher = require_local(ctx.teacher, "student.hidden_weight", "its hidden states computed on every training batch",
                            "set hidden_weight: 0 to distill from the cached logits alone")
    check_vocabularies(ctx.teacher.tokenizer, student.tokenizer)
    depth = teacher.config.num_hidden_layers
    layers = student.teacher_layers or [
        int(round(x)) for x in np.linspace(0, depth - 1, student.net.backbone.config.num_hidden_layers)
    ]
    student.net.hidden_projection = hidden_projection(
        student.net.backbone.config.hidden_size, teacher.config.hidden_size
    ).to(student.device)

    def match(net, batch):
        ids, mask = batch["input_ids"], batch["attention_mask"]
        output = net.backbone(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        with torch.no_grad():
            target = teacher(
                input_ids=ids.to(ctx.teacher.device),
                attention_mask=mask.to(ctx.teacher.device),
                output_hidden_states=True,
            ).hidden_states
        losses = [
            normalised_hidden_mse(net.hidden_projection(mine), target[index + 1].to(mine.device), mask)
            for mine, index in zip(output.hidden_states[1:], layers, strict=True)
        ]
        return output.logits, torch.stack(losses).mean()

    return match


def hidden_projection(student_width: int, teacher_width: int):
    """The linear map from student to teacher hidden states: the identity when the widths match, else learned."""
    import torch
    from torch import nn

    projection = nn.Linear(student_width, teacher_width)
    if student_width == teacher_width:
        with torch.no_grad():
            projection.weight.copy_(torch.eye(teacher_width))
            projection.bias.zero_()
    return projection
