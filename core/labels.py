"""The label stage: the teacher's outputs, computed once per (teacher, inputs) and cached.

Outputs are stored as ``.npz`` bytes in the artifact store and remembered
under ``labels/<teacher fingerprint>/<input digest>``, so a second student
distilled from the same teacher on the same texts never runs the teacher again.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stillroom.artifacts import ArtifactStore, canonical_json, sha256_bytes
from stillroom.errors import PluginError

if TYPE_CHECKING:
    import numpy as np

    from stillroom.components import Teacher


@dataclass
class Labels:
    """The teacher's outputs for one list of texts, the digest of their stored bytes, and whether they were cached."""

    outputs: dict[str, np.ndarray]
    digest: str
    cached: bool


def label_outputs(teacher: Teacher, texts: list[str], artifacts: ArtifactStore,
                  predict: Callable[[list[str]], Mapping[str, Any]] | None = None) -> Labels:
    """The teacher's outputs for ``texts``, from the cache when present, else computed and cached.

    ``predict`` computes them when not cached (the label stage hands the batches to the run's
    executor); by default it is ``teacher.predict``.
    """
    import numpy as np

    key = cache_key(teacher, texts)
    digest = artifacts.recall(key)
    if digest is not None:
        return Labels(load_outputs(artifacts, digest), digest, cached=True)
    outputs = {name: np.asarray(value) for name, value in (predict or teacher.predict)(list(texts)).items()}
    for name, value in outputs.items():
        if len(value) != len(texts):
            raise PluginError(f"teacher {teacher.name!r} returned {len(value)} rows of {name!r} for {len(texts)} texts")
    buffer = io.BytesIO()
    np.savez(buffer, **outputs)  # type: ignore[arg-type]  # mypy matches the ** dict against numpy's allow_pickle: bool
    digest = artifacts.put_bytes(buffer.getvalue())
    artifacts.remember(key, digest)
    return Labels(outputs, digest, cached=False)


def load_outputs(artifacts: ArtifactStore, digest: str) -> dict[str, np.ndarray]:
    """Stored teacher outputs by digest (``.npz``, no pickles)."""
    import numpy as np

    with np.load(io.BytesIO(artifacts.read_bytes(digest)), allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


def cache_key(teacher: Teacher, texts: list[str]) -> str:
    return f"labels/{teacher.fingerprint()}/{inputs_digest(texts)}"


def inputs_digest(texts: list[str]) -> str:
    """sha256 of the texts in order; order matters because outputs are aligned with it."""
    return sha256_bytes(canonical_json(list(texts)))
