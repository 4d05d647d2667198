"""Checks that catch distillation's commonest silent failures before the first optimizer step.

Each one turns a run that would train for hours and learn nothing into a
refusal with a sentence saying what is wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stillroom.errors import RunRefused

if TYPE_CHECKING:
    import torch
    from torch import nn


class PreflightFailed(RunRefused):
    """A teacher/student pairing that would train without learning anything useful."""


def check_vocabularies(teacher_tokenizer, student_tokenizer, advice: str = "") -> None:
    """Token-level KD compares distributions over token ids: both sides must mean the same tokens by them."""
    teacher_vocab, student_vocab = teacher_tokenizer.get_vocab(), student_tokenizer.get_vocab()
    if teacher_vocab != student_vocab:
        differing = len(set(teacher_vocab.items()) ^ set(student_vocab.items()))
        raise PreflightFailed(
            f"teacher and student vocabularies differ ({len(teacher_vocab)} vs {len(student_vocab)} tokens, "
            f"{differing} mismatched entries): logit distillation needs the same tokenizer on both sides{advice}"
        )


def check_token_ids(teacher_rows: list[list[int]], student_rows: list[list[int]], advice: str = "") -> None:
    """Where the teacher's vocabulary is out of reach (an endpoint), its token ids of the same texts must be the
    student's: the same test as ``check_vocabularies``, on what the teacher actually did."""
    differing = sum(theirs != ours for theirs, ours in zip(teacher_rows, student_rows, strict=True))
    if differing:
        raise PreflightFailed(
            f"the teacher and the student split {differing} of {len(student_rows)} training texts into different "
            f"token ids: logit distillation needs the same tokenizer on both sides{advice}"
        )


def check_teacher_outputs(values: np.ndarray, name: str, sample: int = 256) -> None:
    """The teacher's outputs on a sample must be finite and differ between inputs."""
    head = np.asarray(values[:sample], dtype=np.float64)
    if head.size == 0:
        raise PreflightFailed(f"the teacher returned no {name} to distill from")
    if not np.isfinite(head).all():
        raise PreflightFailed(f"the teacher's {name} contain NaN or infinite values")
    if len(head) > 1 and float(head.std(axis=0).max()) < 1e-6:
        raise PreflightFailed(
            f"the teacher's {name} are the same for every input in a sample of {len(head)}: it has not learned the task"
        )


def check_first_step(net: nn.Module, loss: torch.Tensor) -> None:
    """The loss is finite and off zero, and its gradient reaches the student's input layer."""
    import torch

    value = float(loss.detach())
    if not np.isfinite(value):
        raise PreflightFailed(f"the distillation loss is {value} on the first batch")
    if value <= 1e-6:
        raise PreflightFailed(
            f"the distillation loss is zero ({value:.1e}) on the first batch: the student has nothing to learn"
        )
    net.zero_grad(set_to_none=True)
    loss.backward()
    trainable = [(name, p) for name, p in net.named_parameters() if p.requires_grad]
    if not trainable:
        raise PreflightFailed("the student has no trainable parameters")
    # the first parameter is the input embedding: a gradient there has flowed through every layer
    name, first = trainable[0]
    if first.grad is None or not torch.isfinite(first.grad).all() or float(first.grad.abs().sum()) == 0.0:
        raise PreflightFailed(f"no gradient reaches the student's {name}: the loss is detached from its weights")
    net.zero_grad(set_to_none=True)
