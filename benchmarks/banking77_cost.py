"""What the full Banking77 benchmark costs, from per-step costs measured on a small slice.

    python benchmarks/banking77_cost.py --train ../shared/data/banking77/train.csv [--rows 320] [--threads 1]

Prints one JSON object: the query lengths in tokens over the whole file, and per 1,000 rows the seconds of one
teacher epoch, one student epoch (labels and KD, 2 and 3 layers), the teacher's labelling, and transfer-set
generation per candidate input (made, labelled by the teacher, filtered); each as wall seconds and as this process's CPU seconds, which on a loaded machine
are closer to what one idle core would take. ``estimate_full_run_minutes`` multiplies the CPU seconds out for the
full run at the benchmark's ``FULL`` and ``FULL_CPU`` settings (:func:`full_run_seconds`), with the students in one
process or two. The slice is only timed: no accuracy is measured here.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import banking77  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=320, help="rows of the timed slice (default 320)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=banking77.FULL["max_length"])
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    with tempfile.TemporaryDirectory() as temp:
        print(json.dumps(measure(args, Path(temp)), indent=2))
    return 0


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def per_thousand(cost: dict, n: int) -> dict:
    return {k: round(v * 1000 / n, 2) for k, v in cost.items()}


def measure(args: argparse.Namespace, root: Path) -> dict:
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context, Dataset, Split
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = banking77.read_rows(args.train)
    pretrained = str(banking77.packaged_minilm())
    lengths = np.array([len(ids) for ids in AutoTokenizer.from_pretrained(pretrained)([r["text"] for r in rows])
                        ["input_ids"]])
    random.Random(0).shuffle(rows)
    names = sorted({r["category"] for r in rows})
    split = lambda part: Split([r["text"] for r in part], [names.index(r["category"]) for r in part])  # noqa: E731
    train, validation = rows[: args.rows], rows[args.rows: args.rows + len(names)]
    data = Dataset(split(train), split(validation), split(validation), names)
    ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), scratch=root / "scratch", device="cpu",
                  progress=False)
    common = {"max_length": args.max_length, "batch_size": 32, "device": "cpu", "epochs": 1, "lr": 1e-4}
    costs: dict = {}
    overheads: dict = {}

    def epoch(spec, dataset, outputs):
        """Per 1,000 rows, the epoch itself (the trainer's own clock; CPU seconds in the same share of the call's
        as its wall seconds): building the model and scoring validation are once per student, not per row."""
        student, cost = timed(lambda: LogitKDTrainer({}, ctx).train({**common, **spec}, dataset, outputs, ctx))
        share = student.history[0]["seconds"] / cost["wall"]
        overheads[spec.get("layers", 6)] = round(cost["wall"] * (1 - share), 1)
        return student, per_thousand({k: v * share for k, v in cost.items()}, len(dataset.train))

    tuned, costs["teacher_epoch"] = epoch({"init": "checkpoint", "checkpoint": pretrained, "method": "labels"}, data,
                                          {})
    tuned.save(root / "teacher")
    teacher = HFTeacher({"path": str(root / "teacher"), "task": "classification", "device": "cpu",
                         "max_length": args.max_length}, ctx)
    ctx.teacher = teacher
    logits, cost = timed(lambda: teacher.predict(data.train.texts))
    costs["teacher_labelling"] = per_thousand(cost, len(train))
    sources = train[:100]
    settings = banking77.FULL
    (transfer_data, funnel, _), cost = timed(lambda: banking77.transfer_set(sources, data, teacher, ctx, settings,
                                                                            names))
    costs["transfer_per_candidate"] = {k: round(v / (len(sources) * settings["per_record"]), 4) for k, v in cost.items()}
    outputs = {"train": {"logits": np.asarray(logits["logits"])},
               "validation": {"logits": np.asarray(teacher.predict(data.validation.texts)["logits"])}}
    for layers in (3, 2):
        base = {"layers": layers, "init": "teacher", "head": "teacher"}
        costs[f"student_{layers}_labels_epoch"] = epoch({**base, "method": "labels"}, data, {})[1]
        costs[f"student_{layers}_kd_epoch"] = epoch({**base, "method": "kd"}, data, outputs)[1]
    kept = (len(transfer_data.train) - len(sources)) / (len(sources) * settings["per_record"])
    n = len(rows)
    return {
        "threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "slice_rows": len(train),
        "max_length": args.max_length,
        "query_tokens": {"mean": round(float(lengths.mean()), 1), "p50": int(np.percentile(lengths, 50)),
                         "p95": int(np.percentile(lengths, 95)), "p99": int(np.percentile(lengths, 99)),
                         "max": int(lengths.max()), "over_max_length": int((lengths > args.max_length).sum())},
        "seconds_per_1000_rows": costs,
        "student_call_overhead_wall_s": overheads,
        "transfer_kept_share": round(kept, 3),
        "transfer_funnel": funnel,
        "estimate_full_run_minutes": {
            f"{name}, transfer kept {share}, students in {jobs} process(es)": round(wall_minutes(
                full_run_seconds(costs, config, n, share, "cpu"), jobs), 1)
            for name, config in (("FULL", settings), ("FULL_CPU", banking77.FULL_CPU))
            for share in (0.5, 1.0) for jobs in (1, 2)
        },
    }


def full_run_seconds(costs: dict, settings: dict, rows: int, kept_share: float, clock: str,
                     holdout: float = 0.1, depths: tuple[int, ...] = (3, 2)) -> dict[str, float]:
    """The full benchmark's seconds on one core, by part, from per-1,000-row costs: the teacher's epochs; the
    transfer set generated and labelled, and the soft targets of the KD rows computed once (shared by every seed
    and depth); per depth and seed the two labels arms on the training rows and the KD arm on them plus the kept
    transfer rows. Each epoch also scores validation, and each student the test set (one teacher labelling pass
    per 1,000 texts stands in for both)."""
    pool = rows * (1 - holdout)
    validation = max(77, 0.1 * pool)
    train, test = pool - validation, rows * holdout
    transfer = train * settings["per_record"] * kept_share
    label = costs["teacher_labelling"][clock] / 1000
    students = 0.0
    for layers in depths:
        labels, kd = costs[f"student_{layers}_labels_epoch"][clock] / 1000, costs[f"student_{layers}_kd_epoch"][clock] / 1000
        per_seed = settings["student_epochs"] * (2 * train * labels + (train + transfer) * kd + 3 * validation * label)
        students += settings["seeds"] * (per_seed + 3 * test * label)
    return {
        "teacher": settings["teacher_epochs"] * (train * costs["teacher_epoch"][clock] / 1000 + validation * label),
        "transfer": train * settings["per_record"] * costs["transfer_per_candidate"][clock] + (train + transfer) * label,
        "students": students,
    }


def wall_minutes(parts: dict[str, float], jobs: int) -> float:
    """Minutes on ``jobs`` free cores when the students train in ``jobs`` processes and the rest runs in one."""
    return (parts["teacher"] + parts["transfer"] + parts["students"] / jobs) / 60


if __name__ == "__main__":
    sys.exit(main())
