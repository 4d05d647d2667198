"""Students, the KD / embedding / label-only trainers, preflight and resume, on tiny models."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import tinymodels as tm
import torch

from stillroom.components import Dataset, Split
from stillroom.errors import ConfigError
from stillroom.labels import label_outputs
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.build import build_student, keep_layers
from stillroom.plugins.trainers.embedding import EmbeddingKDTrainer
from stillroom.plugins.trainers.kd import LogitKDTrainer
from stillroom.plugins.trainers.preflight import PreflightFailed, check_first_step, check_vocabularies

TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A toy task and a tiny teacher fine-tuned on it, shared by the tests that only read them."""
    root = tmp_path_factory.mktemp("trainers")
    ctx = tm.context(root)
    data = tm.toy_dataset()
    teacher = tm.trained_teacher(root, data, ctx)
    outputs = {
        s: label_outputs(teacher, getattr(data, s).texts, ctx.artifacts).outputs
        for s in ("train", "validation", "test")
    }
    return ctx, data, teacher, outputs


def agreement(student, outputs, data):
    return float((student.predict(data.test.texts)["logits"].argmax(1) == outputs["test"]["logits"].argmax(1)).mean())


def test_the_toy_teacher_has_learned_its_task(setup):
    ctx, data, teacher, outputs = setup
    assert (outputs["test"]["logits"].argmax(1) == np.array(data.test.labels)).mean() >= 0.9


def test_kd_student_from_half_the_teacher_layers_learns_to_agree_with_it(setup):
    ctx, data, teacher, outputs = setup
    untrained = build_student({"layers": 2}, teacher=teacher, task="classification", label_names=data.label_names)
    before = agreement(untrained, outputs, data)
    student = LogitKDTrainer({}, ctx).train(
        {"layers": 2, "epochs": 4, "lr": 3e-3, "batch_size": 16, "alpha": 1.0}, data, outputs, ctx
    )
    assert student.net.backbone.config.num_hidden_layers == 2
    assert student.num_parameters() < untrained.num_parameters() + 1 and student.num_parameters() > 0
    assert agreement(student, outputs, data) >= max(0.9, before)
    assert len(student.history) == 4 and all(h["seconds"] > 0 for h in student.history)


def test_label_only_baseline_trains_without_teacher_outputs(setup):
    ctx, data, teacher, outputs = setup
    student = LogitKDTrainer({}, ctx).train(
        {"method": "labels", "layers": 2, "epochs": 4, "lr": 3e-3, "batch_size": 16}, data, {}, ctx
    )
    accuracy = (student.predict(data.test.texts)["logits"].argmax(1) == np.array(data.test.labels)).mean()
    assert accuracy >= 0.8
    assert LogitKDTrainer.supports_baseline


def test_label_only_baseline_needs_labels(setup):
    ctx, data, teacher, outputs = setup
    unlabelled = Dataset(Split(data.train.texts), data.validation, data.test, data.label_names)
    with pytest.raises(ConfigError, match="needs labelled training data"):
        LogitKDTrainer({}, ctx).train({"method": "labels"}, unlabelled, {}, ctx)


