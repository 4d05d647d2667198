"""Distillation for causal LMs: token-level on the teacher's top-k log-probs, or sequence-level.

``method: kd`` (token level): ``divergence`` ``forward`` KL, ``reverse`` KL or
``jsd`` (generalised, with ``beta``), on the cached top-k log-probs, or with
``live: true`` on the teacher run over each batch. The student reads exactly
the token ids the teacher read, so positions line up; preflight refuses a
student whose vocabulary differs from the teacher's, because then the same id
means different tokens and the loss is silently meaningless.
``method: sequence`` (Kim & Rush 2016): the student learns, by cross-entropy,
the teacher's greedy continuations of the training texts, generated once and
cached. ``method: labels``: the same cross-entropy on the texts alone, the
no-teacher baseline.
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
    option_keys = {"divergence", "beta", "method", "live", "max_new_tokens"}
    supports_baseline = True

    def check_inputs(self, data: Dataset, teacher_outputs, options: TrainOptions) -> None:
        super().check_inputs(data, teacher_outputs, options)
        if options.method == "sequence" and self.ctx.teacher is None:
            raise ConfigError("method: sequence needs a teacher that generates text")
        if options.live and getattr(self.ctx.teacher, "model", None) is None:
            raise ConfigError("student.live needs a local teacher: it runs on every batch")
        if options.method != "kd" or options.live:
            return
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
        if options.method != "kd" or options.live:
            texts = list(data.train.texts)
            if options.method == "sequence":
                generated = generations(self.ctx.teacher, texts, options.max_new_tokens, self.ctx.artifacts)
                texts = [f"{text} {continuation}".strip() for text, continuation in zip(texts, generated, strict=True)]
            return student.tokenizer(texts, truncation=True, max_length=options.max_length)["input_ids"]
        cached = teacher_outputs["train"]
        return [
            ids[mask.astype(bool)].tolist()
            for ids, mask in zip(cached["input_ids"], cached["attention_mask"], strict=True)
        ]

    def targets(self, data, teacher_outputs, options: TrainOptions):
        import torch

        if options.method != "kd" or options.live:
            return {}
        cached = teacher_outputs["train"]
        return {
            "topk_ids": torch.as_tensor(cached["topk_ids"]),
            "topk_logprobs": torch.as_tensor(np.nan_to_num(cached["topk_logprobs"], neginf=-1e4)),
        }

    def loss_fn(self, options: TrainOptions, student: HFStudent, ctx):
        import torch
        from torch.nn import functional as F

        from stillroom.plugins.trainers.losses import token_kd

        if options.method != "kd":

            def next_token(net, batch):
                logits = net(batch["input_ids"], batch["attention_mask"])[:, :-1]
                targets = batch["input_ids"][:, 1:].masked_fill(batch["attention_mask"][:, 1:] == 0, -100)
                return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))

            return next_token
        if options.live:
            teacher = ctx.teacher

            def live(net, batch):
                ids, mask = batch["input_ids"], batch["attention_mask"]
                with torch.no_grad():
                    target = teacher.model(input_ids=ids.to(teacher.device), attention_mask=mask.to(teacher.device))
                    top = torch.log_softmax(target.logits.float(), dim=-1).topk(teacher.top_k, dim=-1)
                logits = net(ids, mask)
                return token_kd(
                    logits,
                    top.indices.to(logits.device),
                    top.values.to(logits.device),
                    mask,
                    options.divergence,
                    options.beta,
                )

            return live

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


def generations(teacher, texts: list[str], max_new_tokens: int, artifacts) -> list[str]:
    """The teacher's continuation of each text, generated once per (teacher, texts, length) and cached."""
    from stillroom.labels import inputs_digest

    key = f"generations/{teacher.fingerprint()}/{inputs_digest(texts)}/{max_new_tokens}"
    digest = artifacts.recall(key)
    if digest is not None:
        return artifacts.read_json(digest)
    generated = teacher.generate(texts, max_new_tokens=max_new_tokens)
    artifacts.remember(key, artifacts.put_json(generated))
    return generated
