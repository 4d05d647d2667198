"""Text augmentation for classifier teachers (TinyBERT-style): word replacement and span operations.

``augmenter(...)`` returns a ``generate`` callable for ``stillroom.curate.curate``:
given seed records and a count, it makes that many variants of each, keeping
the label and slices. Replacement words come from the training vocabulary of
the same label, so a variant stays on topic; placeholders such as
``<PERSON>`` are never touched. The same seed gives the same variants.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from stillroom.components import Record

TOKEN = re.compile(r"<[A-Z_]+(?:_[a-z]+)?>|\w+|[^\w\s]")
PROTECTED = re.compile(r"<[A-Z_]+(?:_[a-z]+)?>|[^\w\s]")
METHODS = ("replace", "delete", "swap")


def augmenter(
    records: Sequence[Record], *, text_field: str, label_field: str | None, methods: Sequence[str] = METHODS, seed: int = 0
) -> Callable[[list[Record], int], list[Record]]:
    vocab: dict[object, list[str]] = {}
    for record in records:
        words = [w for w in TOKEN.findall(str(record[text_field])) if not PROTECTED.fullmatch(w) and len(w) > 2]
        vocab.setdefault(record.get(label_field) if label_field else None, []).extend(w.lower() for w in words)

    def generate(seeds: list[Record], per_record: int) -> list[Record]:
        out = []
        for seed_record in seeds:
            rng = random.Random(f"{seed}:{seed_record[text_field]}")
            pool = vocab.get(seed_record.get(label_field) if label_field else None) or [w for ws in vocab.values() for w in ws]
            for _ in range(per_record):
                tokens = TOKEN.findall(str(seed_record[text_field]))
                tokens = _apply(rng.choice(list(methods)), tokens, pool, rng)
                out.append({**seed_record, text_field: _join(tokens)})
        return out

    return generate


def _apply(method: str, tokens: list[str], pool: list[str], rng: random.Random) -> list[str]:
    editable = [i for i, t in enumerate(tokens) if not PROTECTED.fullmatch(t)]
    if len(editable) < 2:
        return tokens
    if method == "replace" and pool:
        for i in rng.sample(editable, max(1, len(editable) // 5)):
            tokens[i] = rng.choice(pool)
    elif method == "delete":
        start = rng.randrange(len(editable) - 1)
        gone = set(editable[start : start + rng.randint(1, 2)])
        tokens = [t for i, t in enumerate(tokens) if i not in gone]
    elif method == "swap":
        a, b = rng.sample(editable, 2)
        tokens[a], tokens[b] = tokens[b], tokens[a]
    return tokens


def _join(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        text += token if not text or re.fullmatch(r"[^\w\s<]", token) else " " + token
    return text
