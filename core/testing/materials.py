"""What the contracts run on: real records, a workspace context and a tiny real teacher.

The records are the Banking77 sample shipped with Stillroom (real customer
queries with synthetic PII planted in them, ``examples/data/README.md``): the
kit never writes the data a component is judged on. The teacher is a
randomly initialised BERT classifier built from a config over those records'
words, small enough to load in a second and real in every other respect.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from stillroom.components import Context, Dataset, Record, Split

SAMPLE = "banking77_pii_sample.jsonl"
# The most frequent intents of the sample: enough classes to be a task, few enough for a tiny head.
CLASSES = 4
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@cache
def _sample() -> tuple[Record, ...]:
    text = (resources.files("stillroom.examples") / "data" / SAMPLE).read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def sample_records(n: int | None = None) -> list[Record]:
    """The first ``n`` records of the Banking77 sample (``{"text", "label"}``), fresh copies each call."""
    return [dict(r) for r in _sample()[:n]]


@dataclass
class Materials:
    """What a ``pytest_stillroom_options`` hook builds a component's options from.

    ``records`` are the records a source must serve (write them in its format
    under ``directory``); the contracts call the hook again with changed
    records to see the fingerprint change. ``ctx`` is the component's context.
    """

    directory: Path
    records: list[Record]
    ctx: Context
    extra: dict[str, Any] = field(default_factory=dict)

    def jsonl(self, name: str = "records.jsonl") -> Path:
        """The records as JSON lines in ``directory``: a helper for sources that read files."""
        path = self.directory / name
        path.write_text("".join(json.dumps(r) + "\n" for r in self.records), encoding="utf-8")
        return path


def task_records() -> list[Record]:
    """The sample's records of its most frequent intents, in file order."""
    top = {label for label, _ in Counter(r["label"] for r in _sample()).most_common(CLASSES)}
    return [dict(r) for r in _sample() if r["label"] in top]


def task_dataset() -> Dataset:
    """Train, validation and test splits of ``task_records`` (every fourth record tests, every fifth validates)."""
    records = task_records()
    names = sorted({r["label"] for r in records})
    parts: dict[str, list[Record]] = {"train": [], "validation": [], "test": []}
    for i, record in enumerate(records):
        parts["test" if i % 4 == 0 else "validation" if i % 5 == 0 else "train"].append(record)

    def split(rows: list[Record]) -> Split:
        return Split([r["text"] for r in rows], [names.index(r["label"]) for r in rows])

    return Dataset(split(parts["train"]), split(parts["validation"]), split(parts["test"]), names)


def tiny_classifier(directory: Path, seed: int = 0) -> Path:
    """A randomly initialised two-layer BERT classifier over the task's intents, saved as a Hugging Face directory."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    names = task_dataset().label_names or []
    words = sorted({w for r in _sample() for w in re.findall(r"\w+|[^\w\s]", r["text"].lower())})
    vocab = {w: i for i, w in enumerate(SPECIAL + words)}
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,  # type: ignore[call-arg]  # num_labels, id2label and label2id go to PretrainedConfig through **kwargs
                        intermediate_size=64, max_position_embeddings=128, num_labels=len(names),
                        id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)},
                        architectures=["BertForSequenceClassification"])
    BertForSequenceClassification(config).save_pretrained(directory)
    BertTokenizer(vocab=vocab).save_pretrained(directory)
    return Path(directory)
