"""Train: a trainer plugin distills the student (and a labels-only baseline), kept as artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from stillroom.components import Dataset, TrainWork
from stillroom.config import PipelineSpec
from stillroom.plugins.trainers.options import TEACHER_SIGNAL
from stillroom.run.datasets import load_dataset
from stillroom.run.portable import ComponentRef
from stillroom.run.stages.base import Stage
from stillroom.run.stages.choose import default_for
from stillroom.run.students import store_student
from stillroom.run.training import StudentJob
from stillroom.sizing import DEFAULT_BATCH, schedule_for


def train(run) -> dict[str, Any]:
    spec, plugins = run.spec, run.plugins
    task = run.components["teacher"].task
    name = spec.trainer.type if spec.trainer else default_for(plugins, "trainer", task)
    options = spec.trainer.options if spec.trainer else {}
    trainer = plugins.component("trainer", name)(options, run.ctx)
    # the depth and vocabulary preflight sized for the target, unless the spec chose them itself; a student
    # Stillroom sized for a deployment target also gets a schedule fitted to the data's size (``sizing``)
    sized = run.summaries["preflight"]["student_size"]
    planned = "plan" in sized and sized.get("target") is not None
    schedule = schedule_for(len(run.dataset.train.texts), spec.student.get("batch_size", DEFAULT_BATCH)) \
        if planned else {}
    student_spec = {**sized.get("chosen", {}), **schedule, **spec.student}
    run.artifacts["student"] = run.executor.train(_work(run, trainer, student_spec, "student",
                                                        run.artifacts["dataset"]))
    outputs = {"trainer": name, "student_parameters": _parameters(run, "student"), "student": run.artifacts["student"]}
    if schedule:
        outputs["schedule"] = {k: student_spec[k] for k in schedule}  # what the spec did not set itself
    manifest = run.workspace.artifacts.read_json(run.artifacts["student"])
    outputs.update({k: manifest[k] for k in ("search", "layer_importance") if manifest.get(k)})
    skipped = _no_baseline_because(spec, run.dataset, trainer)
    if skipped is None:
        # the student's own spec, so the same start (layers and head, ``build``); only the teacher's signal differs,
        # which labels alone refuse (TEACHER_SIGNAL); a warm start's epochs of the teacher's answers become labels
        # epochs (the same epochs in all)
        baseline_spec = {**{k: v for k, v in student_spec.items() if k not in ("search", *TEACHER_SIGNAL)},
                         "method": "labels"}
        if student_spec.get("warm_start"):
            from stillroom.plugins.trainers.options import TrainOptions

            baseline_spec["epochs"] = student_spec.get("epochs", TrainOptions.epochs) + student_spec["warm_start"]
        # never the teacher-labelled transfer set: the baseline shows what labels alone give
        dataset = run.artifacts.get("baseline_dataset", run.artifacts["dataset"])
        run.artifacts["baseline"] = run.executor.train(_work(run, trainer, baseline_spec, "baseline", dataset))
        outputs["baseline"] = "labels-only"
        outputs["baseline_train_rows"] = len(load_dataset(run.workspace.artifacts, dataset).train.texts)
    else:
        outputs["baseline_skipped"] = skipped
    return outputs


def _work(run, trainer, student_spec: Mapping[str, Any], role: str, dataset: str) -> TrainWork:
    """Training as a job any executor can run, and as a function of the dataset's digest run here; either way
    the student is stored by its digest in the coordinator."""
    teacher, scrubber = run.components["teacher"], run.components.get("scrubber")
    job = StudentJob(ComponentRef("trainer", trainer.name, trainer.options, live=trainer),
                     ComponentRef("teacher", teacher.name, teacher.options, live=teacher),
                     dict(student_spec), load_dataset(run.workspace.artifacts, dataset), run.teacher_outputs,
                     seed=run.ctx.seed, device=run.ctx.device,
                     scrubber=ComponentRef("scrubber", scrubber.name, scrubber.options, live=scrubber)
                     if scrubber is not None else None)

    def keep(directory: Path, facts: dict[str, Any], records: list[tuple[str, dict[str, Any]]]) -> str:
        for kind, payload in records:
            run.record(kind, payload)
        return store_student(run.workspace.artifacts, role, trainer.name, student_spec, directory, facts)

    def here(dataset: str) -> str:
        directory = run.ctx.scratch / "students" / f"{role}-saving"
        # the trainer's own scratch (its checkpoints: the weights and AdamW's two moments; a warm-start student),
        # removed once the student is stored: a run's scratch is its own, so no other run resumes from it
        training = run.ctx.scratch / f"training-{role}"
        shutil.rmtree(directory, ignore_errors=True)
        try:
            facts = job(replace(run.ctx, scratch=training), directory)
            assert facts is not None  # the coordinator trains alone, outside a process group: it is rank 0
            stored = keep(directory, facts, [])  # its records went to the ledger as it ran
            shutil.rmtree(training, ignore_errors=True)
            return stored
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    return TrainWork("train", here, dataset, job=job, keep=keep)


def _parameters(run, role: str) -> int:
    return run.workspace.artifacts.read_json(run.artifacts[role])["parameters"]


def _no_baseline_because(spec: PipelineSpec, dataset: Dataset, trainer) -> str | None:
    """Why this run trains no labels-only baseline, in words for the report; None when it trains one."""
    if not spec.baseline:
        return "turned off in the pipeline (baseline: false)"
    if dataset.train.labels is None:
        return "the training data has no labels (the pipeline names no data.label_field)"
    if not getattr(trainer, "supports_baseline", False):
        return f"trainer {trainer.name!r} has no labels-only mode"
    return None


STAGE = Stage("train", train, reads=("dataset", "baseline_dataset", "labels.*"), writes=("student", "baseline"))
