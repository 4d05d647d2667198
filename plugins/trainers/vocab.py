"""Vocabulary pruning: keep only the tokens the domain's texts use, for on-device targets.

Most of a small BERT is its embedding table (30,522 × 384 for MiniLM); a
bank's intent queries use a few thousand of those rows. The pruned student
keeps those rows in their original order and a WordPiece tokenizer over the
same tokens, so every text it was pruned on tokenizes to the same tokens as
before. A word made only of pruned pieces becomes [UNK]: prune on all the
text the student will see, validation included.
"""

from __future__ import annotations

from collections.abc import Iterable

from stillroom.errors import ConfigError
from stillroom.plugins.trainers.student import HFStudent


def prune_vocabulary(student: HFStudent, texts: Iterable[str]) -> int:
    """Shrink the student's embedding table and tokenizer to the tokens ``texts`` use; return the new size."""
    import torch
    from torch import nn
    from transformers import BertTokenizer

    tokenizer = student.tokenizer
    if type(tokenizer).__name__ not in ("BertTokenizer", "BertTokenizerFast") or student.task == "causal-lm":
        raise ConfigError("student.prune_vocab supports WordPiece (BERT-family) encoders only")
    vocab = tokenizer.get_vocab()
    used = {
        i for ids in tokenizer(list(texts), truncation=True, max_length=student.max_length)["input_ids"] for i in ids
    }
    keep = sorted(used | set(tokenizer.all_special_ids))
    by_id = {i: token for token, i in vocab.items()}
    pruned = BertTokenizer(
        vocab={by_id[old]: new for new, old in enumerate(keep)},
        do_lower_case=getattr(tokenizer, "do_lower_case", True),
        model_max_length=tokenizer.model_max_length,
    )
    backbone = student.net.backbone
    old: nn.Embedding = backbone.get_input_embeddings()  # type: ignore[assignment]  # transformers says nn.Module
    table = nn.Embedding(len(keep), old.embedding_dim, padding_idx=pruned.pad_token_id)
    with torch.no_grad():
        table.weight.copy_(old.weight[torch.tensor(keep, device=old.weight.device)])
    backbone.set_input_embeddings(table.to(old.weight.device))
    backbone.config.vocab_size = len(keep)
    backbone.config.pad_token_id = pruned.pad_token_id
    student.tokenizer = pruned
    return len(keep)
