"""What every exporter shares: the texts it re-checks its output on, and the error when the check fails."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stillroom.components import Student
from stillroom.errors import PluginError, RunRefused
from stillroom.plugins.evaluators.metrics import cosine_rows


class ExportCheckFailed(RunRefused):
    """An exported artifact that no longer computes what the in-memory student does."""


def check_texts(student: Student, texts: Sequence[str] | None) -> list[str]:
    """The evaluation texts when the caller has them; else the validation sample the trainer kept."""
    chosen = list(texts) if texts else list(getattr(student, "reference_texts", []))
    if not chosen:
        raise PluginError("an exporter needs texts to re-check its output on; pass the evaluation texts")
    return chosen


def agreement(task: str, expected: np.ndarray, actual: np.ndarray) -> float:
    """Top-1 agreement for classifiers; mean cosine for embeddings."""
    if task == "embedding":
        return float(np.mean(cosine_rows(expected, actual)))
    return float(np.mean(expected.argmax(axis=1) == actual.argmax(axis=1)))


def require(what: str, task: str, score: float, threshold: float) -> None:
    measure = "mean cosine" if task == "embedding" else "top-1 agreement"
    if not score >= threshold:
        raise ExportCheckFailed(
            f"{what} fails its check: {measure} with the in-memory student is {score:.4f}, below {threshold}"
        )
