"""The task data as the trainer and evaluators see it: split, indexed, and stored as one artifact."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stillroom.artifacts import ArtifactStore, sha256_bytes
from stillroom.components import Dataset, Split

SPLITS = ("train", "validation", "test")


def split_records(records: list[dict], text_field: str, validation: float, test: float, *, seed: int
                  ) -> tuple[list[dict], list[dict], list[dict]]:
    """Deterministic split by a seeded hash of the text, so the same text always lands in the same split
    and identical texts can never straddle train and evaluation."""
    train: list[dict] = []
    val: list[dict] = []
    tst: list[dict] = []
    for record in records:
        u = int(sha256_bytes(f"{seed}:{record[text_field]}".encode())[:15], 16) / 16**15
        (tst if u < test else val if u < test + validation else train).append(record)
    return train, val, tst


def build_dataset(train: list[dict], validation: list[dict], test: list[dict], data,
                  answers: list[str] | None = None, validation_answers: list[str] | None = None) -> Dataset:
    """The splits' texts, labels and slices; ``answers``, the teacher's curated answer to each training text, and
    ``validation_answers`` its answer to each validation text."""
    label_names = None
    if data.label_field:
        label_names = sorted({str(r[data.label_field]) for r in train + validation + test})
    index = {name: i for i, name in enumerate(label_names or [])}

    def split(records: list[dict]) -> Split:
        return Split(
            texts=[str(r[data.text_field]) for r in records],
            labels=[index[str(r[data.label_field])] for r in records] if data.label_field else None,
            slices={f: [str(r.get(f, "")) for r in records] for f in data.slice_fields},
        )

    train_split = split(train)
    validation_split = split(validation)
    train_split.answers, validation_split.answers = answers, validation_answers
    return Dataset(train_split, validation_split, split(test), label_names)


def store_dataset(artifacts: ArtifactStore, dataset: Dataset) -> str:
    """The dataset as one JSON artifact (texts, label indices, slice values, label names); its digest."""
    return artifacts.put_json(dataset_data(dataset))


def load_dataset(artifacts: ArtifactStore, digest: str) -> Dataset:
    return dataset_from_data(artifacts.read_json(digest))


def dataset_data(dataset: Dataset) -> dict[str, Any]:
    # a split without curated answers stores no ``answers`` key: its digest is what it was before they existed
    return {**{name: {k: v for k, v in asdict(getattr(dataset, name)).items() if k != "answers" or v is not None}
               for name in SPLITS}, "label_names": dataset.label_names}


def dataset_from_data(stored: dict[str, Any]) -> Dataset:
    train, validation, test = (Split(**stored[name]) for name in SPLITS)
    return Dataset(train, validation, test, label_names=stored["label_names"])
