"""The label stage: the teacher's outputs, computed once per (teacher, inputs) and cached.

Outputs are stored as ``.npz`` bytes in the artifact store and remembered
under ``labels/<teacher fingerprint>/<input digest>``, so a second student
distilled from the same teacher on the same texts never runs the teacher again.
A causal-LM teacher's curated answers (``curate.answer``) are cached the same
way, under ``answers/``: scrubbed, with their log-probs (``teacher_answers``).
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
    from stillroom.curate import AnswerOptions
    from stillroom.pii_lists import ListedScrub


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


def teacher_answers(teacher: Teacher, prompts: list[str], options: AnswerOptions, artifacts: ArtifactStore, *,
                    seed: int, scrub: ListedScrub | None, text_field: str) -> tuple[dict[str, Any], str]:
    """The teacher's scrubbed, scored answers to ``prompts`` (``curate.answered``) and their artifact's digest.

    Keyed by the teacher, the prompts, the answer options (less ``min_logprob``, which filters the answers and
    does not change them), the seed and the scrubbing, so a re-run reads the artifact back instead of
    generating again; the artifact holds only scrubbed answers, scrubbed by ``scrub`` (a run's scrubber
    through the policy's term lists, in its first field), or left as written without one, in ``text_field``.
    What the curate stage's ``answer`` step and the causal-LM benchmark's sequence-KD arm both train on.
    """
    from functools import partial

    from stillroom.curate import answered

    settings = options.model_dump(exclude={"min_logprob"})
    key = (f"answers/{teacher.fingerprint()}/{inputs_digest(prompts)}/"
           f"{sha256_bytes(canonical_json({**settings, 'seed': seed}))}/{scrubbed_by(scrub)}")
    digest = artifacts.recall(key)
    if digest is None:
        made = answered(prompts, partial(teacher.answer, seed=seed, **settings), scrub,
                        scrub.fields[0] if scrub is not None else text_field)
        digest = artifacts.put_json(made)
        artifacts.remember(key, digest)
    return artifacts.read_json(digest), digest


def scrubbed_by(scrub: ListedScrub | None) -> str:
    """What names a scrubbing in a cache key: its identity, or ``none`` for text left as the teacher wrote it."""
    return scrub.identity() if scrub is not None else "none"
