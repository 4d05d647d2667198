"""Token-level distillation for causal LMs, on the teacher's cached top-k log-probs.

``divergence``: ``forward`` KL, ``reverse`` KL or ``jsd`` (generalised, with
``beta``). The student reads exactly the token ids the teacher read (the
cached ``input_ids``), so positions line up; preflight refuses a student whose
vocabulary differs from the teacher's, because then the same id means
different tokens and the loss is silently meaningless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stillroom import hookimpl
from stillroom.components import Dataset
from stillroom.errors import ConfigError
from stillroom.plugins.trainers.base import StudentTrainer
from stillroom.plugins.trainers.options import TrainOptions
from stillroom.plugins.trainers.preflight import check_teacher_outputs, check_vocabularies

if TYPE_CHECKING:
    from stillroom.plugins.trainers.student import HFStudent

CACHED = ("input_ids", "attention_mask", "topk_ids", "topk_logprobs")


@hookimpl
def register_trainers(register):
    register(TokenKDTrainer)


class TokenKDTrainer(StudentTrainer):
    name = "token-kd"
    description = "Causal-LM distillation on cached top-k log-probs: forward KL, reverse KL or generalised JSD."
    tasks = ("causal-lm",)
    task = "causal-lm"
    option_keys = {"divergence", "beta"}

    def check_inputs(self, data: Dataset, teacher_outputs, options: TrainOptions) -> None:
        super().check_inputs(data, teacher_outputs, options)
        cached = teacher_outputs.get("train", {})
        missing = [k for k in CACHED if k not in cached]
        if missing:
            raise ConfigError(
                f"token-kd needs the teacher's top-k log-probs; teacher_outputs['train'] lacks {', '.join(missing)}"
            )
        real = cached["attention_mask"].astype(bool)
        check_teacher_outputs(cached["topk_logprobs"][real], "top-k log-probs")

    def input_ids(self, student: HFStudent, data: Dataset, teacher_outputs, options: TrainOptions) -> list[list[int]]:
        teacher = getattr(self.ctx.teacher, "tokenizer", None) if self.ctx.teacher is not None else None
        if teacher is not None:
            check_vocabularies(teacher, student.tokenizer)
        cached = teacher_outputs["train"]
        return [
            ids[mask.astype(bool)].tolist()
            for ids, mask in zip(cached["input_ids"], cached["attention_mask"], strict=True)
        ]

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        cached = teacher_outputs["train"]
        return {
            "topk_ids": torch.as_tensor(cached["topk_ids"]),
            "topk_logprobs": torch.as_tensor(np.nan_to_num(cached["topk_logprobs"], neginf=-1e4)),
        }

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        from stillroom.plugins.trainers.losses import token_kd

        def loss(net, batch):
            width = batch["input_ids"].shape[1]
            logits = net(batch["input_ids"], batch["attention_mask"])
            return token_kd(
                logits,
                batch["topk_ids"][:, :width],
                batch["topk_logprobs"][:, :width],
                batch["attention_mask"],
                options.divergence,
                options.beta,
            )

        return loss

    def score(self, student: HFStudent, data: Dataset, teacher_outputs) -> float | None:
        """Top-1 next-token agreement with the teacher on the validation texts."""
        import torch

        cached = teacher_outputs.get("validation")
        if not cached or len(data.validation) == 0:
            return None
        ids, mask = torch.as_tensor(cached["input_ids"]), torch.as_tensor(cached["attention_mask"]).long()
        with torch.no_grad():
            logits = student.net(ids.to(student.device), mask.to(student.device)).argmax(-1).cpu().numpy()
        real = cached["attention_mask"].astype(bool)
        return float((logits[real] == cached["topk_ids"][..., 0][real]).mean())
