"""Sentence embeddings from token states, the way sentence-transformers pools them."""

from __future__ import annotations

import torch

POOLINGS = ("mean", "cls")


def pool(
    hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str = "mean", normalize: bool = True
) -> torch.Tensor:
    """One vector per sequence from ``(batch, tokens, dim)`` states; padding never counts."""
    if mode == "cls":
        pooled = hidden[:, 0]
    else:
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        # clamp: an all-padding row would divide by zero and poison the batch with NaN
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    if normalize:
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=-1)
    return pooled
