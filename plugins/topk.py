"""Top-k next-token log-probs: the compact form in which causal-LM outputs are cached and compared.

A full distribution is vocabulary-sized at every position; the top k (20 by
default) carry nearly all of its mass, at a few hundred bytes per token.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

LogitsFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def topk_outputs(
    logits_fn: LogitsFn,
    tokenizer,
    texts: list[str],
    *,
    max_length: int,
    top_k: int,
    batch_size: int,
    device: torch.device,
) -> dict[str, np.ndarray]:
    """``input_ids``, ``attention_mask`` (n, width) and ``topk_ids``, ``topk_logprobs`` (n, width, k), right-padded."""
    # tokenizers refuse an empty list; an empty split (data.split.validation: 0) gives empty arrays
    lengths = [len(ids) for ids in tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]] \
        if texts else []
    n, width = len(texts), max(lengths, default=0)
    out: dict[str, np.ndarray] = {
        "input_ids": np.full((n, width), tokenizer.pad_token_id, dtype=np.int64),
        "attention_mask": np.zeros((n, width), dtype=np.int8),
        "topk_ids": np.zeros((n, width, top_k), dtype=np.int64),
        "topk_logprobs": np.full((n, width, top_k), -np.inf, dtype=np.float32),
    }
    order = sorted(range(n), key=lambda i: lengths[i])
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer(
            [texts[i] for i in batch], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        ids, mask = encoded["input_ids"].to(device), encoded["attention_mask"].to(device)
        with torch.no_grad():
            top = torch.log_softmax(logits_fn(ids, mask).float(), dim=-1).topk(top_k, dim=-1)
        span = ids.shape[1]
        out["input_ids"][batch, :span] = ids.cpu().numpy()
        out["attention_mask"][batch, :span] = mask.cpu().numpy()
        out["topk_ids"][batch, :span] = top.indices.cpu().numpy()
        out["topk_logprobs"][batch, :span] = top.values.cpu().numpy()
    return out


def mean_log_likelihood(
    logits_fn: LogitsFn, tokenizer, texts: list[str], *, max_length: int, batch_size: int, device: torch.device,
    starts: list[int] | None = None,
) -> float | None:
    """Mean log-probability of each real token of ``texts`` given the tokens before it (minus the log of
    perplexity), or with ``starts`` of each text's tokens from its ``starts`` entry on (an answer after its
    prompt); None when there is no such token to predict."""
    from stillroom.plugins.trainers.losses import next_token_cross_entropy

    total, count = 0.0, 0
    for start in range(0, len(texts), batch_size):
        encoded = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
        ids, mask = encoded["input_ids"].to(device), encoded["attention_mask"].to(device)
        counted = mask[:, 1:]
        if starts is not None:  # token t counts from the row's first real token (either padding side) + its start
            first = mask.argmax(dim=1) + torch.as_tensor(starts[start : start + batch_size], device=device)
            counted = counted * (torch.arange(1, ids.shape[1], device=device)[None, :] >= first[:, None])
        with torch.no_grad():
            per_token = next_token_cross_entropy(logits_fn(ids, mask), ids, mask, "none").view(counted.shape)
        total += float((per_token * counted).sum())
        count += int(counted.sum())
    return -total / count if count else None
