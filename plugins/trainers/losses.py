"""Distillation losses, as pure functions of tensors."""

from __future__ import annotations

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


def token_kd(
    student_logits: torch.Tensor,
    topk_ids: torch.Tensor,
    topk_logprobs: torch.Tensor,
    mask: torch.Tensor,
    divergence: str,
    beta: float = 0.5,
) -> torch.Tensor:
    """Per-token divergence between teacher and student over the teacher's top-k tokens, averaged over real tokens.

    Both distributions are renormalised over the same k tokens, so the cached
    top-k stands in for the full vocabulary. ``forward`` is KL(teacher ‖ student)
    (mass-covering), ``reverse`` KL(student ‖ teacher) (mode-seeking), ``jsd``
    the generalised Jensen-Shannon divergence with mixture weight ``beta``
    (Agarwal et al. 2024, GKD): β·KL(p ‖ m) + (1 − β)·KL(q ‖ m), m = β·p + (1 − β)·q.
    """
    log_q = torch.log_softmax(student_logits.float().gather(-1, topk_ids), dim=-1)
    log_p = torch.log_softmax(topk_logprobs.float(), dim=-1)
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
