"""Evaluation metrics as pure functions of arrays: no models, no I/O."""

from __future__ import annotations

import numpy as np

LENGTH_BUCKETS = ((1, 5), (6, 10), (11, 20), (21, None))


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.asarray(predicted) == np.asarray(labels))) if len(labels) else 0.0


def macro_f1(predicted: np.ndarray, labels: np.ndarray) -> float:
    """F1 averaged over every class that occurs in the labels or the predictions (as scikit-learn does)."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    scores = []
    for c in np.union1d(predicted, labels):
        tp = np.sum((predicted == c) & (labels == c))
        fp = np.sum((predicted == c) & (labels != c))
        fn = np.sum((predicted != c) & (labels == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def retained(student: float, teacher: float, *, lower_is_better: bool) -> float:
    """The share of the teacher's quality the student keeps: 1 when they are equal, below 1 when the student is
    worse, whichever way the metric points (accuracy: student over teacher; perplexity: teacher over student).

    The teacher's score must be positive (a ratio against zero says nothing), and so must a lower-is-better
    student's; a higher-is-better student may score 0 (it keeps nothing).
    """
    if not (teacher > 0 and (student > 0 if lower_is_better else student >= 0)):
        raise ValueError(f"retained quality of student {student!r} against teacher {teacher!r} is undefined "
                         f"({'lower' if lower_is_better else 'higher'} is better)")
    return teacher / student if lower_is_better else student / teacher


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.asarray(logits, dtype=np.float64) - np.max(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE with equal-width confidence bins (Guo et al. 2017): |accuracy − confidence| weighted by bin size."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total)


def mean_kl(teacher_logits: np.ndarray, student_logits: np.ndarray) -> float:
    """Mean KL(teacher ‖ student) over examples, at temperature 1."""
    p, q = softmax(teacher_logits), softmax(student_logits)
    return float(np.mean(np.sum(p * (np.log(np.clip(p, 1e-12, None)) - np.log(np.clip(q, 1e-12, None))), axis=1)))


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    b = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return np.sum(a * b, axis=1)


def nearest_neighbour_labels(index: np.ndarray, index_labels: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The label of each query's most cosine-similar index row: an embedding's task accuracy, with no training."""
    index = index / np.clip(np.linalg.norm(index, axis=1, keepdims=True), 1e-12, None)
    queries = queries / np.clip(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12, None)
    return np.asarray(index_labels)[np.argmax(queries @ index.T, axis=1)]


def length_bucket(text: str) -> str:
    words = len(text.split())
    for low, high in LENGTH_BUCKETS:
        if high is None or words <= high:
            return f"{low}+ words" if high is None else f"{low}-{high} words"
    raise AssertionError("the last bucket is open-ended")


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def paired_bootstrap(a_correct: np.ndarray, b_correct: np.ndarray, resamples: int = 10_000, seed: int = 0) -> dict:
    """Paired bootstrap over test items of the accuracy difference a − b (two-sided p-value).

    ``a_correct`` and ``b_correct`` are per-item correctness (0/1), or per-item
    correctness averaged over seeds, aligned on the same test items. Items are
    resampled with replacement, the same draw for both arms, so the test accounts
    for items both arms get right or wrong together. The p-value is twice the
    smaller share of resampled differences on either side of zero (with the +1
    correction, so it is never reported as 0).
    """
    a, b = np.asarray(a_correct, dtype=float), np.asarray(b_correct, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("paired_bootstrap needs two equal-length, non-empty vectors of per-item correctness")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):
        rows = rng.integers(0, len(diff), size=(min(1000, resamples - start), len(diff)))
        means[start : start + len(rows)] = diff[rows].mean(axis=1)
    below, above = (np.sum(means <= 0) + 1) / (resamples + 1), (np.sum(means >= 0) + 1) / (resamples + 1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"difference": float(diff.mean()), "ci95": [float(low), float(high)],
            "p_value": float(min(1.0, 2 * min(below, above))), "resamples": resamples, "items": len(diff)}


def mcnemar_exact(a_correct: np.ndarray, b_correct: np.ndarray) -> dict:
    """Exact (binomial) McNemar test on one pair of runs' per-item correctness: two-sided p-value."""
    from math import comb

    a, b = np.asarray(a_correct, dtype=bool), np.asarray(b_correct, dtype=bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n, k = only_a + only_b, min(only_a, only_b)
    p = 1.0 if n == 0 else min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n)
    return {"only_a": only_a, "only_b": only_b, "p_value": float(p)}
