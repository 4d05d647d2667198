"""What every exporter shares: the texts it re-checks its output on, how it compares, and the error when it fails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from stillroom.components import Student
from stillroom.errors import PluginError, RunRefused
from stillroom.plugins.evaluators.metrics import cosine_rows

# A flip between two next tokens the student itself scores this close is a tie broken differently, not lost fidelity.
NEAR_TIE_NATS = 0.01


class ExportCheckFailed(RunRefused):
    """An exported artifact that no longer computes what the in-memory student does."""


def check_texts(student: Student, texts: Sequence[str] | None) -> list[str]:
    """The evaluation texts when the caller has them; else the validation sample the trainer kept."""
    chosen = list(texts) if texts else list(getattr(student, "reference_texts", []))
    if not chosen:
        raise PluginError("an exporter needs texts to re-check its output on; pass the evaluation texts")
    return chosen


def agreement(task: str, expected: Mapping[str, np.ndarray], actual: Mapping[str, np.ndarray]) -> dict[str, float]:
    """How far ``actual`` outputs (as ``Student.predict`` returns them) agree with ``expected``.

    ``agreement`` is top-1 agreement for classifiers, mean cosine for embeddings,
    and for causal LMs next-token top-1 agreement over every real position of
    every text, with the number of ``positions`` and of ``disagreements``, and
    how many of those fall where the expected top two are within NEAR_TIE_NATS.
    """
    if task == "embedding":
        return {"agreement": float(np.mean(cosine_rows(expected["embeddings"], actual["embeddings"])))}
    if task != "causal-lm":
        return {"agreement": float(np.mean(expected["logits"].argmax(axis=1) == actual["logits"].argmax(axis=1)))}
    real = expected["attention_mask"].astype(bool)
    if actual["input_ids"].shape != expected["input_ids"].shape or not np.array_equal(
        actual["input_ids"][real], expected["input_ids"][real]
    ):
        raise ExportCheckFailed("the export tokenizes the check texts differently from the in-memory student")
    same = expected["topk_ids"][..., 0][real] == actual["topk_ids"][..., 0][real]
    top = expected["topk_logprobs"][real]
    margin = top[:, 0] - top[:, 1] if top.shape[1] > 1 else np.full(len(top), np.inf)
    return {
        "agreement": float(same.mean()) if same.size else 0.0,
        "positions": int(same.size),
        "disagreements": int((~same).sum()),
        "disagreements_at_near_ties": int((~same & (margin < NEAR_TIE_NATS)).sum()),
    }


def require(what: str, task: str, score: float, threshold: float, why: str = "") -> None:
    measure = {"embedding": "mean cosine", "causal-lm": "next-token top-1 agreement"}.get(task, "top-1 agreement")
    if not score >= threshold:
        raise ExportCheckFailed(
            f"{what} fails its check: {measure} with the in-memory student is {score:.4f}, below {threshold}"
            + (f"; {why}" if why else "")
        )
