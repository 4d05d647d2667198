"""A causal LM as a classifier teacher: each text labelled by how likely the model finds each label's name.

A team with a capable LLM and unlabelled data names the label set
(``teacher: {path: LLM, task: classification, labels: [...]}``); for each text
the model reads a prompt (``Text: {text}\\nLabel:`` unless ``teacher.prompt``
says otherwise) and every label name is scored as its continuation: the mean
log-probability of the name's tokens (a mean, so a long name is not penalised
for its length). The scores, log-softmaxed over the label set, are the
teacher's logits: the prediction is always one of the labels, and softmax of
the logits is a confidence normalised over the set, which the confidence
filter and slice audit read as they read any classifier's. Label names are
read with ``_`` and ``-`` as spaces ("card_arrival" is scored as "card
arrival"), as a model has seen them in text.

Deterministic: no sampling, the model in eval mode, texts batched in input order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stillroom.errors import ConfigError

if TYPE_CHECKING:
    import torch

DEFAULT_PROMPT = "Text: {text}\nLabel:"


def check_labels(labels: object, prompt: object) -> tuple[list[str], str]:
    """The label set and prompt of a label-scoring teacher, refused with one sentence when unusable."""
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x.strip() for x in labels):
        raise ConfigError("a causal-LM teacher classifies by scoring label names: give teacher.labels, a list of "
                          f"at least two non-empty names, got {labels!r}")
    if len(set(labels)) != len(labels):
        raise ConfigError(f"teacher.labels lists {sorted({x for x in labels if labels.count(x) > 1})[0]!r} twice")
    if not isinstance(prompt, str) or prompt.count("{text}") != 1:
        raise ConfigError(f"teacher.prompt must contain {{text}} exactly once, got {prompt!r}")
    return labels, prompt


def score_label_names(model: torch.nn.Module, tokenizer, texts: list[str], labels: list[str], *, prompt: str,
                      max_length: int, batch_size: int, device: torch.device) -> np.ndarray:
    """(len(texts), len(labels)) log-probabilities over the label set, one row per text."""
    import torch

    names = [tokenizer(" " + label.replace("_", " ").replace("-", " "), add_special_tokens=False)["input_ids"]
             for label in labels]
    longest = max(len(n) for n in names)
    if max_length <= longest:
        raise ConfigError(f"teacher.max_length {max_length} leaves no room for a prompt before the longest label "
                          f"name ({longest} tokens)")
    start = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    per_batch = max(1, batch_size // len(labels))
    rows = []
    for first in range(0, len(texts), per_batch):
        sequences, spans = [], []
        for text in texts[first : first + per_batch]:
            context = (start + tokenizer(prompt.format(text=text), add_special_tokens=False)["input_ids"])
            context = context[-(max_length - longest):]  # a long text loses its start, never the prompt's end
            for name in names:
                sequences.append(context + name)
                spans.append((len(context), len(context) + len(name)))
        width = max(len(s) for s in sequences)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=device)
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=device)
        with torch.no_grad():
            logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
        scores = [logprobs[i, a - 1 : b - 1].gather(1, ids[i, a:b, None]).mean() for i, (a, b) in enumerate(spans)]
        rows.append(torch.stack(scores).view(-1, len(labels)))
    return torch.log_softmax(torch.cat(rows), dim=1).cpu().numpy()