def test_each_epoch_is_recorded_for_the_ledger(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    entries = []
    local = tm.context(tmp_path, teacher=teacher, record=lambda kind, payload: entries.append((kind, payload)))
    student = LogitKDTrainer({}, local).train({"layers": 1, "epochs": 2, "batch_size": 32}, data, outputs, local)
    assert [kind for kind, _ in entries] == ["train.epoch", "train.epoch", "train.kept"]
    epoch, kept = entries[1][1], entries[2][1]
    assert epoch["epoch"] == 2 and epoch["trainer"] == "logit-kd" and epoch["val_metric"] == "accuracy"
    assert {"loss", "val_score", "seconds", "examples_per_s"} <= set(epoch)
    best = max(range(2), key=lambda i: (entries[i][1]["val_score"], i))
    assert kept == {"trainer": "logit-kd", "epochs_run": 2, "epoch": best + 1, "by": "accuracy",
                    "val_score": entries[best][1]["val_score"], "ranks": 1, "parallel": "none"}
    assert student.kept == {k: v for k, v in kept.items() if k not in ("trainer", "epochs_run", "ranks", "parallel")}


def test_early_stopping_ends_training_when_validation_stops_improving(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    student = LogitKDTrainer({}, local).train(
        {"layers": 2, "epochs": 30, "lr": 3e-3, "batch_size": 16, "patience": 1}, data, outputs, local
    )
    assert len(student.history) < 30


def test_of_equal_validation_scores_the_later_epoch_is_kept_and_a_plateau_still_stops(tmp_path):
    from stillroom.plugins.trainers.loop import Examples, Score, fit
    from stillroom.plugins.trainers.options import TrainOptions

    torch.manual_seed(0)
    net = torch.nn.Embedding(8, 4)
    examples = Examples([[i % 8, (i + 3) % 8] for i in range(16)], {})
    # accuracy that saturates at 1.0 after the second epoch while training goes on
    scripted, weights = iter([0.5, 1.0, 1.0, 1.0, 1.0, 1.0]), []

    def score():
        weights.append(net.weight.detach().clone())
        return Score("accuracy", next(scripted))

    result = fit(
        net,
        examples,
        lambda model, batch: model(batch["input_ids"]).pow(2).mean(),
        options=TrainOptions(epochs=6, batch_size=4, lr=1e-2, patience=2),
        ctx=tm.context(tmp_path),
        device=torch.device("cpu"),
        score_fn=score,
        state_dir=None,
        label="toy",
    )
    assert len(result.history) == 4  # epochs 3 and 4 tie with 2: two epochs without improving, patience 2
    assert result.kept == {"epoch": 4, "by": "accuracy", "val_score": 1.0}
    assert not torch.equal(weights[1], weights[3])
    assert torch.equal(net.weight.detach(), weights[3])


def test_a_resume_keeps_the_best_weights_on_disk_with_the_epoch_and_score_they_came_from(tmp_path):
    """A crash can fall between writing the best weights and the checkpoint that names their epoch:
    the kept epoch and score must come from the best-weights file itself, not the older checkpoint."""
    from stillroom.plugins.trainers.checkpoints import BEST, load_state, save_state
    from stillroom.plugins.trainers.loop import Examples, Score, fit
    from stillroom.plugins.trainers.options import TrainOptions

    def run(scores, resume):
        torch.manual_seed(0)
        net = torch.nn.Embedding(8, 4)
        scripted = iter(scores)
        result = fit(net, Examples([[i % 8, (i + 3) % 8] for i in range(16)], {}),
                     lambda model, batch: model(batch["input_ids"]).pow(2).mean(),
                     options=TrainOptions(epochs=2, batch_size=4, lr=1e-2, resume=resume), ctx=tm.context(tmp_path),
                     device=torch.device("cpu"), score_fn=lambda: Score("accuracy", next(scripted)),
                     state_dir=tmp_path / "state", label="toy")
        return net, result

    run([0.5, 0.9], resume=False)  # epoch 2 is best; then say a crashed re-run of epoch 1 scored 0.95
    crashed = {**load_state(tmp_path / "state", BEST), "epoch": 1, "score": 0.95}
    crashed["weights"] = {k: torch.full_like(v, 7.0) for k, v in crashed["weights"].items()}
    save_state(tmp_path / "state", crashed, BEST)
    net, result = run([], resume=True)  # every epoch ran: nothing left but to restore the best
    assert result.kept == {"epoch": 1, "by": "accuracy", "val_score": 0.95}
    assert torch.equal(net.weight.detach(), torch.full((8, 4), 7.0))


def test_without_validation_data_every_epoch_runs_and_the_last_is_kept_and_recorded_so(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    entries = []
    local = tm.context(tmp_path, teacher=teacher, record=lambda kind, payload: entries.append((kind, payload)))
    no_validation = Dataset(data.train, Split([], []), data.test, data.label_names)
    spec = {"layers": 1, "epochs": 3, "lr": 3e-3, "batch_size": 32, "patience": 1}
    student = LogitKDTrainer({}, local).train(spec, no_validation, outputs, local)
    assert [(h["val_score"], h["val_metric"]) for h in student.history] == [(None, None)] * 3
    assert entries[-1][0] == "train.kept" and entries[-1][1]["epochs_run"] == 3
    assert student.kept["epoch"] == 3 and student.kept["by"] is None
    assert "no validation data" in student.kept["reason"] and "kept the last" in student.kept["reason"]


def test_student_layers_are_a_count_spread_evenly_or_explicit_indices(tmp_path):
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification(tm.bert_config(num_hidden_layers=6, num_labels=3))
    assert keep_layers(model, 3) == [0, 2, 5]
    assert model.config.num_hidden_layers == 3 and len(model.bert.encoder.layer) == 3
    model = BertForSequenceClassification(tm.bert_config(num_hidden_layers=6, num_labels=3))
    assert keep_layers(model, [1, 4]) == [1, 4]
    with pytest.raises(ConfigError, match="between 1 and 6"):
        keep_layers(BertForSequenceClassification(tm.bert_config(num_hidden_layers=6, num_labels=3)), 7)


def test_students_from_a_config_and_from_a_checkpoint(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    fresh = build_student(
        {
            "init": "config",
            "config": {"num_hidden_layers": 1, "hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32},
        },
        teacher=teacher,
        task="classification",
        label_names=data.label_names,
    )
    assert fresh.net.backbone.config.hidden_size == 16 and fresh.net.backbone.config.num_labels == 3
    fresh.save(tmp_path / "ckpt")
    again = build_student(
        {"init": "checkpoint", "checkpoint": str(tmp_path / "ckpt")},
        teacher=teacher,
        task="classification",
        label_names=data.label_names,
    )
    np.testing.assert_allclose(
        again.predict(data.test.texts[:5])["logits"], fresh.predict(data.test.texts[:5])["logits"], atol=1e-5
    )


def test_a_misspelled_option_is_refused(setup):
    ctx, data, teacher, outputs = setup
    with pytest.raises(ConfigError, match="temprature"):
        LogitKDTrainer({}, ctx).train({"temprature": 3}, data, outputs, ctx)


@pytest.mark.parametrize(("spec", "message"), [
    ({"parallel": "zero3"}, "student.parallel must be ddp or fsdp, got 'zero3'"),
    # each rank samples its own rows to its own lengths: the sharded blocks' gathers could never pair up
    ({"parallel": "fsdp", "on_policy": 0.5}, "student.on_policy samples from the student on each rank"),
])
def test_a_parallel_option_that_cannot_work_is_refused_before_training(spec, message):
    from stillroom.plugins.trainers.options import parse_options

    with pytest.raises(ConfigError, match=message):
        parse_options(spec, seed=0, device="cpu", allowed={"on_policy"})


def test_embedding_student_narrower_than_its_teacher_learns_through_a_projection(tmp_path):
    ctx, data, outputs, spec = tm.embedding_kd_setup(tmp_path)
    spec["epochs"] = 6
    student = EmbeddingKDTrainer({}, ctx).train(spec, data, outputs, ctx)
    assert student.net.projection is not None
    assert student.predict(data.test.texts[:3])["embeddings"].shape == (3, 48)
    scores = [h["val_score"] for h in student.history]
    assert scores[-1] > scores[0] and max(scores) > 0.9


class UnreadableOutputs(Mapping):
    """Teacher outputs a labels-only baseline must never look at."""

    def __getitem__(self, key):
        raise AssertionError(f"the labels baseline read the teacher's {key!r} outputs")

    def __iter__(self):
        raise AssertionError("the labels baseline read the teacher's outputs")

    def __len__(self):
        raise AssertionError("the labels baseline read the teacher's outputs")


def forbid_running(teacher):
    """The baseline may start from copies of the teacher's layers; running the teacher itself fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the labels baseline ran the teacher")

    original = teacher.model
    teacher.predict = teacher.generate = refuse
    # the hook travels with deep copies of the model: it refuses only the teacher's own forward
    original.register_forward_pre_hook(lambda module, args: refuse() if module is original else None)


def class_separation(student, data) -> float:
    """Mean cosine between test queries of one intent, minus the mean between queries of different intents."""
    unit = student.predict(data.test.texts)["embeddings"]
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    same = np.equal.outer(data.test.labels, data.test.labels)
    cosines = unit @ unit.T
    return float(cosines[same & ~np.eye(len(unit), dtype=bool)].mean() - cosines[~same].mean())


def test_embedding_labels_baseline_learns_intents_from_the_teachers_layers_without_running_the_teacher(tmp_path):
    ctx, data, outputs, spec = tm.embedding_kd_setup(tmp_path)
    forbid_running(ctx.teacher)
    untrained = build_student({"layers": 2}, teacher=ctx.teacher, task="embedding", label_names=data.label_names)
    baseline = EmbeddingKDTrainer({}, ctx).train(
        {"layers": 2, "epochs": 2, "lr": 3e-3, "batch_size": 16, "method": "labels"}, data, UnreadableOutputs(), ctx
    )
    assert EmbeddingKDTrainer.supports_baseline
    # the class directions were a training device: the student is the same architecture as the KD one
    assert not hasattr(baseline.net, "label_head") and baseline.num_parameters() == untrained.num_parameters()
    # the untrained copy puts every query at about the same cosine to every other (separation ~0.02)
    assert class_separation(baseline, data) > class_separation(untrained, data) + 0.2
    assert baseline.history[-1]["val_score"] >= 0.9


def test_embedding_labels_baseline_needs_labels(tmp_path):
    ctx, data, outputs, spec = tm.embedding_kd_setup(tmp_path)
    unlabelled = Dataset(Split(data.train.texts), data.validation, data.test, data.label_names)
    with pytest.raises(ConfigError, match="needs labelled training data"):
        EmbeddingKDTrainer({}, ctx).train({**spec, "method": "labels"}, unlabelled, outputs, ctx)


def embedding_pipeline(workspace, *, labelled: bool, **overrides):
    from stillroom.config import parse_spec

    texts, labels = tm.toy_split(300, 5)
    rows = [{"text": t, **({"label": list(tm.INTENTS)[y]} if labelled else {})} for t, y in zip(texts, labels)]
    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    encoder = workspace.root / "encoder"
    if not encoder.is_dir():
        tm.encoder_dir(encoder)
    return parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(encoder), "task": "embedding"},
        "data": {"label_field": "label" if labelled else None}, "curate": False,
        "student": {"layers": 2, "epochs": 2, "lr": 3e-3, "batch_size": 16}, "evaluators": ["task"],
        **overrides,
    })


def test_a_labelled_embedding_run_reports_its_labels_only_baseline_beside_the_kd_student(workspace):
    from stillroom.cli import _stage_detail
    from stillroom.pipeline import run_pipeline

    run = run_pipeline(workspace, embedding_pipeline(workspace, labelled=True, exporters=["hf"]),
                       initiator="op", progress=False)
    assert run.summaries["train"]["baseline"] == "labels-only"
    metrics = run.summaries["evaluate"]["metrics"]
    assert 0 <= metrics["baseline"]["task"]["accuracy"] <= 1 and "teacher_accuracy" in metrics["student"]["task"]
    baseline_accuracy = f"labels-only {metrics['baseline']['task']['accuracy']:.3f}"
    assert baseline_accuracy in _stage_detail(run.summaries["evaluate"])
    card = workspace.artifacts.path(run.artifacts["model_card"]).read_text()
    assert "| metric | student | labels-only baseline | teacher |" in card
    student, baseline = metrics["student"]["task"]["accuracy"], metrics["baseline"]["task"]["accuracy"]
    assert f"| accuracy | {student:.4f} | {baseline:.4f} |" in card


def test_an_unlabelled_embedding_run_skips_the_baseline_and_says_why(workspace):
    from stillroom.cli import _stage_detail
    from stillroom.pipeline import run_pipeline

    run = run_pipeline(workspace, embedding_pipeline(workspace, labelled=False, exporters=[]),
                       initiator="op", progress=False)
    assert "baseline" not in run.students and "baseline" not in run.summaries["evaluate"]["metrics"]
    assert "no labels" in run.summaries["train"]["baseline_skipped"]
    assert "no labels-only baseline: the training data has no labels" in _stage_detail(run.summaries["train"])


def test_a_causal_lm_run_without_a_validation_split_labels_trains_and_keeps_each_students_last_epoch(workspace):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline

    texts, labels = tm.toy_split(80, 5)
    path = workspace.root / "queries.jsonl"
    rows = [{"text": text, "label": list(tm.INTENTS)[label]} for text, label in zip(texts, labels)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    spec = parse_spec({
        "name": "lm", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(tm.causal_dir(workspace.root / "lm")), "task": "causal-lm", "top_k": 4},
        "data": {"label_field": "label", "split": {"validation": 0}}, "curate": False,
        "student": {"init": "config", "config": {"num_hidden_layers": 1}, "epochs": 2, "batch_size": 16},
        "evaluators": [], "exporters": [],
    })
    run = run_pipeline(workspace, spec, initiator="op", progress=False)
    assert run.summaries["label"]["outputs"]["validation"]["n"] == 0
    assert run.teacher_outputs["validation"]["topk_ids"].shape == (0, 0, 4)
    ledger = [json.loads(leaf) for _seq, leaf, _sig, _hash in workspace.ledger().rows()]
    kept = [e["payload"] for e in ledger if e["kind"] == "train.kept" and e["run_id"] == run.run_id]
    assert [k["trainer"] for k in kept] == ["token-kd", "token-kd (labels)"]
    assert all(k["epoch"] == k["epochs_run"] == 2 and k["by"] is None and "no validation data" in k["reason"]
               for k in kept)


def test_kd_is_refused_when_the_teacher_outputs_are_constant(setup):
    ctx, data, teacher, outputs = setup
    flat = {"train": {"logits": np.zeros((len(data.train), 3), dtype=np.float32)}}
    with pytest.raises(PreflightFailed, match="same for every input"):
        LogitKDTrainer({}, ctx).train({"layers": 1}, data, flat, ctx)


def test_kd_is_refused_when_the_loss_starts_at_zero(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    unlabelled = Dataset(Split(data.train.texts), data.validation, data.test, data.label_names)
    local = tm.context(tmp_path, teacher=teacher)
    with pytest.raises(PreflightFailed, match="loss is zero"):
        # a full copy of the teacher, distilled on its own outputs: nothing to learn, and nothing learned
        LogitKDTrainer({}, local).train({"alpha": 1.0}, unlabelled, outputs, local)


def test_a_loss_detached_from_the_student_is_refused(setup):
    ctx, data, teacher, outputs = setup
    student = build_student({"layers": 1}, teacher=teacher, task="classification", label_names=data.label_names)
    with pytest.raises(PreflightFailed, match="no gradient reaches"):
        check_first_step(student.net, torch.tensor(1.0, requires_grad=True) * 2)


def test_teacher_and_student_vocabularies_must_match(tmp_path):
    from transformers import BertTokenizer

    other = BertTokenizer(vocab={w: i for i, w in enumerate(tm.SPECIAL + ["other", "words"])})
    check_vocabularies(tm.tokenizer(), tm.tokenizer())
    with pytest.raises(PreflightFailed, match="vocabularies differ"):
        check_vocabularies(tm.tokenizer(), other)


RESUMABLE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import numpy as np
import tinymodels as tm
from stillroom.labels import label_outputs
from stillroom.plugins.teachers.hf import HFTeacher
from stillroom.plugins.trainers.kd import LogitKDTrainer

root, checkpoints, out, extra = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), json.loads(sys.argv[4])
events = []
ctx = tm.context(root, record=lambda kind, payload: kind != "train.kept" and events.append([kind, payload["epoch"]]))
ctx.teacher = HFTeacher({{"path": str(root / "teacher")}}, ctx)
data = tm.toy_dataset()
outputs = {{s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs
           for s in ("train", "validation")}}
spec = {{"layers": 2, "epochs": 8, "lr": 1e-3, "batch_size": 16, "checkpoint_every": 3, "checkpoint_dir": checkpoints,
        **extra}}
student = LogitKDTrainer({{}}, ctx).train(spec, data, outputs, ctx)
np.save(out / "logits.npy", student.predict(data.test.texts)["logits"])
(out / "events.json").write_text(json.dumps(events))
"""


# MixKD draws a share and a pairing per batch: a resumed run draws what the uninterrupted one drew there
@pytest.mark.parametrize("extra", [{}, {"mixup_weight": 0.5}], ids=["logits", "mixup"])
def test_training_killed_mid_run_resumes_from_its_checkpoint_and_finishes_as_if_uninterrupted(tmp_path, extra):
    tm.classifier_dir(tmp_path / "teacher")
    script = tmp_path / "train.py"
    script.write_text(RESUMABLE.format(tests=str(TESTS)))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def run(checkpoints: str, out: Path) -> subprocess.Popen:
        out.mkdir(exist_ok=True)
        return subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), checkpoints, str(out), json.dumps(extra)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    victim = run(str(tmp_path / "ckpt"), tmp_path / "killed")
    deadline = time.monotonic() + 120
    while not list((tmp_path / "ckpt").glob("*/state.pt")):
        assert victim.poll() is None, victim.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint was written within two minutes"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "logits.npy").exists()

    resumed, reference = (
        run(str(tmp_path / "ckpt"), tmp_path / "resumed"),
        run(str(tmp_path / "ref"), tmp_path / "ref-out"),
    )
    for process in (resumed, reference):
        assert process.wait(timeout=300) == 0, process.stderr.read().decode()[-2000:]
    resumed = json.loads((tmp_path / "resumed" / "events.json").read_text())
    assert resumed[0][0] == "train.resumed" and resumed[-1] == ["train.epoch", 8]
    reference_events = json.loads((tmp_path / "ref-out" / "events.json").read_text())
    assert reference_events == [["train.epoch", n] for n in range(1, 9)]
    np.testing.assert_allclose(
        np.load(tmp_path / "resumed" / "logits.npy"), np.load(tmp_path / "ref-out" / "logits.npy"), atol=1e-4
    )


def test_token_divergences_are_zero_for_identical_distributions_and_differ_otherwise():
    from stillroom.plugins.trainers.losses import token_kd

    torch.manual_seed(0)
    logits = torch.randn(2, 5, 11)
    top = torch.log_softmax(logits, -1).topk(4, dim=-1)
    mask = torch.ones(2, 5)
    for divergence in ("forward", "reverse", "jsd"):
        assert token_kd(logits, top.indices, top.values, mask, divergence).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.randn(2, 5, 11)
    values = {d: token_kd(other, top.indices, top.values, mask, d).item() for d in ("forward", "reverse", "jsd")}
    assert all(v > 0 for v in values.values()) and values["forward"] != pytest.approx(values["reverse"])
    assert values["jsd"] <= np.log(2) + 1e-6
    padded = mask.clone()
    padded[:, 3:] = 0
    assert token_kd(other, top.indices, top.values, padded, "forward").item() != pytest.approx(values["forward"])


@pytest.mark.parametrize("divergence", ["forward", "reverse", "jsd"])
def test_causal_student_learns_the_teachers_next_token_choices(tmp_path, divergence):
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx = tm.context(tmp_path)
    ctx.teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm", "top_k": 8}, ctx)
    data = Dataset(Split(tm.toy_split(120, 1)[0]), Split(tm.toy_split(30, 2)[0]), Split(tm.toy_split(10, 3)[0]))
    outputs = {
        s: label_outputs(ctx.teacher, getattr(data, s).texts, ctx.artifacts).outputs for s in ("train", "validation")
    }
    student = TokenKDTrainer({}, ctx).train(
        {
            "init": "config",
            "config": {"num_hidden_layers": 1},
            "epochs": 5,
            "lr": 3e-3,
            "batch_size": 16,
            "divergence": divergence,
        },
        data,
        outputs,
        ctx,
    )
    scores = [h["val_score"] for h in student.history]
    assert scores[-1] > scores[0] or max(scores) >= 0.9
    assert student.kept["by"] == "teacher_agreement" and student.kept["val_score"] == max(scores)
    predicted = student.predict(data.test.texts)
    assert predicted["topk_logprobs"].shape[2] == 20 and predicted["input_ids"].shape[0] == 10


def test_hidden_state_matching_trains_a_projection_onto_the_teacher_blocks(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    student = LogitKDTrainer({}, local).train(
        {"layers": [0, 3], "epochs": 3, "lr": 3e-3, "batch_size": 16, "hidden_weight": 1.0}, data, outputs, local
    )
    assert student.teacher_layers == [0, 3]
    assert student.net.hidden_projection.weight.shape == (32, 32)
    assert student.num_parameters() == sum(p.numel() for p in student.net.backbone.parameters())
    assert agreement(student, outputs, data) >= 0.9


def test_hidden_state_matching_needs_a_local_teacher(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=None)
    with pytest.raises(ConfigError, match="needs a local teacher"):
        LogitKDTrainer({}, local).train(
            {
                "init": "config",
                "config": {"model_type": "bert", **tm.bert_config(num_labels=3).to_dict()},
                "tokenizer": str(teacher.path),
                "hidden_weight": 1.0,
            },
            data,
            outputs,
            local,
        )


def test_a_build_key_another_init_reads_is_refused_not_ignored(setup):
    ctx, data, teacher, outputs = setup
    for spec, message in (({"layers": 1, "tokenizer": "/models/other"}, "student.tokenizer is read by init: config, "
                           "and this student's init is teacher; remove student.tokenizer or set init: config"),
                          ({"init": "teacher", "config": {"num_hidden_layers": 1}}, "student.config is read by init: "
                           "config, and this student's init is teacher"),
                          ({"init": "config", "checkpoint": "/models/x"}, "student.checkpoint is read by init: "
                           "checkpoint, and this student's init is config")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            build_student(spec, teacher=teacher, task="classification", label_names=data.label_names)


def test_labels_alone_refuse_an_option_that_shapes_the_teachers_signal_but_take_its_default():
    from stillroom.plugins.trainers.options import parse_options

    def parse(spec):
        return parse_options(spec, seed=0, device="cpu", allowed={"temperature", "alpha", "method", "relation_weight"})

    for key, value in (("temperature", 4.0), ("alpha", 0.5), ("relation_weight", 1.0)):
        with pytest.raises(ConfigError, match=f"^student.{key} shapes what the student learns from the teacher, and "
                                              f"method: labels trains without the teacher; drop {key}$"):
            parse({"method": "labels", key: value})
    assert parse({"method": "labels", "temperature": 2.0}).method == "labels"  # the default changes nothing
    assert parse({"method": "kd", "temperature": 4.0}).temperature == 4.0


def test_preflight_refuses_the_student_options_before_any_data_moves(setup):
    ctx, data, teacher, outputs = setup
    trainer = LogitKDTrainer({}, ctx)
    for spec, message in (({"method": "labels", "temperature": 4.0}, "student.temperature shapes what the student"),
                          ({"tokenizer": "/models/other"}, "student.tokenizer is read by init: config"),
                          ({"epochs": 0}, "student.epochs must be at least 1"),
                          ({"layers": {"keep": 2, "by": "size"}}, "student.layers as a mapping must be {keep: N, by: "
                                                                  "importance}")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            trainer.check_student(spec, teacher)
    trainer.check_student({"layers": 2, "temperature": 4.0}, teacher)
    trainer.check_student({"layers": {"keep": 2, "by": "importance"}}, teacher)
    with pytest.raises(ConfigError, match=re.escape("student.layers: {by: importance} is chosen on a task's validation "
                                                    "score, which trainer embedding-kd does not train for")):
        EmbeddingKDTrainer({}, ctx).check_student({"layers": {"keep": 2, "by": "importance"}}, teacher)


def test_runs_of_another_seed_never_resume_each_others_checkpoints(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    spec = {"layers": 1, "epochs": 1, "batch_size": 16, "checkpoint_dir": str(tmp_path / "shared")}
    for seed in (0, 1, 1):  # the seed is the run's (ctx.seed): the spec names none
        LogitKDTrainer({}, tm.context(tmp_path, teacher=teacher, seed=seed)).train(
            spec, data, outputs, tm.context(tmp_path, teacher=teacher, seed=seed))
    assert len(list((tmp_path / "shared").iterdir())) == 2


def test_relation_kd_is_zero_on_the_teachers_own_states_and_blind_to_padding():
    import torch

    from stillroom.plugins.trainers.losses import relation_kd

    torch.manual_seed(0)
    teacher = [torch.randn(1, 5, 8) for _ in range(3)]
    student = [(t + 0.5 * torch.randn_like(t)).requires_grad_() for t in teacher]
    mask = torch.ones(1, 5, dtype=torch.long)
    assert relation_kd(teacher, teacher, 2, mask).item() == pytest.approx(0.0, abs=1e-6)
    loss = relation_kd(student, teacher, 2, mask)
    assert loss.item() > 0.01 and loss.item() != pytest.approx(relation_kd(student, teacher, 1, mask).item())

    def padded(states):  # the same sequence with three padding tokens holding noise
        return torch.cat([states, 100 * torch.randn(1, 3, states.shape[-1])], dim=1)

    pad_mask = torch.tensor([[1] * 5 + [0] * 3])
    padded_students = [padded(s.detach()).requires_grad_() for s in student]
    again = relation_kd(padded_students, [padded(t) for t in teacher], 2, pad_mask)
    assert again.item() == pytest.approx(loss.item(), rel=1e-5)
    again.backward()
    assert all(torch.isfinite(s.grad).all() and s.grad[:, 5:].abs().max() == 0 for s in padded_students)
    # relations are tokens x tokens, so a narrower student needs no projection
    assert relation_kd([s[..., :4] for s in student], teacher, 2, mask).item() > 0


def test_relation_kd_is_the_mean_over_heads_and_rows_of_kl_teacher_to_student_at_scaled_dot_products():
    import math

    import torch
    from torch.nn import functional as F

    from stillroom.plugins.trainers.losses import relation_kd

    torch.manual_seed(1)
    mine, theirs = torch.randn(1, 3, 4), torch.randn(1, 3, 4)
    mask = torch.ones(1, 3, dtype=torch.long)
    expected = []
    for head in range(2):  # two heads of width 2, by hand
        a, b = mine[0, :, 2 * head:2 * head + 2], theirs[0, :, 2 * head:2 * head + 2]
        p_student = F.softmax(a @ a.T / math.sqrt(2), dim=-1)
        p_teacher = F.softmax(b @ b.T / math.sqrt(2), dim=-1)
        expected.append((p_teacher * (p_teacher.log() - p_student.log())).sum(-1).mean())
    assert relation_kd([mine], [theirs], 2, mask).item() == pytest.approx(torch.stack(expected).mean().item(), rel=1e-5)
    assert relation_kd([mine], [theirs], 2, mask).item() != pytest.approx(relation_kd([theirs], [mine], 2, mask).item())


def _last_block_relation_gap(student, teacher, texts):
    import torch

    from stillroom.plugins.trainers.kd import _last_block_qkv, _outputs_of
    from stillroom.plugins.trainers.losses import relation_kd

    batch = student.encode(texts)
    student.net.eval()
    with torch.no_grad(), _outputs_of(_last_block_qkv(student.net.backbone, "student")) as mine:
        student.net(batch["input_ids"], batch["attention_mask"])
    with torch.no_grad(), _outputs_of(_last_block_qkv(teacher.model, "teacher")) as theirs:
        teacher.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return relation_kd(mine, theirs, 2, batch["attention_mask"]).item()


def test_relation_distillation_pulls_the_students_last_block_towards_the_teachers(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    spec = {"layers": [0, 2], "epochs": 3, "lr": 3e-3, "batch_size": 16, "alpha": 1.0}
    plain = LogitKDTrainer({}, local).train(spec, data, outputs, local)
    related = LogitKDTrainer({}, local).train(spec | {"relation_weight": 5.0}, data, outputs, local)
    assert agreement(related, outputs, data) >= 0.9
    texts = list(data.test.texts)
    assert _last_block_relation_gap(related, teacher, texts) < 0.5 * _last_block_relation_gap(plain, teacher, texts)


def test_relation_matching_hooks_the_net_it_is_given_and_leaves_no_hook_behind(setup, tmp_path):
    """Under FSDP the loss is handed a sharded copy of the student: the projections it reads must be that copy's."""
    import copy

    from stillroom.plugins.trainers.kd import _last_block_qkv, _teacher_matcher
    from stillroom.plugins.trainers.options import TrainOptions

    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    student = build_student({"layers": [0, 1]}, teacher=teacher, task="classification", label_names=data.label_names)
    match = _teacher_matcher(student, local, TrainOptions(relation_weight=1.0))
    encoded = student.tokenizer(data.train.texts[:8], padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    student.net.eval()
    twin = copy.deepcopy(student.net)
    assert match(twin, batch)[1].item() == pytest.approx(match(student.net, batch)[1].item(), rel=1e-6)
    hooked = [*_last_block_qkv(student.net.backbone, "s"), *_last_block_qkv(twin.backbone, "s"),
              *_last_block_qkv(teacher.model, "t")]
    assert not any(module._forward_hooks for module in hooked)
    with pytest.raises(IndexError):
        match(student.net, {**batch, "input_ids": batch["input_ids"] + 10_000})  # out of the vocabulary
    assert not any(module._forward_hooks for module in hooked)


def test_relation_distillation_refuses_what_it_cannot_match(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    odd = {
        "init": "config",
        "config": {"model_type": "bert", **tm.bert_config(num_labels=3, hidden_size=48, num_attention_heads=3).to_dict()},
        "tokenizer": str(teacher.path),
        "epochs": 1,
        "relation_weight": 1.0,
    }
    with pytest.raises(ConfigError, match=r"student.relation_weight needs a local teacher, its model run on every "
                                          r"training batch, but the run has no teacher; set relation_weight: 0"):
        none = tm.context(tmp_path, teacher=None)
        LogitKDTrainer({}, none).train(odd, data, outputs, none)
    local = tm.context(tmp_path, teacher=teacher)
    with pytest.raises(ConfigError, match=r"the student's 3 attention heads, which do not divide their widths \[32, 48\]"):
        LogitKDTrainer({}, local).train(odd, data, outputs, local)


def test_a_remote_teacher_is_refused_as_a_live_teacher_and_as_a_source_of_layers(tmp_path):
    import re
    import socket

    from stillroom.plugins.teachers.openai import OpenAITeacher
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    served = tm.causal_dir(tmp_path / "lm")
    with socket.socket() as probe:  # a loopback port nothing listens on: contacting it would fail another way
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = tm.context(tmp_path)
    # an HTTP teacher's ``model`` is a model name; this one also carries the served tokenizer, so neither
    # attribute alone can tell it from a local teacher
    remote = type("RemoteWithTokenizer", (OpenAITeacher,), {"tokenizer": tm.tokenizer()})
    ctx.teacher = remote({"url": f"http://127.0.0.1:{port}/v1", "model": "tiny-llama", "timeout": 2}, ctx)
    data = Dataset(Split(tm.toy_split(24, 1)[0]), Split(tm.toy_split(6, 2)[0]), Split([]))
    where = f"teacher 'openai' at http://127.0.0.1:{port} is not a model in this process"
    config = {**json.loads((served / "config.json").read_text()), "num_hidden_layers": 1}
    live = {"init": "config", "config": config, "tokenizer": str(served), "live": True}
    with pytest.raises(ConfigError, match=re.escape(f"student.live needs a local teacher, its model run on every "
                                                    f"training batch, but {where}; drop live")):
        TokenKDTrainer({}, ctx).train(live, data, {}, ctx)
    with pytest.raises(ConfigError, match=re.escape(f"student.init: teacher needs a local teacher, its layers "
                                                    f"copied into the student, but {where}")):
        build_student({"init": "teacher", "layers": 1}, teacher=ctx.teacher, task="causal-lm", label_names=None)
    with pytest.raises(ConfigError, match=re.escape(f"init: config (the default here: {where}) copies none")):
        build_student({"layers": 1}, teacher=ctx.teacher, task="causal-lm", label_names=None)


def test_training_batches_cover_every_example_once_with_little_padding_and_repeat_per_seed():
    from stillroom.plugins.trainers.loop import Examples, length_grouped_batches

    rng = np.random.default_rng(0)
    examples = Examples([[1] * int(n) for n in rng.integers(1, 60, size=1000)], {})
    batches = length_grouped_batches(examples, 16, seed=3)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert batches == length_grouped_batches(examples, 16, seed=3) != length_grouped_batches(examples, 16, seed=4)
    padded = sum(len(b) * max(len(examples.input_ids[i]) for i in b) for b in batches)
    assert padded < 1.2 * sum(len(ids) for ids in examples.input_ids)


def test_vocabulary_pruning_keeps_the_domain_tokens_and_their_predictions(setup):
    from stillroom.plugins.trainers.vocab import prune_vocabulary

    ctx, data, teacher, outputs = setup
    student = build_student({"layers": 2}, teacher=teacher, task="classification", label_names=data.label_names)
    texts = data.train.texts[:30]
    before, size = student.predict(texts)["logits"], student.num_parameters()
    tokens_before = [student.tokenizer.convert_ids_to_tokens(ids) for ids in student.tokenizer(texts)["input_ids"]]
    kept = prune_vocabulary(student, texts)
    assert kept < len(tm.vocabulary()) and student.net.backbone.config.vocab_size == kept
    assert student.num_parameters() == size - (len(tm.vocabulary()) - kept) * 32
    assert [
        student.tokenizer.convert_ids_to_tokens(ids) for ids in student.tokenizer(texts)["input_ids"]
    ] == tokens_before
    np.testing.assert_allclose(student.predict(texts)["logits"], before, atol=1e-5)


def test_a_pruned_student_trains_and_exports(setup, tmp_path):
    from stillroom.plugins.exporters.hf import HFExporter

    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    student = LogitKDTrainer({}, local).train(
        {"layers": 2, "epochs": 2, "lr": 3e-3, "batch_size": 16, "prune_vocab": True}, data, outputs, local
    )
    assert student.net.backbone.config.vocab_size < len(tm.vocabulary())
    HFExporter({}, local).export(student, tmp_path / "hf", texts=data.test.texts)


def test_a_half_precision_checkpoint_trains_in_full_precision(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    build_student({"layers": 2}, teacher=teacher, task="classification", label_names=data.label_names).net.backbone.to(
        torch.float16
    ).save_pretrained(tmp_path / "half")
    tm.tokenizer().save_pretrained(tmp_path / "half")
    student = build_student({"init": "checkpoint", "checkpoint": str(tmp_path / "half")}, teacher=teacher,
                            task="classification", label_names=data.label_names)
    assert next(student.net.parameters()).dtype == torch.float32


@pytest.fixture
def causal(tmp_path):
    ctx = tm.context(tmp_path)
    ctx.teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm", "top_k": 8}, ctx)
    data = Dataset(Split(tm.toy_split(60, 1)[0]), Split(tm.toy_split(12, 2)[0]), Split(tm.toy_split(6, 3)[0]))
    return ctx, data


def test_sequence_level_kd_learns_the_teachers_generations_generated_once(causal):
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx, data = causal
    calls = []
    generate = ctx.teacher.generate
    ctx.teacher.generate = lambda texts, **kw: calls.append(len(texts)) or generate(texts, **kw)
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "method": "sequence", "max_new_tokens": 4,
            "epochs": 4, "lr": 5e-3, "batch_size": 16}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert student.history[-1]["loss"] < student.history[0]["loss"]
    TokenKDTrainer({}, ctx).train({**spec, "epochs": 1}, data, {}, ctx)
    assert calls == [12, 60]  # the validation prompts' answers, which choose the epoch, then the training ones


@pytest.mark.parametrize("method", ["labels", "sequence"])
def test_a_causal_student_not_trained_on_teacher_log_probs_keeps_its_most_likely_epoch_on_validation(causal, method):
    from dataclasses import replace

    from stillroom.plugins.trainers.options import TrainOptions
    from stillroom.plugins.trainers.tokens import TokenKDTrainer, generations, inverse_perplexity

    ctx, data = causal
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "method": method, "epochs": 4, "lr": 5e-3,
            "batch_size": 16} | ({"max_new_tokens": 4} if method == "sequence" else {})
    # the baseline must not choose its epoch by agreement with a teacher it never learned from
    student = TokenKDTrainer({}, ctx).train(spec, data, UnreadableOutputs(), ctx)
    scores = [h["val_score"] for h in student.history]
    assert {h["val_metric"] for h in student.history} == {"inverse_perplexity"}
    assert 0 < scores[0] < scores[-1] <= 1
    best = max(range(len(scores)), key=lambda i: (scores[i], i))
    assert student.kept == {"epoch": best + 1, "by": "inverse_perplexity", "val_score": scores[best]}
    # labels: the validation texts' likelihood; sequence KD: that of the teacher's answers to them, after them
    validation = data.validation if method == "labels" else replace(
        data.validation, answers=generations(ctx.teacher, list(data.validation.texts), 4, ctx.artifacts))
    value = inverse_perplexity(student, validation, TrainOptions(), answers=method == "sequence")
    assert value == pytest.approx(scores[best], rel=1e-5)


def test_token_kd_against_a_live_teacher_needs_no_cached_outputs(causal):
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx, data = causal
    spec = {"init": "config", "config": {"num_hidden_layers": 1}, "live": True, "divergence": "jsd",
            "epochs": 4, "lr": 5e-3, "batch_size": 16}
    student = TokenKDTrainer({}, ctx).train(spec, data, {}, ctx)
    assert student.history[-1]["loss"] < student.history[0]["loss"]
    assert TokenKDTrainer.supports_baseline
    labels = {k: v for k, v in spec.items() if k not in ("live", "divergence")} | {"method": "labels"}
    baseline = TokenKDTrainer({}, ctx).train(labels, data, {}, ctx)
    assert baseline.history[-1]["loss"] < baseline.history[0]["loss"]


@pytest.mark.parametrize(("grad_accum", "steps"), [(1, [15, 30]), (4, [4, 8])])
def test_gradient_accumulation_takes_one_optimizer_step_per_group_of_batches(setup, tmp_path, grad_accum, steps):
    ctx, data, teacher, outputs = setup
    entries = []
    local = tm.context(
        tmp_path, teacher=teacher, record=lambda kind, payload: kind == "train.epoch" and entries.append(payload)
    )
    spec = {"layers": 1, "epochs": 2, "batch_size": 16, "grad_accum": grad_accum}
    LogitKDTrainer({}, local).train(spec, data, outputs, local)
    assert [e["steps"] for e in entries] == steps


def test_sparse_token_kd_charges_the_student_for_mass_outside_the_teachers_top_k():
    """Regression (issue 14): renormalising over the top-k gave loss 0 and gradient 0 here."""
    from stillroom.plugins.trainers.losses import token_kd

    vocab, k = 50, 5
    teacher = torch.full((1, 1, vocab), -10.0)
    teacher[..., :k] = torch.tensor([4.0, 3.0, 2.0, 1.0, 0.0])
    top = torch.log_softmax(teacher, -1).topk(k, dim=-1)
    student = torch.full((1, 1, vocab), -10.0)
    student[..., :k] = teacher[..., :k]  # the same shape over the top-k as the teacher ...
    student[..., 40] = 8.0  # ... but 97% of its mass on one token outside it
    student.requires_grad_(True)
    mask = torch.ones(1, 1)
    for divergence in ("forward", "reverse", "jsd"):
        loss = token_kd(student, top.indices, top.values, mask, divergence)
        (grad,) = torch.autograd.grad(loss, student)
        assert loss.item() > (0.3 if divergence == "jsd" else 3.0), divergence
        assert grad[0, 0, 40].item() > 0 and grad.abs().sum().item() > 1e-3, divergence


def test_sparse_token_kd_counts_the_teachers_tail():
    """A student matching the teacher's top-k but not its tail is not a perfect match."""
    from stillroom.plugins.trainers.losses import token_kd

    torch.manual_seed(0)
    teacher = torch.randn(1, 3, 30)
    top = torch.log_softmax(teacher, -1).topk(3, dim=-1)
    sharp = torch.full_like(teacher, -30.0).scatter(-1, top.indices, top.values + 30.0)
    exact = token_kd(teacher, top.indices, top.values, torch.ones(1, 3), "forward").item()
    assert exact == pytest.approx(0.0, abs=1e-6)
    assert token_kd(sharp, top.indices, top.values, torch.ones(1, 3), "forward").item() > 0.1



def test_full_vocabulary_token_kd_is_the_exact_divergence_and_what_the_top_k_with_its_tail_approximates():
    """A local teacher's logits give the divergence over the whole vocabulary (issue 14: full-vocabulary KL when
    the teacher's logits are local); with every token in the top-k the sparse loss is the same number."""
    from torch.nn import functional as F

    from stillroom.plugins.trainers.losses import full_token_kd, token_kd

    torch.manual_seed(0)
    teacher, student = torch.randn(2, 4, 30), torch.randn(2, 4, 30)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    p, q = F.softmax(teacher, -1), F.softmax(student, -1)
    m = 0.3 * p + 0.7 * q
    expected = {"forward": (p * (p.log() - q.log())).sum(-1), "reverse": (q * (q.log() - p.log())).sum(-1),
                "jsd": 0.3 * (p * (p.log() - m.log())).sum(-1) + 0.7 * (q * (q.log() - m.log())).sum(-1)}
    every = torch.log_softmax(teacher, -1).topk(30, dim=-1)
    for divergence, per_token in expected.items():
        exact = (per_token * mask).sum() / mask.sum()
        assert full_token_kd(student, teacher, mask, divergence, 0.3).item() == pytest.approx(exact.item(), abs=1e-5)
        sparse = token_kd(student, every.indices, every.values, mask, divergence, 0.3).item()
        assert sparse == pytest.approx(exact.item(), abs=1e-4), divergence
    # a table padded past the tokenizer: the padding ids are left out of both
    padded = torch.cat([teacher, torch.full((2, 4, 3), -1e4)], dim=-1)
    assert full_token_kd(student, padded, mask, "forward").item() == pytest.approx(
        full_token_kd(student, teacher, mask, "forward").item(), abs=1e-5)


def test_live_token_kd_trains_on_the_teachers_full_distribution(monkeypatch, tmp_path):
    from stillroom.plugins.trainers import losses
    from stillroom.plugins.trainers.tokens import TokenKDTrainer

    ctx = tm.context(tmp_path)
    ctx.teacher = HFTeacher({"path": str(tm.causal_dir(tmp_path / "lm")), "task": "causal-lm", "top_k": 4}, ctx)
    vocabulary = ctx.teacher.model.config.vocab_size
    widths = []
    full = losses.full_token_kd
    monkeypatch.setattr(losses, "full_token_kd", lambda s, t, *a: widths.append(t.shape[-1]) or full(s, t, *a))
    monkeypatch.setattr(losses, "token_kd", lambda *a, **k: pytest.fail("live KD read the teacher's top-k only"))
    data = Dataset(Split(tm.toy_split(16, 1)[0]), Split(tm.toy_split(4, 2)[0]), Split([]))
    TokenKDTrainer({}, ctx).train({"layers": 1, "epochs": 1, "batch_size": 8, "method": "kd", "live": True},
                                  data, {}, ctx)
    assert widths and set(widths) == {vocabulary} and vocabulary > 4

def test_a_labels_only_twin_starts_from_the_same_head_as_its_kd_student(setup):
    ctx, data, teacher, outputs = setup
    head = teacher.model.classifier.weight.detach()

    def classifier(spec):
        student = build_student(spec, teacher=teacher, task="classification", label_names=data.label_names)
        return student.net.backbone.classifier.weight.detach()

    assert torch.equal(classifier({"layers": 1}), head)
    assert torch.equal(classifier({"layers": 1, "method": "labels"}), head)
    for method in ("kd", "labels"):
        assert not torch.allclose(classifier({"layers": 1, "method": method, "head": "fresh"}), head)
    with pytest.raises(ConfigError, match="student.head must be one of teacher, fresh"):
        build_student({"layers": 1, "head": "old"}, teacher=teacher, task="classification",
                      label_names=data.label_names)
    with pytest.raises(ConfigError, match="student.head .* needs init: teacher .* but init is config"):
        build_student({"init": "config", "config": {"num_hidden_layers": 1}, "head": "fresh"}, teacher=teacher,
                      task="classification", label_names=data.label_names)


def test_a_pipeline_transfer_set_is_labelled_by_the_teacher_and_kept_from_the_labels_only_baseline(setup, workspace):
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.run.datasets import load_dataset

    ctx, data, teacher, outputs = setup
    rows = [{"text": t, "label": data.label_names[y]} for t, y in zip(data.train.texts[:120], data.train.labels[:120])]
    path = workspace.root / "queries.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = parse_spec({
        "name": "intents", "source": {"type": "jsonl", "path": str(path), "classification": "public"},
        "teacher": {"type": "hf", "path": str(teacher.path), "task": "classification"},
        "data": {"label_field": "label"},
        "curate": {"transfer": {"per_record": 3, "min_confidence": 0.3}},
        "student": {"layers": 1, "epochs": 1, "lr": 3e-3, "batch_size": 16}, "evaluators": ["task"], "exporters": [],
    })
    run = run_pipeline(workspace, spec, initiator="op", progress=False)
    steps = run.summaries["curate"]["steps"]["steps"]
    kept = run.summaries["curate"]["steps"]["generated"]["kept"]["transfer"]
    assert steps["transfer"]["added"] == 3 * steps["input"]["out"] and kept > 0
    dataset = load_dataset(workspace.artifacts, run.artifacts["dataset"])
    baseline = load_dataset(workspace.artifacts, run.artifacts["baseline_dataset"])
    assert len(dataset.train) == len(baseline.train) + kept
    assert baseline.validation.texts == dataset.validation.texts
    made = [t for t in dataset.train.texts if t not in set(baseline.train.texts)]
    predicted = teacher.predict(made)["logits"].argmax(1)
    labels = [dataset.train.labels[dataset.train.texts.index(t)] for t in made]
    assert list(predicted) == labels  # every transfer input carries the teacher's label
    assert "baseline" in run.artifacts and run.summaries["train"]["baseline"] == "labels-only"
    assert run.summaries["train"]["baseline_train_rows"] == len(baseline.train)


def test_per_layer_hidden_losses_are_relative_to_each_layers_spread():
    from stillroom.plugins.trainers.losses import normalised_hidden_mse

    torch.manual_seed(0)
    target, other = torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    mask = torch.ones(2, 5)
    mask[1, 3:] = 0
    assert normalised_hidden_mse(target, target, mask).item() == 0.0
    mean = (target * mask.unsqueeze(-1)).sum((0, 1)) / mask.sum()
    assert normalised_hidden_mse(mean.expand_as(target), target, mask).item() == pytest.approx(1.0, rel=1e-5)
    assert normalised_hidden_mse(100 * other, 100 * target, mask).item() == pytest.approx(
        normalised_hidden_mse(other, target, mask).item(), rel=1e-5)
    padded = other.clone()
    padded[1, 3:] = 1e6  # padding never counts
    assert normalised_hidden_mse(padded, target, mask).item() == pytest.approx(
        normalised_hidden_mse(other, target, mask).item(), rel=1e-5)


def test_a_student_copied_whole_starts_matching_the_teachers_hidden_states_and_relations_at_zero(
    setup, tmp_path
):
    """The hidden projection between equal widths starts as the identity, and the relations compare the same
    blocks: a copied block starts with no error on either."""
    from stillroom.plugins.trainers.kd import _teacher_matcher, hidden_projection
    from stillroom.plugins.trainers.options import TrainOptions

    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    student = build_student({"layers": teacher.model.config.num_hidden_layers}, teacher=teacher,
                            task="classification", label_names=data.label_names)
    match = _teacher_matcher(student, local, TrainOptions(hidden_weight=1.0, relation_weight=1.0))
    assert torch.equal(student.net.hidden_projection.weight.detach(), torch.eye(32))
    encoded = student.tokenizer(data.train.texts[:8], padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    student.net.eval()
    _, matched = match(student.net, batch)
    assert matched.item() == pytest.approx(0.0, abs=1e-5)
    pruned = build_student({"layers": [0, 1]}, teacher=teacher, task="classification", label_names=data.label_names)
    pruned.net.eval()
    _, relation = _teacher_matcher(pruned, local, TrainOptions(relation_weight=1.0))(pruned.net, batch)
    assert relation.item() > 1e-3  # its last block is the teacher's second, not its last
    assert hidden_projection(16, 32).weight.shape == (32, 16)  # other widths: a learned map


def test_mixup_kd_is_zero_for_a_student_copied_whole_and_mixes_each_models_own_embeddings(setup, tmp_path):
    """MixKD's term compares student and teacher on the same mix of two rows: a student copied whole from the
    teacher starts at zero; a pruned one does not, and its term is the KL on the mix the teacher sees too."""
    from stillroom.plugins.trainers import kd
    from stillroom.plugins.trainers.losses import logit_kd
    from stillroom.plugins.trainers.options import TrainOptions

    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    encoded = teacher.tokenizer(data.train.texts[:8], padding=True, return_tensors="pt")
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    whole = build_student({"layers": teacher.model.config.num_hidden_layers}, teacher=teacher,
                          task="classification", label_names=data.label_names)
    whole.net.eval()
    assert kd._mixed_kd(whole, local, TrainOptions(mixup_weight=1.0))(whole.net, batch).item() == pytest.approx(
        0.0, abs=1e-5)
    pruned = build_student({"layers": [0, 1]}, teacher=teacher, task="classification", label_names=data.label_names)
    pruned.net.eval()
    torch.manual_seed(3)
    term = kd._mixed_kd(pruned, local, TrainOptions(mixup_weight=2.0))(pruned.net, batch).item()
    torch.manual_seed(3)  # the same share and pairing, by hand, from torch's generator as the run draws them
    share = float(torch.distributions.Beta(torch.tensor(kd.MIXUP_BETA), torch.tensor(kd.MIXUP_BETA)).sample())
    pairs = torch.randperm(8)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    either = torch.maximum(mask, mask[pairs])

    def logits_of(model):
        embedded = model.get_input_embeddings()(ids)
        return model(inputs_embeds=share * embedded + (1 - share) * embedded[pairs], attention_mask=either).logits

    with torch.no_grad():
        expected = 2.0 * logit_kd(logits_of(pruned.net.backbone), logits_of(teacher.model), 2.0).item()
    assert term == pytest.approx(expected, rel=1e-5)
    assert term > 1e-4
    assert 0 < share < 1 and sorted(pairs.tolist()) == list(range(8))


def test_mixup_kd_checks_that_a_model_reads_its_embeddings_as_its_token_ids(setup):
    """An encoder classifier does; a decoder classifier on right-padded rows, given embeddings, reads each row's
    last position (padding) where from ids it reads the last real token: it would learn from wrong targets."""
    from transformers import GPT2Config, GPT2ForSequenceClassification

    from stillroom.plugins.trainers.kd import reads_embeddings

    ctx, data, teacher, outputs = setup
    encoded = teacher.tokenizer(data.train.texts[:8], padding=True, return_tensors="pt")
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    assert (mask == 0).any()  # some rows are padded
    teacher.model.train()
    assert reads_embeddings(teacher.model, ids, mask) and teacher.model.training  # its mode is given back
    teacher.model.eval()
    torch.manual_seed(0)
    decoder = GPT2ForSequenceClassification(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=int(ids.max()) + 1,
                                                       n_positions=64, num_labels=3, pad_token_id=0))
    assert not reads_embeddings(decoder, ids, mask)


def test_mixup_kd_trains_and_refuses_what_it_cannot_run(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    spec = {"layers": [0, 2], "epochs": 3, "lr": 3e-3, "batch_size": 16, "alpha": 1.0}
    mixed = LogitKDTrainer({}, local).train(spec | {"mixup_weight": 1.0}, data, outputs, local)
    assert agreement(mixed, outputs, data) >= 0.9
    alone = {"init": "config", "config": {"model_type": "bert", **tm.bert_config(num_labels=3).to_dict()},
             "tokenizer": str(teacher.path), "epochs": 1, "mixup_weight": 1.0}
    with pytest.raises(ConfigError, match=r"student.mixup_weight needs a local teacher, its model run on every "
                                          r"training batch's mixes, but the run has no teacher; set mixup_weight: 0"):
        none = tm.context(tmp_path, teacher=None)
        LogitKDTrainer({}, none).train(alone, data, outputs, none)
    with pytest.raises(ConfigError, match=r"student.mixup_weight mixes the student's input embeddings outside its "
                                          r"forward pass, which student.parallel: fsdp shards"):
        LogitKDTrainer({}, local).train(spec | {"mixup_weight": 1.0, "parallel": "fsdp"}, data, outputs, local)
    with pytest.raises(ConfigError, match=r"student.mixup_weight shapes what the student learns from the teacher"):
        labels = {k: v for k, v in spec.items() if k != "alpha"} | {"mixup_weight": 1.0, "method": "labels"}
        LogitKDTrainer({}, local).train(labels, data, outputs, local)


def test_temperature_and_alpha_are_chosen_on_validation_within_the_budget(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    spec = {"layers": 1, "epochs": 1, "lr": 3e-3, "batch_size": 16,
            "search": {"temperature": [1, 4], "alpha": [0.0, 0.5, 1.0], "budget": 3}}
    student = LogitKDTrainer({}, local).train(spec, data, outputs, local)
    trials = student.search["trials"]
    assert len(trials) == 3 and student.search["on"] == "validation"
    assert len({(t["temperature"], t["alpha"]) for t in trials}) == 3
    best = max(trials, key=lambda t: t["val_score"])
    assert student.search["chosen"] == {"temperature": best["temperature"], "alpha": best["alpha"]}
    assert max(h["val_score"] for h in student.history) == best["val_score"]
    no_validation = Dataset(data.train, Split([], []), data.test, data.label_names)
    with pytest.raises(ConfigError, match="chooses on the validation split"):
        LogitKDTrainer({}, local).train(spec, no_validation, outputs, local)
    for bad, message in (({**spec["search"], "budget": 0}, "budget must be a positive"),
                         ({**spec["search"], "layers": [1]}, "unknown key"),
                         ({**spec["search"], "alpha": [2]}, "between 0 and 1")):
        with pytest.raises(ConfigError, match=message):
            LogitKDTrainer({}, local).train({**spec, "search": bad}, data, outputs, local)
    with pytest.raises(ConfigError, match="both fixed and searched"):
        LogitKDTrainer({}, local).train({**spec, "alpha": 0.5}, data, outputs, local)
    with pytest.raises(ConfigError, match="method: labels uses neither"):
        LogitKDTrainer({}, local).train({**spec, "method": "labels"}, data, outputs, local)


def test_the_layers_kept_are_the_ones_whose_removal_costs_the_most_validation_accuracy(setup, tmp_path):
    ctx, data, teacher, outputs = setup
    local = tm.context(tmp_path, teacher=teacher)
    spec = {"layers": {"keep": 2, "by": "importance"}, "epochs": 1, "lr": 3e-3, "batch_size": 16}
    student = LogitKDTrainer({}, local).train(spec, data, outputs, local)
    record = student.layer_importance
    lost = record["accuracy_lost_without"]
    assert len(lost) == teacher.model.config.num_hidden_layers and record["on"] == "validation"
    assert student.teacher_layers == record["kept"] == sorted(sorted(range(len(lost)), key=lambda i: (-lost[i], i))[:2])
    pruned = build_student({"layers": [i for i in range(len(lost)) if i != 0]}, teacher=teacher,
                           task="classification", label_names=data.label_names)
    accuracy = float((pruned.predict(data.validation.texts)["logits"].argmax(1) == data.validation.labels).mean())
    assert record["accuracy"] - lost[0] == pytest.approx(accuracy)  # what "lost without layer 0" means
    no_validation = Dataset(data.train, Split([], []), data.test, data.label_names)
    with pytest.raises(ConfigError, match="labelled validation split"):
        LogitKDTrainer({}, local).train(spec, no_validation, outputs, local)
    with pytest.raises(ConfigError, match=r"\{keep: N, by: importance\}"):
        LogitKDTrainer({}, local).train({**spec, "layers": {"keep": 2, "by": "magnitude"}}, data, outputs, local)


def test_a_shared_student_is_replaced_whole_and_a_failed_save_leaves_the_old_one(tmp_path, monkeypatch):
    """``save_shared`` (a warm start kept for every worker): at every step a reader finds the old student, the
    new one or none, never part of one; a save or a move that fails leaves the old one; nothing half-written
    stays beside it."""
    from stillroom.plugins.trainers import checkpoints

    class Student:
        def __init__(self, text: str, fail: bool = False) -> None:
            self.text, self.fail = text, fail

        def save(self, directory) -> None:
            (directory / "a.txt").write_text(self.text)
            if self.fail:
                raise OSError("disk full")
            (directory / "b.txt").write_text(self.text)

    target = tmp_path / "warm-start" / "key"

    def seen() -> dict[str, str] | None:
        return {p.name: p.read_text() for p in target.iterdir()} if target.exists() else None

    views, deleted, replace, rmtree = [], [], checkpoints.os.replace, checkpoints.shutil.rmtree
    monkeypatch.setattr(checkpoints.os, "replace", lambda a, b: views.append(seen()) or replace(a, b))
    monkeypatch.setattr(checkpoints.shutil, "rmtree", lambda path, **kw: deleted.append(Path(path)) or
                        rmtree(path, **kw))
    checkpoints.save_shared(Student("first"), target)
    checkpoints.save_shared(Student("second"), target)
    assert seen() == {"a.txt": "second", "b.txt": "second"}
    # each move sees none or a whole student; the one in place is moved aside whole, never deleted where it is
    assert views == [None, {"a.txt": "first", "b.txt": "first"}, None] and target not in deleted
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save_shared(Student("third", fail=True), target)
    assert seen() == {"a.txt": "second", "b.txt": "second"}

    def refuse_the_move_in(a, b):  # the old student is moved aside, then the new one cannot be moved in
        if Path(a).name.startswith(".key-") and "-old-" not in Path(a).name and Path(b) == target:
            raise OSError("cross-device link")
        return replace(a, b)

    monkeypatch.setattr(checkpoints.os, "replace", refuse_the_move_in)
    with pytest.raises(OSError, match="cross-device"):
        checkpoints.save_shared(Student("fourth"), target)
    assert seen() == {"a.txt": "second", "b.txt": "second"}
    assert [p.name for p in target.parent.iterdir()] == ["key"]


def test_training_updates_every_parameter_in_one_fused_kernel_unless_the_parameters_are_sharded(
        setup, tmp_path, monkeypatch):
    # torch's default AdamW on CPU updates one tensor at a time (half of a demo step); the loop asks for the fused kernel
    from stillroom.plugins.trainers import loop
    from stillroom.plugins.trainers.options import TrainOptions

    ctx, data, teacher, outputs = setup
    built, real = [], loop._adamw
    monkeypatch.setattr(loop, "_adamw", lambda *args, **kwargs: built.append(real(*args, **kwargs)) or built[-1])
    local = tm.context(tmp_path, teacher=teacher)
    LogitKDTrainer({}, local).train({"layers": 1, "epochs": 1, "batch_size": 32}, data, outputs, local)
    assert len(built) == 1 and built[0].defaults["fused"] is True

    net = torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 2))
    options = TrainOptions(lr=1e-3)
    sharded = real(list(net.parameters()), options, sharded=True)
    assert not sharded.defaults["fused"] and sharded.defaults["foreach"] is True
    plain = real([torch.nn.Parameter(torch.zeros(3, dtype=torch.complex64))], options, sharded=False)
    assert not plain.defaults["fused"]  # complex parameters: no fused kernel, torch's default path

    # the same gradients give the same weights, up to float rounding
    nets = [torch.nn.Linear(64, 32), torch.nn.Linear(64, 32)]
    nets[1].load_state_dict(nets[0].state_dict())
    optimizers = [torch.optim.AdamW(nets[0].parameters(), lr=1e-2, weight_decay=0.01),
                  real(list(nets[1].parameters()), TrainOptions(lr=1e-2, weight_decay=0.01), sharded=False)]
    start, generator = nets[0].weight.detach().clone(), torch.Generator().manual_seed(0)
    for _ in range(20):
        grads = [torch.randn(p.shape, generator=generator) for p in nets[0].parameters()]
        for net, optimizer in zip(nets, optimizers):
            for p, g in zip(net.parameters(), grads):
                p.grad = g.clone()
            optimizer.step()
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(nets[0].parameters(), nets[1].parameters()))
    assert not torch.allclose(nets[0].weight, start, atol=1e-3)  # and they moved

    # a checkpoint written by torch's default kernel resumes on the fused one, moments and steps kept
    saved = optimizers[0].state_dict()
    optimizers[1].load_state_dict(loop.kernel_as_built(saved, optimizers[1]))
    assert optimizers[1].param_groups[0]["fused"] is True
    assert torch.equal(optimizers[1].state[nets[1].weight]["exp_avg"], saved["state"][0]["exp_avg"])
    optimizers[1].step()
