"""Records per second for scrubbing and teacher labelling: the local executor against Ray with 1 and 2 workers.

One run, one JSON object. Data: the first N texts of the Banking77 train split
(``../shared/data/banking77/train.csv``), which no Stillroom component shaped.
The scrubber is the built-in Presidio one (``workers: 1``, so each executor
worker is one scrubbing process); the teacher is a randomly initialised tiny
BERT classifier (``tests/tinymodels.py``): the benchmark measures the executor,
not a model. Work goes through the same ``MapWork`` in the core's fixed batches
the pipeline uses; each worker builds its components once, in a warm-up that
is not timed. The local executor runs with torch on one thread, as one Ray
worker does.

The machine is small and shared: other engineers' jobs run on the same CPUs,
so the output says how loaded they were (``loadavg``).

    python benchmarks/scale.py [--records 4096] [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or beside any folder above it (a git worktree nests one level deeper)
BANKING77 = next((p / "shared" / "data" / "banking77" / "train.csv" for p in REPO.parents
                  if (p / "shared" / "data" / "banking77" / "train.csv").is_file()),
                 REPO.parent / "shared" / "data" / "banking77" / "train.csv")
sys.path.insert(0, str(REPO))  # tests/tinymodels.py builds the tiny teacher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=BANKING77)
    parser.add_argument("--records", type=int, default=4096)
    parser.add_argument("--quick", action="store_true", help="1,024 records")
    args = parser.parse_args()
    # Ray starts its workers at nice 15 and the local executor runs at the caller's niceness: on a shared
    # machine that alone halved a Ray worker's speed against local; the same niceness for both is the fair test
    os.environ.update(RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                      RAY_worker_niceness=str(os.nice(0)))
    import torch

    from stillroom.components import Context, MapWork
    from stillroom.pii_lists import TermLists
    from stillroom.plugin_manager import load_plugins
    from stillroom.run.executors.local import LocalExecutor
    from stillroom.run.executors.ray import RayExecutor
    from stillroom.run.portable import ComponentRef
    from stillroom.run.records import batches
    from stillroom.run.stages.label import predict_batch
    from stillroom.run.stages.scrub import scrub_batch
    from stillroom.workspace import init_workspace
    from tests import tinymodels

    torch.set_num_threads(1)
    n = 1024 if args.quick else args.records
    with open(args.data, newline="") as f:
        records = [{"text": row["text"]} for row, _ in zip(csv.DictReader(f), range(n))]
    root = Path(tempfile.mkdtemp(prefix="stillroom-scale-"))
    workspace = init_workspace(root / "ws", name="scale")
    teacher_dir = tinymodels.classifier_dir(root / "teacher")
    ctx = Context(workspace=workspace.root, artifacts=workspace.artifacts, policy={}, progress=False)
    plugins = load_plugins()
    scrubber = plugins.component("scrubber", "presidio")({"workers": 1, "fields": ["text"]}, ctx)
    lists = TermLists.of(workspace.policy().residency)  # the policy's never_pii / always_pii terms, as a run uses
    teacher = plugins.component("teacher", "hf")({"path": str(teacher_dir), "max_length": 64}, ctx)
    works = {
        "scrub": lambda items: MapWork("scrub", partial(scrub_batch, ComponentRef("scrubber", "presidio",
                                                                                scrubber.options, live=scrubber),
                                                        ["text"], lists), batches(items), portable=True),
        "label": lambda items: MapWork("label", partial(predict_batch, ComponentRef("teacher", "hf", teacher.options,
                                                                                  live=teacher)),
                                       batches([r["text"] for r in items]), portable=True),
    }

    def rate(executor, stage: str, warm: int) -> float:
        for _ in executor.map(works[stage]([records[0]] * warm)):  # every worker builds its component
            pass
        started = time.perf_counter()
        for _ in executor.map(works[stage](records)):
            pass
        return round(len(records) / (time.perf_counter() - started), 1)

    results: dict = {"data": f"{args.data.name}: first {len(records)} Banking77 train texts",
                     "batch_size": 512, "cpu_count": os.cpu_count(), "loadavg_before": os.getloadavg()}
    for stage in ("scrub", "label"):
        local = rate(LocalExecutor(), stage, 1)
        measured = {"local": local}
        for workers in (1, 2):
            executor = RayExecutor(workspace.policy(), workspace.root, workers=workers)
            try:
                measured[f"ray_{workers}"] = rate(executor, stage, 512 * workers)
            finally:
                executor.close()
        results[stage] = {"records_per_s": measured,
                          "ray_2_vs_ray_1": round(measured["ray_2"] / measured["ray_1"], 3),
                          "ray_1_vs_local": round(measured["ray_1"] / measured["local"], 3),
                          "ray_2_vs_local": round(measured["ray_2"] / measured["local"], 3)}
    results["loadavg_after"] = os.getloadavg()
    results["targets"] = {"scrub ray_2_vs_ray_1": ">= 1.8", "ray_1_vs_local": ">= 0.95 (overhead <= 5%)"}
    results["note"] = ("measured on a machine whose CPUs other engineers share (see loadavg); "
                       "2 workers cannot beat 2x, and a busy neighbour takes from both")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
