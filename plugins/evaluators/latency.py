"""Size on disk and single-thread CPU latency at batch 1, the numbers an on-device target is held to.

One thread, because that is what an edge device or a busy server core gives
a single request; batch 1, because that is an interactive request.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from stillroom import hookimpl
from stillroom.components import Context, Dataset, Evaluation, Evaluator, Student, Teacher
from stillroom.errors import ConfigError
from stillroom.plugins.evaluators.metrics import percentile_ms


@hookimpl
def register_evaluators(register):
    register(LatencyEvaluator)


class LatencyEvaluator(Evaluator):
    name = "latency"
    accepts = frozenset({"samples"})
    description = "Size on disk and single-thread CPU latency p50/p95 at batch 1, student and teacher."
    tasks = ("classification", "embedding", "causal-lm")

    def evaluate(self, student: Student, teacher: Teacher, data: Dataset, ctx: Context) -> Evaluation:
        samples = self.options.get("samples", 50)
        if not isinstance(samples, int) or samples < 1:
            raise ConfigError(f"evaluator latency: samples must be a positive integer, got {samples!r}")
        texts = list(data.test.texts[:samples]) or ["hello"]
        evaluation = Evaluation(self.name)
        with tempfile.TemporaryDirectory() as directory:
            evaluation.metrics["size_mb"] = directory_mb(student.save(Path(directory)))
        with single_thread():
            timings = time_calls(lambda text: student.predict([text]), texts)
        evaluation.metrics["p50_ms"] = percentile_ms(timings, 50)
        evaluation.metrics["p95_ms"] = percentile_ms(timings, 95)
        evaluation.metrics["parameters"] = float(student.num_parameters())
        if getattr(teacher, "path", None) is not None:
            with single_thread():
                teacher_timings = time_calls(lambda text: teacher.predict([text]), texts)
            evaluation.metrics["teacher_p50_ms"] = percentile_ms(teacher_timings, 50)
            evaluation.metrics["speedup_p50"] = evaluation.metrics["teacher_p50_ms"] / max(
                evaluation.metrics["p50_ms"], 1e-9
            )
        return evaluation


def time_calls(call: Callable[[str], object], texts: list[str], warmup: int = 3) -> list[float]:
    """Wall-clock seconds of ``call(text)`` for each text, after a few untimed calls to warm caches."""
    for text in texts[:warmup]:
        call(text)
    timings = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        timings.append(time.perf_counter() - started)
    return timings


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def directory_mb(paths: list[Path]) -> float:
    return sum(Path(p).stat().st_size for p in paths) / 1e6
