"""Embedding distillation: the student's pooled sentence embedding learns the teacher's.

MSE (the sentence-transformers distillation recipe) or 1 − cosine; a learned
projection bridges a student narrower or wider than the teacher.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from stillroom import hookimpl
from stillroom.components import Dataset
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.base import StudentTrainer
from stillroom.plugins.trainers.options import TrainOptions
from stillroom.plugins.trainers.preflight import check_teacher_outputs

if TYPE_CHECKING:
    from stillroom.plugins.trainers.student import HFStudent


@hookimpl
def register_trainers(register):
    register(EmbeddingKDTrainer)


class EmbeddingKDTrainer(StudentTrainer):
    name = "embedding-kd"
    description = "Sentence-embedding distillation: MSE or cosine to the teacher's pooled embeddings."
    tasks = ("embedding",)
    task = "embedding"
    option_keys = {"loss"}

    def check_inputs(
        self, data: Dataset, teacher_outputs: Mapping[str, Mapping[str, np.ndarray]], options: TrainOptions
    ) -> None:
        super().check_inputs(data, teacher_outputs, options)
        embeddings = teacher_outputs.get("train", {}).get("embeddings")
        if embeddings is None or len(embeddings) != len(data.train):
            raise ConfigError(
                "embedding-kd needs the teacher's embeddings for every training text "
                "(teacher_outputs['train']['embeddings'])"
            )
        check_teacher_outputs(embeddings, "embeddings")

    def embedding_dim(self, teacher_outputs) -> int | None:
        return int(teacher_outputs["train"]["embeddings"].shape[1])

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        return {
            "teacher_embeddings": torch.as_tensor(np.asarray(teacher_outputs["train"]["embeddings"], dtype=np.float32))
        }

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        from stillroom.plugins.trainers.losses import embedding_kd

        def loss(net, batch):
            return embedding_kd(
                net(batch["input_ids"], batch["attention_mask"]), batch["teacher_embeddings"], options.loss
            )

        return loss

    def score(self, student: HFStudent, data: Dataset, teacher_outputs) -> float | None:
        """Mean cosine to the teacher's validation embeddings."""
        teacher = teacher_outputs.get("validation", {}).get("embeddings")
        if teacher is None or len(data.validation) == 0:
            return None
        mine = student.predict(list(data.validation.texts))["embeddings"]
        return float(np.mean(_cosine(mine, np.asarray(teacher))))


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    b = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return (a * b).sum(axis=1)
