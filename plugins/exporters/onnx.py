"""The student as ONNX, checked in onnxruntime against the torch student before it counts as exported.

A classifier must agree with the torch student on ≥ 99.5% of the evaluation
texts (top-1), an embedder reach mean cosine ≥ 0.999, a causal LM agree on the
next token (top-1) at ≥ 99.5% of the evaluation texts' positions; otherwise
the export fails. A causal LM's graph is its forward pass, ``input_ids`` and
``attention_mask`` to ``logits`` (batch, sequence, vocabulary), with no KV
cache: generating with it recomputes the whole prefix for every new token, which
is fine for scoring and short answers and slow for long generations.

The directory also holds the tokenizer, and ``export_check.json`` with the
agreement, size on disk and single-thread latency at batch 1 (for a causal LM,
one forward pass over a whole text).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stillroom import hookimpl
from stillroom.components import Exporter, Student
from stillroom.plugins.evaluators.latency import time_calls
from stillroom.plugins.evaluators.metrics import percentile_ms
from stillroom.plugins.exporters.checks import ExportCheckFailed, agreement, check_texts, require

MODEL = "model.onnx"
REPORT = "export_check.json"
OPSET = 17


@hookimpl
def register_exporters(register):
    register(ONNXExporter)


class ONNXExporter(Exporter):
    name = "onnx"
    accepts = frozenset({"min_agreement"})
    description = "ONNX (fp32), validated in onnxruntime: ≥ 99.5% top-1 (next-token for LMs) or cosine ≥ 0.999."
    tasks = ("classification", "embedding", "causal-lm")
    thresholds = {"classification": 0.995, "embedding": 0.999, "causal-lm": 0.995}
    failure = "the traced graph does not compute what the student does; do not ship it"

    def export(self, student: Student, dest: Path, texts: Sequence[str] | None = None) -> list[Path]:
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        sample = check_texts(student, texts)
        self.write_model(student, dest / MODEL)
        student.tokenizer.save_pretrained(dest)  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        report = check_onnx(student, dest / MODEL, sample)
        threshold = self.options.get("min_agreement", self.thresholds[student.task])
        (dest / REPORT).write_text(json.dumps(report | {"threshold": threshold}, indent=2) + "\n")
        require(f"the ONNX export {dest / MODEL}", student.task, report["agreement"], threshold, self.failure)
        return sorted(p for p in dest.rglob("*") if p.is_file())

    def write_model(self, student: Student, path: Path) -> None:
        export_onnx(student, path)


def export_onnx(student: Student, path: Path) -> Path:
    """Trace the student's two-input function into ONNX with dynamic batch and sequence axes."""
    import torch

    dtype = next(student.net.parameters()).dtype  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    net = student.net.float().cpu().eval()  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    example = {k: v[:, :8] for k, v in student.encode(["a short example text to trace the graph with"]).items()}  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
    dynamic = {0: "batch", 1: "sequence"}
    # a causal LM answers at every position; the other heads once per text
    output, output_axes = ("logits", dynamic) if student.task == "causal-lm" else ("output", {0: "batch"})
    # the TorchScript exporter: the dynamo one needs onnxscript, and these models trace cleanly. Its
    # tracer warnings are about data-dependent branches; the export check below is what proves the graph.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (example["input_ids"], example["attention_mask"]),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, output: output_axes},
        )
    student.net.to(device=student.device, dtype=dtype)  # type: ignore[attr-defined]  # (HFStudent's) the caller's student is left as it was
    return path


def session(path: Path, threads: int | None = None):
    """An onnxruntime session on the CPU; a file that does not load is a failed export, said plainly."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ExportCheckFailed(f"there is no ONNX model at {path}; export the student again")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    # onnxruntime's errors (InvalidProtobuf, InvalidGraph, Fail, ...) share no base class below Exception
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportCheckFailed(
            f"the ONNX model {path} ({path.stat().st_size} bytes) does not load in onnxruntime ({reason}): "
            "it is truncated, corrupt or not a model this onnxruntime reads; export the student again"
        ) from None


def run_onnx(sess, student: Student, texts: list[str], batch_size: int = 64) -> np.ndarray:
    outputs = []
    for start in range(0, len(texts), batch_size):
        encoded = student.encode(texts[start : start + batch_size], return_tensors="np")  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        feeds = {k: np.asarray(v, dtype=np.int64) for k, v in encoded.items()}
        outputs.append(sess.run(None, feeds)[0])
    return np.concatenate(outputs)


def predict_onnx(sess, student: Student, texts: list[str]) -> dict[str, np.ndarray]:
    """The ONNX model's outputs in the shape ``student.predict`` gives them, so the two compare position by position."""
    if student.task != "causal-lm":
        return {"embeddings" if student.task == "embedding" else "logits": run_onnx(sess, student, texts)}
    import torch

    from stillroom.plugins.topk import topk_outputs

    def logits(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0])

    # the student's own batching and padding, so every text is read exactly as the torch student read it
    return topk_outputs(
        logits,
        student.tokenizer,  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        texts,
        max_length=student.max_length,  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        top_k=1,
        batch_size=student.batch_size,  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        device=torch.device("cpu"),
    )


def check_onnx(student: Student, path: Path, texts: list[str]) -> dict[str, Any]:
    """Agreement with the torch student, size on disk, and onnxruntime latency at one thread, batch 1."""
    measured = agreement(student.task, student.predict(texts), predict_onnx(session(path), student, texts))
    single = session(path, threads=1)
    encoded = [
        {k: np.asarray(v, dtype=np.int64) for k, v in student.encode([t], return_tensors="np").items()}  # type: ignore[attr-defined]  # the built-in trainers' HFStudent
        for t in texts[:50]
    ]
    timings = time_calls(lambda feeds: single.run(None, feeds), encoded)
    report = {
        **measured,
        "texts": len(texts),
        "size_mb": path.stat().st_size / 1e6,
        "latency_ms_p50": percentile_ms(timings, 50),
        "latency_ms_p95": percentile_ms(timings, 95),
    }
    if student.task == "causal-lm":
        report["kv_cache"] = False
    return report
