"""Distillation losses, as pure functions of tensors."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.nn import functional as F


def logit_kd(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on temperature-softened distributions.

    Scaled by T² so the gradient's size does not shrink as T grows (Hinton et al. 2015, §2).
    """
    log_p_student = F.log_softmax(student / temperature, dim=-1)
    log_p_teacher = F.log_softmax(teacher.float() / temperature, dim=-1)
    return F.kl_div(log_p_student, log_p_teacher, log_target=True, reduction="batchmean") * temperature**2


def embedding_kd(student: torch.Tensor, teacher: torch.Tensor, kind: str) -> torch.Tensor:
    """MSE, or 1 − cosine, between student and teacher sentence embeddings."""
    teacher = teacher.float()
    if kind == "cosine":
        return (1 - F.cosine_similarity(student, teacher, dim=-1)).mean()
    return F.mse_loss(student, teacher)


def normalised_hidden_mse(projected: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Squared error of ``projected`` against ``target`` over real tokens, relative to the target's own spread.

    ``sum ‖projected − target‖² / sum ‖target − mean(target)‖²`` over the tokens
    ``mask`` keeps (1 − R²): 0 for a perfect match, 1 for predicting the layer's
    mean state, and the same for any rescaling of both sides, so a deep layer
    with large activations does not outweigh a shallow one when layers are averaged.
    """
    target = target.float()
    weights = mask.unsqueeze(-1).float()
    count = weights.sum().clamp_min(1.0)
    mean = (target * weights).sum(dim=(0, 1), keepdim=True) / count
    spread = (((target - mean) ** 2) * weights).sum().detach().clamp_min(1e-6)
    return (((projected.float() - target) ** 2) * weights).sum() / spread


def self_relations(states: torch.Tensor, heads: int, mask: torch.Tensor) -> torch.Tensor:
    """Per relation head, each token's log-softmax over the scaled dot products of its states with every real token's.

    ``states`` (batch, tokens, width) are one projection of a block (its queries, keys or values), split
    into ``heads`` relation heads of ``width / heads`` (MiniLMv2, Wang et al. 2021, §3.1); padding is
    never a column. Returns (batch, heads, tokens, tokens).
    """
    batch, tokens, width = states.shape
    # in float32 even under a bf16 autocast: bf16 scores put errors of a few percent into a loss that is small
    # exactly when the student is close
    with torch.autocast(states.device.type, enabled=False):
        split = states.float().view(batch, tokens, heads, width // heads).transpose(1, 2)
        scores = split @ split.transpose(-1, -2) / math.sqrt(width // heads)
        # the float minimum, not -inf: a padded column's probability is exactly 0 either way, and no inf - inf
        # reaches the gradient
        scores = scores.masked_fill(mask[:, None, None, :] == 0, torch.finfo(scores.dtype).min)
        return F.log_softmax(scores, dim=-1)


def relation_kd(
    student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor], heads: int, mask: torch.Tensor
) -> torch.Tensor:
    """MiniLMv2's self-attention relation distillation: KL(teacher ‖ student) between the self-relations of
    each pair of projections (queries with queries, keys with keys, values with values), averaged over
    the pairs (the paper sums them: weight 3 here is its loss), the relation heads and the real tokens'
    rows of the whole batch.

    Relations are tokens × tokens whatever the width, so a student narrower than its teacher needs no
    projection, only a number of heads that divides both widths.
    """
    keys = mask[:, None, None, :] == 0
    rows = mask.float()[:, None, :]
    losses = []
    for mine, theirs in zip(student, teacher, strict=True):
        log_student = self_relations(mine, heads, mask)
        log_teacher = self_relations(theirs.to(mine.device), heads, mask)
        kl = (log_teacher.exp() * (log_teacher - log_student).masked_fill(keys, 0.0)).sum(dim=-1)
        losses.append((kl * rows).sum() / (rows.sum().clamp_min(1.0) * heads))
    return torch.stack(losses).mean()


def normalized_softmax(
    embeddings: torch.Tensor, directions: torch.Tensor, labels: torch.Tensor, scale: float
) -> torch.Tensor:
    """Cross-entropy over ``scale`` × the cosine of each embedding to one learned direction per class.

    Normalised softmax (NormFace, Wang et al. 2017): normalising both sides makes
    the classifier a cosine one, so the geometry it trains is the one cosine
    nearest-neighbour search uses; the fixed scale stands in for the temperature
    that cosines in [-1, 1] alone could never make sharp.
    """
    cosines = F.normalize(embeddings.float(), dim=-1) @ F.normalize(directions.float(), dim=-1).T
    return F.cross_entropy(scale * cosines, labels)


def next_token_cross_entropy(
    logits: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Cross-entropy of each real token given the tokens before it; padding is neither input nor target."""
    targets = input_ids[:, 1:].masked_fill(attention_mask[:, 1:] == 0, -100)
    predicted = logits[:, :-1].float()
    return F.cross_entropy(predicted.reshape(-1, predicted.shape[-1]), targets.reshape(-1), reduction=reduction)


def masked_next_token_cross_entropy(
    logits: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of each next real token at the positions ``weights`` marks (a divergence's mask: position
    t predicts token t + 1), averaged over them; a marked position with no real token after it counts nothing."""
    targets = input_ids[:, 1:]
    keep = (weights[:, :-1] * attention_mask[:, 1:]).float()
    predicted = logits[:, :-1].float()
    per_token = F.cross_entropy(predicted.reshape(-1, predicted.shape[-1]), targets.reshape(-1),
                                reduction="none").view_as(keep)
    return (per_token * keep).sum() / keep.sum().clamp_min(1.0)


def _with_tail(log_top: torch.Tensor) -> torch.Tensor:
    """Append the log of the mass outside the top-k to top-k log-probs normalised over the full vocabulary."""
    tail = torch.log1p(-log_top.exp().sum(-1, keepdim=True).clamp(max=1 - 1e-12))
    return torch.cat([log_top, tail.clamp_min(_LOG_FLOOR)], dim=-1)


_LOG_FLOOR = -27.6  # log(1e-12): a tail that is numerically empty still has a finite log


def sparse_log_probs(
    student_logits: torch.Tensor, topk_ids: torch.Tensor, topk_logprobs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher and student log-probs over the teacher's k tokens plus one bin for everything else.

    The teacher's top-k log-probs are normalised over its full vocabulary (a
    local teacher's log-softmax, or an endpoint's ``top_logprobs``), so the
    mass they leave is the teacher's tail. The student is normalised over its
    full vocabulary too, and its tail bin is the log-sum-exp of its logits at
    every id outside the teacher's top-k, so mass the student puts there costs
    loss and receives gradient.
    """
    logits = student_logits.float()
    log_norm = torch.logsumexp(logits, dim=-1, keepdim=True)
    student_top = logits.gather(-1, topk_ids) - log_norm
    outside = logits.scatter(-1, topk_ids, float("-inf"))
    student_tail = (torch.logsumexp(outside, dim=-1, keepdim=True) - log_norm).clamp_min(_LOG_FLOOR)
    log_q = torch.cat([student_top, student_tail], dim=-1)
    log_p = _with_tail(topk_logprobs.float().clamp(max=0.0))
    return log_p, log_q


def token_kd(
    student_logits: torch.Tensor,
    topk_ids: torch.Tensor,
    topk_logprobs: torch.Tensor,
    mask: torch.Tensor,
    divergence: str,
    beta: float = 0.5,
) -> torch.Tensor:
    """Per-token divergence between teacher and student, sparse over the teacher's top-k, averaged over real tokens.

    Each distribution is the teacher's k tokens plus one tail bin holding the
    rest of the vocabulary (:func:`sparse_log_probs`), both normalised over the
    full vocabulary: a student that puts its mass outside the teacher's top-k is
    penalised for it, which renormalising over the k tokens alone would hide.
    ``forward`` is KL(teacher ‖ student) (mass-covering), ``reverse``
    KL(student ‖ teacher) (mode-seeking), ``jsd`` the generalised Jensen-Shannon
    divergence with mixture weight ``beta`` (Agarwal et al. 2024, GKD):
    β·KL(p ‖ m) + (1 − β)·KL(q ‖ m), m = β·p + (1 − β)·q.
    """
    log_p, log_q = sparse_log_probs(student_logits, topk_ids, topk_logprobs)
    return _mean_divergence(log_p, log_q, mask, divergence, beta)


def full_token_kd(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    mask: torch.Tensor,
    divergence: str,
    beta: float = 0.5,
) -> torch.Tensor:
    """``token_kd`` over the full vocabulary, for a teacher whose logits are at hand (run in this process): exact
    where the top-k and one tail bin approximate the teacher's distribution.

    Should one model's table be longer (padded for speed), the ids past the shorter one are no token of the
    tokenizer both share, and both distributions are taken over the ids they have in common.
    """
    width = min(student_logits.shape[-1], teacher_logits.shape[-1])
    log_p = torch.log_softmax(teacher_logits[..., :width].float(), dim=-1)
    log_q = torch.log_softmax(student_logits[..., :width].float(), dim=-1)
    return _mean_divergence(log_p, log_q, mask, divergence, beta)


def _mean_divergence(log_p: torch.Tensor, log_q: torch.Tensor, mask: torch.Tensor, divergence: str,
                     beta: float) -> torch.Tensor:
    """``divergence`` between teacher ``log_p`` and student ``log_q`` at each position, averaged over ``mask``."""
    if divergence == "forward":
        per_token = (log_p.exp() * (log_p - log_q)).sum(-1)
    elif divergence == "reverse":
        per_token = (log_q.exp() * (log_q - log_p)).sum(-1)
    else:
        p, q = log_p.exp(), log_q.exp()
        log_m = torch.log((beta * p + (1 - beta) * q).clamp_min(1e-12))
        per_token = beta * (p * (log_p - log_m)).sum(-1) + (1 - beta) * (q * (log_q - log_m)).sum(-1)
    weights = mask.float()
    return (per_token * weights).sum() / weights.sum().clamp_min(1.0)
