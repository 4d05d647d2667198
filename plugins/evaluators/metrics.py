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
